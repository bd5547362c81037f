"""Scrapyd worker nodes on loopback for the distributed-run tests: each in its own folder made by
`nok-audit node-config`, on a free port of 127.0.0.1, stopped at the end (also after a failed run). Used by
.ci/run and, when NOK_TEST_SCRAPYD is not set, by the test fixtures themselves.

    python tests/scrapydserver.py start DIR [N]    starts N nodes (default 2); prints their URLs, comma-separated
    python tests/scrapydserver.py stop DIR
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgserver import free_port  # noqa: E402


def start_node(folder: Path, slots: int = 2, username: str = "", password: str = "") -> tuple[str, subprocess.Popen]:
    from crawler.runs.node import scrapyd_binary, write_node_config

    folder = Path(folder).resolve()
    port = free_port()
    write_node_config(folder, port=port, slots=slots, poll=0.3, username=username, password=password)
    log = open(folder / "scrapyd.log", "ab")
    proc = subprocess.Popen([str(scrapyd_binary())], cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "NOK_WORK_DIR": str(folder / "work")}, start_new_session=True)
    (folder / "pid").write_text(str(proc.pid))
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urlopen(url + "/daemonstatus.json", timeout=2) as r:
                if json.loads(r.read())["status"] == "ok":
                    return url, proc
        except HTTPError as exc:
            if exc.code == 401:                     # up, and asking for the credentials it was given
                return url, proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"scrapyd did not start: {(folder / 'scrapyd.log').read_text()[-2000:]}")
        time.sleep(0.2)


def stop_node(folder: Path) -> None:
    """Stop the node and the jobs it started (they run in its process group)."""
    pid_file = Path(folder) / "pid"
    if not pid_file.exists():
        return
    try:
        os.killpg(int(pid_file.read_text()), signal.SIGKILL)
    except (ProcessLookupError, ValueError):
        pass
    pid_file.unlink(missing_ok=True)


def start(where: Path, count: int = 2) -> list[str]:
    return [start_node(Path(where) / f"node{n}")[0] for n in range(count)]


def stop(where: Path) -> None:
    for folder in sorted(Path(where).glob("node*")):
        stop_node(folder)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    action, where = sys.argv[1], Path(sys.argv[2])
    if action == "start":
        print(",".join(start(where, int(sys.argv[3]) if len(sys.argv) > 3 else 2)))
    elif action == "stop":
        stop(where)
    else:
        sys.exit(f"unknown action {action}")
