"""A throw-away PostgreSQL server on loopback for the store tests: initdb into a folder, start on a free
port of 127.0.0.1, stop (also after a failed run). Used by .ci/run and, when NOK_TEST_PG is not set, by
the test fixtures themselves.

    python tests/pgserver.py start DIR     prints the server URL (postgresql+psycopg://postgres@127.0.0.1:PORT)
    python tests/pgserver.py stop DIR
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` system user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def pg_folder() -> Path:
    """A new folder for a server, outside pytest's root-only temporary tree (the server runs as `postgres`)."""
    return Path(tempfile.mkdtemp(prefix="nok-pg-"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(folder: Path) -> str:
    pg = bindir()
    if pg is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    if not data.exists():
        subprocess.run(_as_postgres([str(pg / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    port = free_port()
    options = (f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_connections=200")
    subprocess.run(_as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
                                 "-o", options, "start"]), check=True, capture_output=True)
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    (folder / "url").write_text(url)
    return url


def stop(folder: Path) -> None:
    pg = bindir()
    data = Path(folder).resolve() / "data"
    if pg is None or not (data / "postmaster.pid").exists():
        return
    subprocess.run(_as_postgres([str(pg / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                   capture_output=True)


def create_database(server_url: str, name: str) -> str:
    """A fresh database on the server; its SQLAlchemy URL."""
    import psycopg

    plain = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


if __name__ == "__main__":
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(start(where))
    elif action == "stop":
        stop(where)
    else:
        sys.exit(f"unknown action {action}")
