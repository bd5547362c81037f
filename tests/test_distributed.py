"""A run distributed over Scrapyd nodes (real `scrapyd` daemons on loopback, a real PostgreSQL store): one
complete result per site, the same findings as a single-machine run of the same sites, and a node killed
mid-run (with its jobs, as when a machine dies) still ends with every site done exactly once.

Sites: copies of the loopback test sites, each on its own address 127.0.0.120+.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import NOK_AUDIT, SITES, run_cli
from pgserver import create_database
from scrapydserver import start as start_nodes
from scrapydserver import stop as stop_nodes
from scrapydserver import stop_node
from sitesrv import start_site

MIX = ["kcson_full", "kcson_1251", "kcson_robots", "kcson_full", "kcson_moved_target"]
FAST = ["--delay", "0", "--timeout", "5", "--no-browser", "--allow-private"]   # the sites are on loopback


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    """Two Scrapyd nodes: those .ci/run started (NOK_TEST_SCRAPYD), else two of our own."""
    if os.environ.get("NOK_TEST_SCRAPYD"):
        yield os.environ["NOK_TEST_SCRAPYD"]
        return
    where = tmp_path_factory.mktemp("nodes")
    try:
        yield ",".join(start_nodes(where, 2))
    finally:
        stop_nodes(where)


@pytest.fixture
def sites20(tmp_path):
    servers = {}
    for n in range(20):
        folder = tmp_path / "sites" / f"{MIX[n % len(MIX)]}_{n:02d}"
        shutil.copytree(SITES / MIX[n % len(MIX)], folder)
        servers[n] = start_site(folder, f"127.0.0.{120 + n}")
    yield servers
    for server in servers.values():
        server.stop()


def _registry(path: Path, servers) -> Path:
    path.write_text("Наименование;Сайт\n" + "".join(f"Организация {n};{s.base_url}/\n" for n, s in servers.items()),
                    encoding="utf-8")
    return path


def _findings(db: str) -> dict[str, dict[str, str]]:
    """{site key: {item id: status}} of every stored result; asserts one result per site."""
    from sqlalchemy import select

    from crawler.store.db import open_store
    from crawler.store.schema import Finding, Organisation, Result
    store = open_store(db)
    try:
        with store.session() as s:
            keys = [k for (k,) in s.execute(select(Organisation.key).join(Result, Result.org_id == Organisation.id))]
            assert len(keys) == len(set(keys)), "a site has more than one result"
            found: dict[str, dict[str, str]] = {k: {} for k in keys}
            for key, item, status in s.execute(select(Organisation.key, Finding.item_id, Finding.status)
                                               .join(Result, Result.org_id == Organisation.id)
                                               .join(Finding, Finding.result_id == Result.id)):
                found[key][item] = status
            return found
    finally:
        store.close()


def _home_hits(server) -> int:
    return sum(1 for h in server.requests if h.method == "GET" and h.path.split("?")[0] == "/")


def test_distributed_run_matches_a_single_machine_run(pg_server, nodes, sites20, tmp_path):
    registry = _registry(tmp_path / "reg.csv", sites20)
    local_db = create_database(pg_server, f"dist_local_{os.getpid()}")
    nodes_db = create_database(pg_server, f"dist_nodes_{os.getpid()}")
    local = run_cli(["run", str(registry), "--db", local_db, "--out", str(tmp_path / "local"), *FAST], timeout=600)
    assert local.code == 0, local.stderr
    once = {n: _home_hits(s) for n, s in sites20.items()}
    assert all(once.values())
    spread = run_cli(["run", str(registry), "--db", nodes_db, "--out", str(tmp_path / "nodes"), *FAST,
                      "--nodes", nodes, "--node-slots", "1"], timeout=600)
    assert spread.code == 0, spread.stderr
    assert "результатов 20 из 20" in spread.stderr
    used = {line.rsplit("[", 1)[1].rstrip("]") for line in spread.stderr.splitlines() if line.endswith("]")}
    assert used == set(nodes.split(","))                               # both nodes took part
    one, other = _findings(local_db), _findings(nodes_db)
    assert len(one) == 20 and one == other                            # identical findings, site by site
    assert {n: _home_hits(s) for n, s in sites20.items()} == {n: 2 * h for n, h in once.items()}   # none twice
    assert (tmp_path / "nodes" / "run-1" / "summary" / "summary.html").exists()
    names = {json.loads(p.read_text(encoding="utf-8"))["site"]["name"]                # a job's report: registry name
             for p in (tmp_path / "nodes" / "run-1").glob("*/report.json")}
    assert names == {f"Организация {n}" for n in sites20}


def test_a_node_dying_mid_run_loses_no_site_and_doubles_none(pg_server, sites20, tmp_path):
    where = tmp_path / "own-nodes"
    urls = start_nodes(where, 2)
    try:
        registry = _registry(tmp_path / "reg.csv", dict(list(sites20.items())[:12]))
        db = create_database(pg_server, f"dist_kill_{os.getpid()}")
        proc = subprocess.Popen([*NOK_AUDIT, "run", str(registry), "--db", db, "--out", str(tmp_path / "out"), *FAST,
                                 "--nodes", ",".join(urls), "--node-slots", "1", "--node-dead-after", "3"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=Path(__file__).parent.parent)
        deadline = time.monotonic() + 300
        while len(_findings(db)) < 3:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else ""
            time.sleep(0.3)
        stop_node(where / "node0")                                     # the machine dies, jobs and all
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert f"узел {urls[0]} недоступен" in stderr
        assert len(_findings(db)) == 12                                # every site, each exactly once
        assert "результатов 12 из 12" in stderr
    finally:
        stop_nodes(where)


def test_node_with_basic_auth(pg_server, sites20, tmp_path):
    from scrapydserver import start_node
    url, _ = start_node(tmp_path / "node", slots=1, username="nok", password="s3cret")
    try:
        registry = _registry(tmp_path / "reg.csv", {0: sites20[0]})
        db = create_database(pg_server, f"dist_auth_{os.getpid()}")
        args = ["run", str(registry), "--db", db, "--out", str(tmp_path / "out"), *FAST]
        refused = run_cli([*args, "--nodes", url], timeout=120)
        assert refused.code == 2 and "узел Scrapyd" in refused.stderr and "Unauthorized" in refused.stderr
        host = url.removeprefix("http://")
        spread = run_cli([*args, "--nodes", f"http://nok:s3cret@{host}"], timeout=300)
        assert spread.code == 0 and "результатов 1 из 1" in spread.stderr, spread.stderr
        assert "s3cret" not in spread.stderr
    finally:
        stop_node(tmp_path / "node")


def test_dispatcher_killed_and_resumed(pg_server, nodes, sites20, tmp_path):
    """The dispatcher dies (SIGKILL); jobs already on the nodes still file their results, and
    `run --resume --nodes` finishes the rest: every site exactly once."""
    registry = _registry(tmp_path / "reg.csv", dict(list(sites20.items())[:10]))
    db = create_database(pg_server, f"dist_resume_{os.getpid()}")
    args = ["--db", db, "--out", str(tmp_path / "out"), "--nodes", nodes, "--node-slots", "1"]
    proc = subprocess.Popen([*NOK_AUDIT, "run", str(registry), *args, *FAST], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=Path(__file__).parent.parent)
    deadline = time.monotonic() + 300
    while len(_findings(db)) < 2:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.3)
    proc.kill()
    proc.wait()
    resumed = run_cli(["run", "--resume", *args], timeout=600)
    assert resumed.code == 0, resumed.stderr
    assert len(_findings(db)) == 10 and "результатов 10 из 10" in resumed.stderr
