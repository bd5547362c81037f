"""The run store: runs, organisations, each site's evidence pack, findings, control results, scores and
errors, in SQLite (one file, the default) or PostgreSQL. `db` opens and migrates it, `schema` holds the
tables, `queue` is the per-site work queue of a run, `results` moves evidence packs in and out."""


class StoreError(RuntimeError):
    """The store cannot be used (Russian message, safe to print). Defined here, away from SQLAlchemy, so the
    CLI can catch it without importing the database layer for commands that never use it."""
