"""The run store end to end, on SQLite and on a real PostgreSQL server: a batch of loopback sites, a run
killed with SIGKILL and resumed, two runs at once on one store, a second month where sites changed (diff
in the terminal, the report and the summary), rescore without fetching, reports from the store, retention,
and a database that goes away mid-run.

Sites: copies of tests/sites/kcson_full in a temporary folder (so a test can change them), each served on
its own loopback address 127.0.0.80+.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import NOK_AUDIT, SITES, kcson_copies, run_cli
from pgserver import bindir, create_database, pg_folder
from pgserver import start as start_pg
from pgserver import stop as stop_pg
from sitesrv import dead_url, start_site

FLEET = 12
RUN_FAST = ["--delay", "0", "--timeout", "5", "--no-browser", "--jobs", "2", "--allow-private"]


# -- fixtures (pg_server is in conftest.py) ---------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server = request.getfixturevalue("pg_server")
    return create_database(server, f"t_{request.node.name.split('[')[0][-40:]}_{os.getpid()}".lower())


@pytest.fixture
def fleet(tmp_path):
    """FLEET editable copies of kcson_full, each on its own address; {key: SiteServer}."""
    with kcson_copies(tmp_path / "sites", FLEET, 80) as servers:
        yield servers


def _registry(path: Path, servers, extra_rows: str = "") -> Path:
    lines = ["Наименование;Сайт;Регион"] + [f"КЦСОН № {n};{s.base_url}/;Тестовая область" for n, s in servers.items()]
    path.write_text("\n".join(lines) + "\n" + extra_rows, encoding="utf-8")
    return path


def _store(url):
    from crawler.store.db import open_store
    return open_store(url)


def _results(url) -> list[tuple[int, str]]:
    """(run id, organisation key) of every stored result."""
    from sqlalchemy import select

    from crawler.store.schema import Organisation, Result
    store = _store(url)
    try:
        with store.session() as s:
            return [tuple(r) for r in s.execute(select(Result.run_id, Organisation.key)
                                               .join(Organisation, Organisation.id == Result.org_id))]
    finally:
        store.close()


def _done_sites(url) -> int:
    from sqlalchemy import func, select

    from crawler.store.schema import DONE, RunSite
    store = _store(url)
    try:
        with store.session() as s:
            return s.scalar(select(func.count()).select_from(RunSite).where(RunSite.status == DONE))
    finally:
        store.close()


def _home_hits(server) -> int:
    return sum(1 for h in server.requests if h.method == "GET" and h.path.split("?")[0] == "/")


def _start_run(args: list[str], env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([*NOK_AUDIT, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parent.parent, env={**os.environ, **(env or {})})


def _wait(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


# -- tests ------------------------------------------------------------------------------------------------
def test_migrations_create_exactly_the_schema(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from crawler.store.db import current_revision
    from crawler.store.schema import Base
    store = _store(db_url)
    try:
        assert current_revision(store) == "0001"
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        _store(db_url).close()                                  # opening again is a no-op migration
    finally:
        store.close()


def test_sigkill_mid_run_then_resume_gives_exactly_one_result_per_site(db_url, fleet, tmp_path):
    registry = _registry(tmp_path / "reg.csv", fleet, f"Недоступный;{dead_url('127.0.0.79')};\nПлохой;ftp://x;\n")
    out = tmp_path / "out"
    args = ["run", str(registry), "--db", db_url, "--out", str(out), *RUN_FAST]
    proc = _start_run(args)
    _wait(lambda: _done_sites(db_url) >= 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_at_kill = _results(db_url)
    assert 3 <= len(done_at_kill) < FLEET + 1, "the kill must land mid-run"
    hits_at_kill = {n: _home_hits(s) for n, s in fleet.items()}

    resumed = run_cli(["run", "--resume", "--db", db_url, "--out", str(out), "--jobs", "2"], out, timeout=300)
    assert resumed.code == 0, resumed.stderr
    assert "Продолжение прогона 1" in resumed.stderr

    results = _results(db_url)
    keys = [k for _, k in results]
    assert len(keys) == FLEET + 1 and len(set(keys)) == FLEET + 1      # every site, each exactly once
    assert {r for r, _ in results} == {1}
    finished_before = {k for _, k in done_at_kill}
    for n, server in fleet.items():
        key = next(k for k in keys if k.startswith(f"127.0.0.{80 + n}"))
        if key in finished_before:                                     # finished sites were not fetched again
            assert _home_hits(server) == hits_at_kill[n]
        else:
            assert _home_hits(server) >= 1
    run_dir = out / "run-1"
    assert run_cli(["verify", str(run_dir / keys[0])], out).code == 0
    assert not any((run_dir / ".work").glob("*/report.json"))            # nothing half-finished left behind
    summary = (run_dir / "summary" / "summary.html").read_text(encoding="utf-8")
    assert "КЦСОН № 11" in summary
    listing = run_cli(["runs", "--db", db_url], out)
    assert listing.code == 0 and "завершён" in listing.stdout


def test_two_processes_on_one_run_share_the_work(db_url, fleet, tmp_path):
    registry = _registry(tmp_path / "reg.csv", fleet)
    out = tmp_path / "out"
    first = _start_run(["run", str(registry), "--db", db_url, "--out", str(out), *RUN_FAST, "--jobs", "1"])
    _wait(lambda: _done_sites(db_url) >= 1)
    second = _start_run(["run", "--resume", "1", "--db", db_url, "--out", str(out), "--jobs", "1"])
    for proc in (first, second):
        assert proc.wait(timeout=300) == 0, proc.stderr.read()
    keys = [k for _, k in _results(db_url)]
    assert len(keys) == FLEET and len(set(keys)) == FLEET
    assert all(_home_hits(s) == 1 for s in fleet.values())             # no site audited twice


def test_next_month_diff_rescore_report_and_retention(db_url, fleet, tmp_path):
    registry = _registry(tmp_path / "reg.csv", fleet)
    out = tmp_path / "out"
    args = ["run", str(registry), "--db", db_url, "--out", str(out), *RUN_FAST]
    assert run_cli(args, out, timeout=300).code == 0
    # A month later: site 0 lost its tariffs page, site 1 is down.
    shutil.rmtree(fleet[0].folder / "uslugi" / "tarify")
    fleet[1].stop()
    second = run_cli(args, out, timeout=300)
    assert second.code == 0, second.stderr

    diff = run_cli(["diff", "--db", db_url], out)
    assert diff.code == 0, diff.stderr
    lines = diff.stdout.splitlines()
    assert lines[0] == "Прогон 1 → прогон 2" and "с ухудшениями 2" in diff.stdout
    assert any("перестал открываться" in line for line in lines)
    assert any("тариф" in line.lower() and "было размещено" in line for line in lines)
    assert lines[2] in ("КЦСОН № 0", "КЦСОН № 1")                       # regressions first

    key0 = next(k for _, k in _results(db_url) if k.startswith("127.0.0.80"))
    report0 = json.loads((out / "run-2" / key0 / "report.json").read_text(encoding="utf-8"))
    assert any("тариф" in line.lower() for line in report0["changes"]["regressions"])
    assert "Изменения с прошлой проверки" in (out / "run-2" / key0 / "report.html").read_text(encoding="utf-8")
    assert "Изменения с прошлой проверки" in (out / "run-2" / "summary" / "summary.html").read_text(encoding="utf-8")

    # Rescore run 2 with a checklist under which no site publishes tariffs: nothing is fetched.
    strict = tmp_path / "strict.yaml"
    strict.write_text("extends: social\nid: strict\nversion: '2'\nitems:\n  - id: tariffs\n    detect:\n"
                      "      any:\n        - phrase: [тарифы на луну]\n", encoding="utf-8")
    hits = {n: len(s.requests) for n, s in fleet.items()}
    rescored = run_cli(["rescore", "2", "--db", db_url, "--out", str(out), "--checklist", str(strict)], out)
    assert rescored.code == 0, rescored.stderr
    assert {n: len(s.requests) for n, s in fleet.items()} == hits
    store = _store(db_url)
    try:
        from crawler.store.results import results_of
        rescored_results = results_of(store, 3)
    finally:
        store.close()
    assert len(rescored_results) == FLEET
    for result, _org in rescored_results:
        if result.entry_ok:
            assert result.checklist_id == "strict"
            assert next(i for i in result.report["items"] if i["id"] == "tariffs")["status"] == "absent"

    # Any past run renders again from the store alone.
    shutil.rmtree(out / "run-1")
    again = run_cli(["report", "--run", "1", "--db", db_url, "--out", str(tmp_path / "again")], out)
    assert again.code == 0, again.stderr
    assert run_cli(["verify", str(tmp_path / "again" / key0)], out).code == 0
    assert (tmp_path / "again" / "summary" / "summary.html").exists()

    # Retention: keep the newest audit run (and its rescore).
    pruned = run_cli(["prune", "--keep", "1", "--db", db_url, "--out", str(out)], out)
    assert pruned.code == 0, pruned.stderr
    assert {r for r, _ in _results(db_url)} == {2, 3}


def test_database_going_away_mid_run_loses_nothing(fleet, tmp_path):
    if bindir() is None:
        pytest.skip("PostgreSQL is not installed")
    pg_dir = pg_folder()
    server = start_pg(pg_dir)
    db = create_database(server, "goes_away")
    registry = _registry(tmp_path / "reg.csv", fleet)
    out = tmp_path / "out"
    try:
        proc = _start_run(["run", str(registry), "--db", db, "--out", str(out), *RUN_FAST],
                          env={"NOK_DB_RETRY_SECONDS": "2"})
        _wait(lambda: _done_sites(db) >= 2)
        stop_pg(pg_dir)
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 1, stderr
        assert "сервер базы данных недоступен" in stderr and "--resume" in stderr
        server = start_pg(pg_dir)                           # the same data, on a new port
        db = server + "/goes_away"
        stored = len(_results(db))
        assert 2 <= stored < FLEET
        resumed = run_cli(["run", "--resume", "--db", db, "--out", str(out)], out, timeout=300)
        assert resumed.code == 0, resumed.stderr
        keys = [k for _, k in _results(db)]
        assert len(keys) == FLEET and len(set(keys)) == FLEET
    finally:
        stop_pg(pg_dir)
        shutil.rmtree(pg_dir, ignore_errors=True)


@pytest.mark.parametrize("db,message", [
    ("mysql+nothing://x/y", "не распознан"),
    ("postgresql+psycopg://postgres@127.0.0.1:9/none", "сервер базы данных недоступен"),
])
def test_unusable_store_says_why(tmp_path, db, message):
    registry = tmp_path / "reg.csv"
    registry.write_text("Сайт\nhttp://127.0.0.79:9/\n", encoding="utf-8")
    result = run_cli(["run", str(registry), "--db", db, "--out", str(tmp_path), "--allow-private"], tmp_path)
    assert result.code == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_read_only_store_says_why(tmp_path):
    registry = tmp_path / "reg.csv"
    registry.write_text("Сайт\nhttp://127.0.0.79:9/\n", encoding="utf-8")
    path = tmp_path / "ro.db"
    _store(f"sqlite:///{path}").close()
    ro = f"sqlite:///file:{path}?mode=ro&uri=true"
    result = run_cli(["run", str(registry), "--db", ro, "--out", str(tmp_path), "--allow-private"], tmp_path)
    assert result.code == 2 and "только для чтения" in result.stderr, result.stderr


def test_ten_thousand_row_registry_is_checked_and_queued(tmp_path):
    from crawler.registry import load_registry
    from crawler.store import queue
    path = tmp_path / "big.csv"
    rows = [f"Организация {n};https://org{n}.example.ru/;Регион" for n in range(10_000)]
    rows[5000] = "Сломанная;ftp://bad;Регион"
    rows[7000] = rows[10]                                                # a duplicate
    path.write_text("Наименование;Сайт;Регион\n" + "\n".join(rows) + "\n", encoding="utf-8")
    checked = run_cli(["run", str(path), "--check-registry", "--out", str(tmp_path)], tmp_path)
    assert checked.code == 0 and "пригодных строк 9998" in checked.stdout
    assert "строка 5002" in checked.stderr and "строка 7002" in checked.stderr
    orgs, _ = load_registry(path)
    store = _store(f"sqlite:///{tmp_path / 'big.db'}")
    try:
        run_id = queue.create_run(store)
        assert queue.add_sites(store, run_id, orgs) == 9998
        assert queue.add_sites(store, run_id, orgs) == 0                  # queuing again adds nothing
        assert queue.progress(store, run_id).pending == 9998
    finally:
        store.close()


def test_xlsx_wrong_sheet_is_named(tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    book.active.title = "Пояснения"
    book.create_sheet("Реестр").append(["Сайт"])
    path = tmp_path / "reg.xlsx"
    book.save(path)
    result = run_cli(["run", str(path), "--check-registry", "--out", str(tmp_path)], tmp_path)
    assert result.code == 2 and "--sheet" in result.stderr and "Реестр" in result.stderr, result.stderr
    missing = run_cli(["run", str(path), "--sheet", "Нет", "--check-registry", "--out", str(tmp_path)], tmp_path)
    assert missing.code == 2 and "нет листа «Нет»" in missing.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MB tmpfs for the store (needs root and mount rights, as on the CI machine)."""
    where = tmp_path / "small"
    where.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield where
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.mark.parametrize("mode", [[], ["--process-per-site"]], ids=["workers", "process-per-site"])
def test_full_disk_under_the_store_loses_nothing(fleet, small_disk, tmp_path, mode):
    db = f"sqlite:///{small_disk / 'store.db'}"
    registry = _registry(tmp_path / "reg.csv", fleet)
    out = tmp_path / "out"
    first = run_cli(["run", str(registry), "--db", db, "--out", str(out), *RUN_FAST, *mode], out, timeout=300)
    assert first.code == 1, first.stderr
    assert "на диске базы нет места" in first.stderr and "--resume" in first.stderr
    stored = {k for _, k in _results(db)}
    assert 1 <= len(stored) < FLEET
    hits = {n: _home_hits(s) for n, s in fleet.items()}
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    resumed = run_cli(["run", "--resume", "--db", db, "--out", str(out), *mode], out, timeout=300)
    assert resumed.code == 0, resumed.stderr
    keys = [k for _, k in _results(db)]
    assert len(keys) == FLEET and len(set(keys)) == FLEET
    for n, server in fleet.items():                          # what was finished is never fetched again
        key = next(k for k in keys if k.startswith(f"127.0.0.{80 + n}"))
        if key in stored:
            assert _home_hits(server) == hits[n]
    assert "результат прежнего запуска занесён в базу" in resumed.stderr


def test_work_folders_are_matched_by_exact_site_key(tmp_path):
    from crawler.runs.local import WORK, work_entries
    work = tmp_path / WORK
    for name in ("a.ru.1", "a.ru.2", "a.ru.2.previous.json", "a.ru.example.1", "a.rux.1", "xa.ru.1"):
        (work / name).mkdir(parents=True) if not name.endswith(".json") else (work / name).write_text("{}")
    assert sorted(p.name for p in work_entries(tmp_path, "a.ru")) == ["a.ru.1", "a.ru.2", "a.ru.2.previous.json"]
    assert [p.name for p in work_entries(tmp_path, "a.ru.example")] == ["a.ru.example.1"]


def _statuses(url) -> dict[str, dict[str, str]]:
    from sqlalchemy import select

    from crawler.store.schema import Finding, Organisation, Result
    store = _store(url)
    try:
        with store.session() as s:
            out: dict[str, dict[str, str]] = {}
            for key, item, status in s.execute(select(Organisation.key, Finding.item_id, Finding.status)
                                               .join(Result, Result.org_id == Organisation.id)
                                               .join(Finding, Finding.result_id == Result.id)):
                out.setdefault(key, {})[item] = status
            return out
    finally:
        store.close()


def test_in_process_run_survives_sigkill_and_matches_process_per_site(db_url, fleet, tmp_path):
    """--in-process (the default; the flag is still accepted): worker processes audit --jobs sites at once.
    Killed mid-run and resumed, every site has one result, and the findings are those of the
    --process-per-site run."""
    registry = _registry(tmp_path / "reg.csv", fleet)
    out = tmp_path / "out"
    proc = _start_run(["run", str(registry), "--db", db_url, "--out", str(out), *RUN_FAST, "--in-process",
                       "--max-sites-per-process", "5"])
    _wait(lambda: _done_sites(db_url) >= 3)
    proc.send_signal(signal.SIGKILL)                # its worker process dies with it (PR_SET_PDEATHSIG)
    proc.wait(timeout=30)
    resumed = run_cli(["run", "--resume", "--db", db_url, "--out", str(out), "--jobs", "2", "--in-process"], out,
                      timeout=300)
    assert resumed.code == 0, resumed.stderr
    keys = [k for _, k in _results(db_url)]
    assert len(keys) == FLEET and len(set(keys)) == FLEET
    assert run_cli(["verify", str(out / "run-1" / keys[0])], out).code == 0

    separate = f"sqlite:///{tmp_path / 'per-site.db'}"
    assert run_cli(["run", str(registry), "--db", separate, "--out", str(tmp_path / "per-site"), *RUN_FAST,
                    "--process-per-site"], timeout=300).code == 0
    assert _statuses(db_url) == _statuses(separate)


def test_in_process_site_over_its_time_limit_is_dropped_and_the_rest_goes_on(sites, fleet, tmp_path):
    """kcson_broken keeps a page that answers after 20 s (longer than the request timeout here): with
    --site-time-limit 10 its worker process is replaced, the site is marked without result (retried by
    --resume), the other sites are audited. 10 s, not less, so a loaded machine still audits the good ones."""
    registry = _registry(tmp_path / "reg.csv", {0: fleet[0], 1: fleet[1]},
                         f"Сломанный;{sites['kcson_broken'].base_url}/;\n")
    db = f"sqlite:///{tmp_path / 'store.db'}"
    result = run_cli(["run", str(registry), "--db", db, "--out", str(tmp_path / "out"), *RUN_FAST, "--in-process",
                      "--timeout", "30", "--site-time-limit", "10"], tmp_path, timeout=300)
    assert result.code == 0, result.stderr
    assert "не уложился в предел 10 с" in result.stderr
    assert "результатов 2 из 3; без результата (предел времени или ошибка): 1" in result.stderr
    assert len(_results(db)) == 2


def test_a_run_stored_before_audit_plans_resumes_with_its_own_options(tmp_path):
    """A run stored by an older nok-audit keeps its sites' `check` options as a list: `run --resume` reads them
    with check's parser, stores them as the run's AuditPlan and audits the sites with exactly those options;
    options it cannot read are refused in Russian (exit 2), nothing fetched."""
    from crawler.plan import stored_plan
    from crawler.registry import load_registry
    from crawler.store import queue
    server = start_site(SITES / "kcson_full", "127.0.0.93")
    try:
        url = f"sqlite:///{tmp_path / 'old.db'}"
        orgs, _ = load_registry(_registry(tmp_path / "reg.csv", {0: server}))
        store = _store(url)
        try:
            old = ["--delay", "0", "--timeout", "5", "--no-browser", "--allow-private", "--max-pages", "3"]
            run_id = queue.create_run(store, check_args=old, out_dir=str(tmp_path / "out" / "run-1"))
            queue.add_sites(store, run_id, orgs)
            broken = queue.create_run(store, check_args=["--max-pages", "много"], out_dir=str(tmp_path / "b"))
        finally:
            store.close()

        refused = run_cli(["run", "--resume", str(broken), "--db", url], tmp_path)
        assert refused.code == 2 and "сохранённые прежней версией nok-audit, не прочитаны" in refused.stderr
        assert _home_hits(server) == 0

        resumed = run_cli(["run", "--resume", str(run_id), "--db", url, "--out", str(tmp_path / "out")], tmp_path,
                          timeout=300)
        assert resumed.code == 0, resumed.stderr
        store = _store(url)
        try:
            plan = stored_plan(queue.get_run(store, run_id).check_args)
            assert plan is not None and plan.crawl.max_pages == 3 and plan.browser is None and plan.crawl.allow_private
            assert queue.progress(store, run_id).with_result == 1
        finally:
            store.close()
        (key,) = [k for r, k in _results(url) if r == run_id]
        report = json.loads((tmp_path / "out" / "run-1" / key / "report.json").read_text(encoding="utf-8"))
        assert 1 <= report["crawl"]["pages"] <= 3
    finally:
        server.stop()
