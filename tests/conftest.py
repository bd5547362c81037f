"""Shared fixtures: the loopback test sites and audits run the way a user runs them (the CLI)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pgserver import bindir, pg_folder  # noqa: E402
from pgserver import start as start_pg  # noqa: E402
from pgserver import stop as stop_pg  # noqa: E402
from sitesrv import SiteServer, dead_url, start_all, start_site  # noqa: E402

SITES = Path(__file__).parent / "sites"
NOK_AUDIT = [sys.executable, "-m", "crawler.cli"]
# Loopback servers answer in microseconds: no politeness delay, short timeouts. Crawl and checklist tests
# skip the browser stage; tests of the browser stage run it explicitly (offline: never leave loopback).
FAST = ["--delay", "0", "--timeout", "5", "--quiet", "--no-browser"]
BROWSER = ["--delay", "0", "--timeout", "5", "--quiet", "--offline", "--check-timeout", "10"]


@dataclass
class AuditRun:
    code: int
    stdout: str
    stderr: str
    out: Path

    @property
    def report(self) -> dict:
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))

    @property
    def html(self) -> str:
        return (self.out / "report.html").read_text(encoding="utf-8")

    def item(self, item_id: str) -> dict:
        return next(i for i in self.report["items"] if i["id"] == item_id)


def run_cli(args: list[str], out: Path | None = None, timeout: float = 180) -> AuditRun:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run([*NOK_AUDIT, *args], capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=Path(__file__).parent.parent)
    return AuditRun(proc.returncode, proc.stdout, proc.stderr, out)


@contextmanager
def kcson_copies(folder: Path, count: int, first_octet: int):
    """`count` editable copies of tests/sites/kcson_full in `folder`, served on 127.0.0.<first_octet + n>;
    {n: SiteServer}, stopped at the end."""
    servers = {}
    try:
        for n in range(count):
            copy = folder / f"kcson_{n:02d}"
            shutil.copytree(SITES / "kcson_full", copy)
            servers[n] = start_site(copy, f"127.0.0.{first_octet + n}")
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="session")
def sites() -> dict[str, SiteServer]:
    servers = start_all(SITES)
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def audit(sites, tmp_path_factory):
    """audit(name, *extra_args) -> AuditRun; each distinct audit runs once per session."""
    cache: dict[tuple, AuditRun] = {}

    def run(name: str, *extra: str) -> AuditRun:
        key = (name, *extra)
        if key not in cache:
            out = tmp_path_factory.mktemp(name)
            url = sites[name].base_url + "/"
            cache[key] = run_cli(["check", url, "--out", str(out), *FAST, *extra], out)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def dead_site_url() -> str:
    return dead_url("127.0.0.3")


def expected(name: str) -> dict:
    return json.loads((SITES / name / "_expected.json").read_text(encoding="utf-8"))


async def open_in_chromium(path: Path, then=None):
    """Open a local report in real Chromium; (console errors, dialogs, what `then(page)` returns)."""
    from crawler.control.browser import chromium, site_context

    async with chromium() as browser:
        async with site_context(browser, block_resources=False) as context:
            page = await context.new_page()
            errors, dialogs = [], []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            async def dismiss(dialog):
                dialogs.append(dialog.message)
                await dialog.dismiss()
            page.on("dialog", dismiss)
            await page.goto(path.as_uri())
            result = await then(page) if then is not None else None
            return errors, dialogs, result


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    """A PostgreSQL server on loopback: the one .ci/run started (NOK_TEST_PG), else one of our own."""
    if os.environ.get("NOK_TEST_PG"):
        yield os.environ["NOK_TEST_PG"]
        return
    if bindir() is None:
        if os.environ.get("NOK_REQUIRE_PG"):
            pytest.fail("PostgreSQL is required (NOK_REQUIRE_PG) but not installed")
        pytest.skip("PostgreSQL is not installed")
    folder = pg_folder()
    url = start_pg(folder)
    yield url
    stop_pg(folder)
    shutil.rmtree(folder, ignore_errors=True)
