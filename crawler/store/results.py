"""Evidence packs in and out of the store.

`store_result` files an audit folder (report.json, report.html, the stored crawl, screenshots, manifest …)
as one result of a claimed site, in the transaction that marks the site done — so a site has a result
exactly once or not at all. Files are kept as content-addressed blobs (SHA-256 of the bytes; zlib unless
already compressed), so what did not change since last month costs nothing. `materialize` writes a stored
result back as the same folder, which `nok-audit verify` accepts: any past run can be rendered again.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import defer

from crawler.store import StoreError
from crawler.store.db import Store
from crawler.store.queue import Claim, mark_done, now
from crawler.store.schema import (RUN_FINISHED, Artefact, Blob, Control, Error, Finding, Organisation, Result, Run,
                                  RunSite, Score)

# zlib level of the other files: on the bench corpus (a site's pages.jsonl, reports, manifest: 4.3 MB) level 3
# takes 19 ms and keeps 408 KB, level 6 44 ms and 273 KB, level 1 18 ms and 532 KB.
ZLIB_LEVEL = 3
# Already compressed: stored as they are.
_PACKED = (".gz", ".png", ".jpg", ".jpeg", ".pdf", ".xlsx", ".docx", ".zip")


def _insert_ignore(store: Store):
    if store.is_sqlite:
        from sqlalchemy.dialects.sqlite import insert       # the dialect of this store only
    else:
        from sqlalchemy.dialects.postgresql import insert   # (psycopg need not be installed for SQLite)
    return insert


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".tmp"))


def _put_blobs(s, store: Store, files: list[tuple[str, bytes]]) -> list[tuple[str, str, int]]:
    """Store the bytes (once per content); [(path, sha256, size)]. Only bytes the store lacks are compressed,
    and they go in with one executemany."""
    rows, blobs = [], {}
    for rel, data in files:
        sha = hashlib.sha256(data).hexdigest()
        rows.append((rel, sha, len(data)))
        blobs.setdefault(sha, (rel, data))
    known: set[str] = set()
    shas = list(blobs)
    for start in range(0, len(shas), 500):
        known.update(s.scalars(select(Blob.sha256).where(Blob.sha256.in_(shas[start:start + 500]))))
    new = []
    for sha, (rel, data) in blobs.items():
        if sha not in known:
            packed = rel.lower().endswith(_PACKED)
            new.append({"sha256": sha, "size": len(data), "compressed": not packed,
                        "data": data if packed else zlib.compress(data, ZLIB_LEVEL)})
    if new:
        # another worker may store the same page at the same moment: the first one wins, both are right
        s.execute(_insert_ignore(store)(Blob).on_conflict_do_nothing(index_elements=["sha256"]), new)
    return rows


def _number(value):
    return None if value is None else float(value)


def store_result(store: Store, claim: Claim, worker: str, folder: Path, outcome: str, note: str) -> int | None:
    """File the audit folder as the site's result and mark the site done; the result id, or None when the
    site is no longer this worker's (it was released and taken by another)."""
    folder = Path(folder)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    files = [(p.relative_to(folder).as_posix(), p.read_bytes()) for p in _files(folder)]
    summary = report.get("summary", {})
    share = (summary.get("site_share_1_1") or {}).get("share")
    scores = report.get("scores") or {}
    total = (scores.get("total") or {}).get("value")
    with store.session() as s:
        if not mark_done(s, claim, worker, outcome, note):
            return None
        result = Result(run_site_id=claim.site_id, run_id=claim.run_id, org_id=claim.org_id, created_at=now(),
                        entry_ok=bool(report["crawl"]["entry_ok"]), crawl_status=report["crawl"].get("status", ""),
                        pages=int(report["crawl"].get("pages") or 0), present=int(summary.get("present", 0)),
                        absent=int(summary.get("absent", 0)), unknown=int(summary.get("unknown", 0)),
                        share_1_1=_number(share), total_score=_number(total),
                        checklist_id=str(report.get("checklist", {}).get("id", "")),
                        checklist_version=str(report.get("checklist", {}).get("version", "")), report=report)
        s.add(result)
        s.flush()
        # the rows of the result in one executemany per table (ORM objects were inserted one statement each)
        rid = result.id
        items = report.get("items", [])
        score_rows = [*scores.get("indicators", []), *scores.get("criteria", [])]
        if scores.get("total"):
            score_rows.append(scores["total"])
        for table, rows in (
                (Finding, [dict(result_id=rid, item_id=i["id"], indicator=i.get("indicator", ""), status=i["status"],
                                works=i.get("works"), evidence_url=(i.get("evidence") or [{}])[0].get("url", ""))
                           for i in items]),
                (Control, [dict(result_id=rid, item_id=i["id"], works=i.get("works"),
                                method=(i.get("control") or {}).get("method", ""), detail=i.get("works_text", ""))
                           for i in items if i.get("control")]),
                (Score, [dict(result_id=rid, key=str(x["key"]), value=_number(x.get("value"))) for x in score_rows]),
                (Error, [dict(result_id=rid, kind=e.get("kind", ""), url=e.get("url", ""), message=e.get("message", ""))
                         for e in report.get("errors", [])]),
                (Artefact, [dict(result_id=rid, path=rel, sha256=sha, size=size)
                            for rel, sha, size in _put_blobs(s, store, files)])):
            if rows:
                s.execute(insert(table), rows)
        return result.id


def materialize(store: Store, result_id: int, folder: Path) -> Path:
    """Write the stored evidence pack of a result into `folder` (created; existing files replaced)."""
    folder = Path(folder)
    with store.session() as s:
        rows = s.execute(select(Artefact.path, Blob.compressed, Blob.data, Blob.sha256)
                         .join(Blob, Blob.sha256 == Artefact.sha256).where(Artefact.result_id == result_id)).all()
    if not rows:
        raise StoreError(f"в базе нет файлов результата {result_id}")
    for rel, compressed, data, sha in rows:
        target = (folder / rel).resolve()
        if folder.resolve() not in target.parents:
            raise StoreError(f"недопустимый путь файла в базе: {rel}")
        raw = zlib.decompress(data) if compressed else bytes(data)
        if hashlib.sha256(raw).hexdigest() != sha:
            raise StoreError(f"файл {rel} результата {result_id} в базе повреждён (SHA-256 не совпадает)")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
    return folder


def report_of(store: Store, result_id: int) -> dict:
    with store.session() as s:
        return s.scalar(select(Result.report).where(Result.id == result_id))


def results_of(store: Store, run_id: int, reports: bool = True) -> list[tuple[Result, Organisation]]:
    """The run's results with their organisations; `reports=False` leaves each report.json out (a run of
    1 000 sites would otherwise hold all their reports at once)."""
    query = (select(Result, Organisation).join(Organisation, Organisation.id == Result.org_id)
             .where(Result.run_id == run_id).order_by(Organisation.key))
    if not reports:
        query = query.options(defer(Result.report, raiseload=True))
    with store.session() as s:
        return [tuple(r) for r in s.execute(query)]


def prune(store: Store, keep: int) -> list[int]:
    """Retention: delete all but the `keep` newest finished audit runs (with their rescores), and the blobs
    no longer used by any result. Active runs are never touched. The ids of the deleted runs."""
    with store.session() as s:
        finished = list(s.scalars(select(Run.id).where(Run.kind == "audit", Run.status == RUN_FINISHED)
                                  .order_by(Run.id.desc())))
        old = finished[keep:]
        if not old:
            return []
        doomed = set(old) | set(s.scalars(select(Run.id).where(Run.parent_run_id.in_(old),
                                                               Run.status == RUN_FINISHED)))
        ids = sorted(doomed)
        result_ids = select(Result.id).where(Result.run_id.in_(ids))
        for table in (Artefact, Finding, Control, Score, Error):
            s.execute(delete(table).where(table.result_id.in_(result_ids)))
        s.execute(delete(Result).where(Result.run_id.in_(ids)))
        s.execute(delete(RunSite).where(RunSite.run_id.in_(ids)))
        s.execute(delete(Run).where(Run.id.in_(ids)))
        s.execute(delete(Blob).where(Blob.sha256.not_in(select(Artefact.sha256).distinct())))
        return ids
