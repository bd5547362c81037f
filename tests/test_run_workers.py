"""Isolation of `nok-audit run`'s default mode, worker processes that each audit several sites in one reactor
(crawler/runs/in_process.py): a site over its time limit, a worker killed mid-site (as by a segfault or the
OOM killer), a site that kills its worker every time, and a runner stopped by Ctrl-C or SIGTERM.

Sites: copies of tests/sites/kcson_full, each on its own loopback address 127.0.0.110+ (a test slows one down
through its server's config); SQLite store in the test's folder.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import NOK_AUDIT, kcson_copies, run_cli

RUN_FAST = ["--delay", "0", "--timeout", "30", "--no-browser", "--allow-private"]
SLOW_PAGE = "/o-nas/"            # linked from kcson_full's home page


@pytest.fixture
def fleet(tmp_path):
    with kcson_copies(tmp_path / "sites", 5, 110) as servers:
        yield servers


def _registry(path: Path, servers) -> Path:
    rows = ["Наименование;Сайт"] + [f"КЦСОН № {n};{s.base_url}/" for n, s in servers.items()]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _sites(db: str) -> dict[str, dict]:
    """{site host: its queue row and number of results} of run 1."""
    from sqlalchemy import func, select

    from crawler.store.db import open_store
    from crawler.store.schema import Organisation, Result, RunSite
    store = open_store(db)
    try:
        with store.session() as s:
            results = dict(s.execute(select(Result.org_id, func.count()).group_by(Result.org_id)).all())
            return {re.split(r"[_:]", org.key)[0]: {"status": site.status, "outcome": site.outcome, "attempts": site.attempts,
                                            "note": site.note, "worker": site.worker, "results": results.get(org.id, 0)}
                    for site, org in s.execute(select(RunSite, Organisation)
                                               .join(Organisation, Organisation.id == RunSite.org_id))}
    finally:
        store.close()


def _host(server) -> str:
    return server.base_url.split("//")[1].split(":")[0]


def _wait(predicate, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.1)
    return value


def _slow_request_arrived(server) -> bool:
    return any(h.path == SLOW_PAGE for h in server.requests)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _worker_pid(site: dict) -> int:
    return int(site["worker"].split(":")[1])          # queue.worker_id(): host:pid:token, taken in the worker


def _start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen([*NOK_AUDIT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parent.parent, start_new_session=True)


def test_overrun_drops_only_the_late_site_and_requeues_the_others_without_charging_them(fleet, tmp_path):
    """One worker, two sites at once: site 0 hangs on a page for 60 s (limit 15 s) while site 2 is in flight on
    a page of its own that takes 60 s the first time. The watchdog ends the worker: site 0 is «не уложился», site 2
    goes back to the queue with its attempt given back and is audited by the next worker in full."""
    late, innocent = fleet[0], fleet[2]
    late.config["slow"] = {SLOW_PAGE: 60}
    innocent.config["slow"] = {SLOW_PAGE: 60}
    db = f"sqlite:///{tmp_path / 'store.db'}"
    proc = _start(["run", str(_registry(tmp_path / "reg.csv", fleet)), "--db", db, "--out", str(tmp_path / "out"),
                   *RUN_FAST, "--jobs", "2", "--processes", "1", "--site-time-limit", "15"])
    _wait(lambda: _slow_request_arrived(innocent))
    innocent.config["slow"] = {}                    # the request in flight still hangs; the next attempt is fast
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    sites = _sites(db)
    assert sites[_host(late)]["outcome"] == "timeout" and sites[_host(late)]["results"] == 0
    assert "не уложился в предел 15 с" in err
    assert sites[_host(innocent)]["outcome"] == "checked" and sites[_host(innocent)]["results"] == 1
    assert sites[_host(innocent)]["attempts"] == 1, "the innocent site was charged for the other's overrun"
    assert sum(1 for h in innocent.requests if h.path == "/") >= 2      # audited again from the start
    assert "результатов 4 из 5" in err


def test_a_worker_killed_mid_site_loses_no_finished_site_and_the_run_goes_on(fleet, tmp_path):
    """SIGKILL of the worker (as a segfault or the OOM killer would) while site 1 hangs on a page: a new worker
    takes over, the sites done before are not fetched again, every site ends with exactly one result."""
    fleet[1].config["slow"] = {SLOW_PAGE: 60}
    db = f"sqlite:///{tmp_path / 'store.db'}"
    proc = _start(["run", str(_registry(tmp_path / "reg.csv", fleet)), "--db", db, "--out", str(tmp_path / "out"),
                   *RUN_FAST, "--jobs", "2", "--processes", "1"])
    _wait(lambda: _slow_request_arrived(fleet[1]) and _sites(db)[_host(fleet[0])]["results"])
    fleet[1].config["slow"] = {}
    before = {n: len(s.requests) for n, s in fleet.items()}
    worker = _worker_pid(_sites(db)[_host(fleet[1])])
    os.kill(worker, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    sites = _sites(db)
    assert all(s["results"] == 1 and s["outcome"] == "checked" for s in sites.values()), sites
    assert len(fleet[0].requests) == before[0], "a site filed before the crash was fetched again"
    assert sites[_host(fleet[1])]["attempts"] == 2
    assert "результатов 5 из 5" in err


def test_a_site_that_kills_every_worker_ends_failed_after_bounded_attempts(fleet, tmp_path):
    """Site 0 «crashes» every worker that audits it (the test SIGKILLs the worker holding it): after
    MAX_ATTEMPTS it is done without result and the run ends; it is retried alone, so the others lose at most
    the one attempt they shared with it before anyone knew, and all of them are audited."""
    from crawler.store.queue import MAX_ATTEMPTS
    crasher = fleet[0]
    crasher.config["slow"] = {SLOW_PAGE: 60}
    db = f"sqlite:///{tmp_path / 'store.db'}"
    proc = _start(["run", str(_registry(tmp_path / "reg.csv", fleet)), "--db", db, "--out", str(tmp_path / "out"),
                   *RUN_FAST, "--jobs", "2", "--processes", "1"])
    killed: set[int] = set()
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        site = _sites(db).get(_host(crasher))
        if site and site["status"] == "running" and _worker_pid(site) not in killed:
            killed.add(_worker_pid(site))
            os.kill(_worker_pid(site), signal.SIGKILL)
        time.sleep(0.2)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    sites = _sites(db)
    assert len(killed) == MAX_ATTEMPTS
    bad = sites.pop(_host(crasher))
    assert (bad["outcome"], bad["attempts"], bad["results"]) == ("failed", MAX_ATTEMPTS, 0)
    assert "аварийно завершался" in bad["note"] and "--resume" in bad["note"]
    assert all(s["results"] == 1 and s["attempts"] <= 2 for s in sites.values()), sites
    assert "результатов 4 из 5; без результата (предел времени или ошибка): 1" in err


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_a_stopped_runner_leaves_no_worker_and_resume_finishes_the_run(fleet, tmp_path, how):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) or SIGTERM to the runner alone: no
    worker outlives it, the site in flight is not filed half-crawled, and `--resume` audits it in full (its
    attempt given back: the interruption was not its fault)."""
    fleet[3].config["slow"] = {SLOW_PAGE: 60}
    db = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "out"
    proc = _start(["run", str(_registry(tmp_path / "reg.csv", fleet)), "--db", db, "--out", str(out), *RUN_FAST,
                   "--jobs", "2", "--processes", "2"])
    _wait(lambda: _slow_request_arrived(fleet[3]))
    workers = {_worker_pid(s) for s in _sites(db).values() if s["status"] == "running"}
    assert workers
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    if how == "ctrl-c":
        assert "Прервано пользователем." in err and "Traceback" not in err
    _wait(lambda: not any(_alive(pid) for pid in workers), timeout=10)
    assert _sites(db)[_host(fleet[3])]["results"] == 0, "a half-crawled site was filed"

    fleet[3].config["slow"] = {}
    resumed = run_cli(["run", "--resume", "--db", db, "--out", str(out)], out, timeout=300)
    assert resumed.code == 0, resumed.stderr
    sites = _sites(db)
    assert all(s["results"] == 1 for s in sites.values()), sites
    assert sites[_host(fleet[3])]["attempts"] == 1


def test_jobs_is_sites_at_once_for_the_whole_run_split_over_the_workers(fleet, tmp_path):
    """--jobs 3 with --processes 8: never more than 3 sites running, in 3 worker processes of one site each (no
    worker without a share); with every site held up 4 s on a page, 3 at once is reached."""
    from crawler.runs.in_process import shares
    assert shares(3, 8) == [1, 1, 1] and shares(5, 2) == [3, 2] and shares(4, 1) == [4]
    for server in fleet.values():
        server.config["slow"] = {SLOW_PAGE: 4}
    db = f"sqlite:///{tmp_path / 'store.db'}"
    proc = _start(["run", str(_registry(tmp_path / "reg.csv", fleet)), "--db", db, "--out", str(tmp_path / "out"),
                   *RUN_FAST, "--jobs", "3", "--processes", "8"])
    most, workers = 0, set()
    while proc.poll() is None:
        running = [s for s in _sites(db).values() if s["status"] == "running"]
        most = max(most, len(running))
        workers |= {_worker_pid(s) for s in running}
        time.sleep(0.1)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert most == 3
    assert len(workers) == 3
    assert all(s["results"] == 1 for s in _sites(db).values())
