"""Opening the store: URL handling, SQLite settings for concurrent writers, Alembic migrations on open, and
database failures turned into Russian messages (StoreError) instead of tracebacks."""
from __future__ import annotations

import fcntl
import re
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker

from crawler.store import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
DB_FILE = "nok-audit.db"
_PG_LOCK = 727_1805   # pg_advisory_lock key: one migrator at a time


def default_db_url(out_dir: Path) -> str:
    return f"sqlite:///{(Path(out_dir) / DB_FILE).resolve()}"


def normalise_url(raw: str) -> str:
    """A plain path means an SQLite file; URLs pass through."""
    raw = raw.strip()
    if not raw:
        raise StoreError("не указан адрес базы (--db)")
    if "://" not in raw:
        return f"sqlite:///{Path(raw).expanduser().resolve()}"
    return raw


def describe(exc: BaseException, url: str = "") -> str:
    """A Russian sentence for a database failure."""
    text_ = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = text_.lower()
    where = f" ({safe_url(url)})" if url else ""
    if "readonly" in low or "read-only" in low:
        return f"база доступна только для чтения{where}: запись результатов невозможна"
    if "disk is full" in low or "no space" in low or "could not extend file" in low:
        return f"на диске базы нет места{where}: освободите место и продолжите прогон с --resume"
    if "unable to open database file" in low:
        return f"не удаётся открыть файл базы{where}: проверьте, что папка существует и доступна для записи"
    if any(s in low for s in ("connection refused", "could not connect", "server closed the connection",
                               "terminating connection", "connection is closed", "connection failed",
                               "the connection is lost", "consuming input failed", "no connection")):
        return f"сервер базы данных недоступен{where}: {text_}"
    if "does not exist" in low and "database" in low:
        return f"база данных не найдена{where}: {text_}"
    if "password authentication failed" in low:
        return f"сервер базы данных отклонил вход{where}: неверное имя пользователя или пароль"
    return f"ошибка базы данных{where}: {text_}"


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


def is_connection_loss(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or "недоступен" in describe(exc))


class Store:
    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self):
        """A transaction: committed on success, rolled back on error; database errors become StoreError."""
        try:
            with self.sessions.begin() as s:
                yield s
        except StoreError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(describe(exc, self.url)) from exc

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")          # readers never block the writer
    cur.execute("PRAGMA busy_timeout=60000")        # concurrent runs wait for the write lock instead of failing
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def open_store(raw_url: str, migrate: bool = True) -> Store:
    url = normalise_url(raw_url)
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and not path.startswith(":") and not path.startswith("file:"):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"timeout": 60})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise StoreError(f"адрес базы --db «{safe_url(url)}» не распознан: ожидается путь к файлу SQLite, "
                         "sqlite:///путь или postgresql+psycopg://пользователь@сервер:порт/база") from None
    except OSError as exc:
        raise StoreError(f"не удаётся создать папку базы: {exc.strerror}") from None
    store = Store(engine, url)
    if migrate:
        try:
            upgrade(store)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(describe(exc, url)) from exc
    return store


@contextmanager
def _migration_lock(store: Store, connection):
    if store.is_sqlite:
        path = store.url.split("///", 1)[1]
        if path.startswith(":") or path.startswith("file:"):
            yield
            return
        with open(path + ".migrate-lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield
    else:
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        yield


def upgrade(store: Store) -> None:
    """Bring the schema to the newest migration (idempotent; several processes may call it at once)."""
    from alembic import command          # Alembic is loaded only when the schema is checked or migrated
    from alembic.config import Config

    with store.engine.begin() as connection:
        with _migration_lock(store, connection):
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


def current_revision(store: Store) -> str | None:
    from alembic.runtime.migration import MigrationContext   # only when the schema is checked

    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
