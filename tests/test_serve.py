"""`nok-audit serve`, as a person uses it: the real server started as a subprocess on loopback, real HTTP,
real Chromium filling the self-check form, audits of the demo site served on loopback."""
from __future__ import annotations

import asyncio
import http.cookiejar
import io
import json
import os
import re
import secrets
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import NOK_AUDIT, run_cli

from crawler.demo import serve_demo_site
from reports.labels import STATUS_WORD

ROOT = Path(__file__).parent.parent
# A short politeness delay so the crawl lasts long enough for its progress to be seen; no browser stage.
CHECK_OPTIONS = "--check-options=--delay 0.1 --timeout 5 --no-browser"
SCREENSHOTS = ROOT / "docs" / "img"


class Server:
    def __init__(self, out: Path, ip: str, *extra: str):
        self.proc = subprocess.Popen([*NOK_AUDIT, "serve", "--host", ip, "--port", "0", "--out", str(out),
                                      CHECK_OPTIONS, *extra], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        line = self.proc.stdout.readline()
        found = re.search(r"(http://\S+?)/(\?token=(\S+))?\s", line)
        assert found, f"no address printed: {line!r} {self.proc.stderr.read() if self.proc.poll() is not None else ''}"
        self.base, self.token = found.group(1), found.group(3) or ""
        self.out = out

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


class Client:
    """urllib with cookies (the token and CSRF cookies), never following redirects."""

    def __init__(self, base: str, headers: dict | None = None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.headers = headers or {}

    def request(self, path: str, form: dict | None = None) -> tuple[int, dict, bytes]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, headers=self.headers)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()

    def upload(self, path: str, fields: dict, file_field: str, file: Path) -> tuple[int, dict, bytes]:
        """A multipart/form-data POST, as the page's file form sends it."""
        boundary = secrets.token_hex(12)
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{file.name}"'
                     f'\r\nContent-Type: application/octet-stream\r\n\r\n'.encode() + file.read_bytes() + b"\r\n")
        req = urllib.request.Request(self.base + path, data=b"".join(parts) + f"--{boundary}--\r\n".encode(),
                                     headers={**self.headers,
                                              "Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()

    def csrf(self) -> str:
        status, _, body = self.request("/")
        assert status == 200
        return re.search(rb'name="csrf" value="([^"]+)"', body).group(1).decode()


@pytest.fixture(scope="module")
def demo_url():
    server, url = serve_demo_site("127.0.0.231")
    yield url
    server.shutdown()


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    """Loopback, no token, --allow-private: the tests audit loopback sites."""
    server = Server(tmp_path_factory.mktemp("serve"), "127.0.0.230", "--allow-private")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory):
    """Loopback with a token and without --allow-private."""
    server = Server(tmp_path_factory.mktemp("serve-guarded"), "127.0.0.232", "--token", "sekret-123")
    yield server
    server.stop()


def test_non_loopback_bind_without_token_refuses_to_start():
    run = run_cli(["serve", "--host", "0.0.0.0", "--port", "0"], timeout=60)
    assert run.code == 2
    assert "--token" in run.stderr and "доступен из сети" in run.stderr
    assert "Traceback" not in run.stderr


def test_bad_check_options_refused_at_start():
    run = run_cli(["serve", "--check-options=--max-pages many"], timeout=60)
    assert run.code == 2 and "--check-options" in run.stderr and "Traceback" not in run.stderr


def test_print_unit_is_a_systemd_service_for_these_options():
    run = run_cli(["serve", "--print-unit", "--host", "10.1.2.3", "--port", "9000", "--max-parallel", "3"],
                  timeout=60)
    assert run.code == 0
    assert "[Service]" in run.stdout and "WantedBy=multi-user.target" in run.stdout
    exec_line = next(line for line in run.stdout.splitlines() if line.startswith("ExecStart="))
    assert "serve --host 10.1.2.3 --port 9000" in exec_line and "--max-parallel 3" in exec_line
    assert "NOK_SERVE_TOKEN=" in run.stdout          # a network bind needs its token in the unit


def test_requests_without_the_token_get_401(guarded_server):
    assert guarded_server.token == "sekret-123"
    anonymous = Client(guarded_server.base)
    for path in ("/", "/health", "/static/style.css", "/check/0123456789abcdef"):
        assert anonymous.request(path)[0] == 401, path
    assert anonymous.request("/", {"address": "kcson.ru"})[0] == 401
    assert Client(guarded_server.base, {"Authorization": "Bearer wrong"}).request("/health")[0] == 401
    status, _, body = Client(guarded_server.base, {"Authorization": "Bearer sekret-123"}).request("/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    # The address printed at start: the token moves into a cookie and out of the address.
    browser = Client(guarded_server.base)
    status, headers, _ = browser.request("/?token=sekret-123")
    assert status == 303 and "token" not in headers["location"]
    assert browser.request("/")[0] == 200


def test_form_post_without_csrf_is_refused(guarded_server):
    client = Client(guarded_server.base, {"Authorization": "Bearer sekret-123"})
    client.csrf()                                     # the CSRF cookie is set, but the form does not carry it
    status, _, body = client.request("/check", {"address": "kcson.ru", "sector": "social"})
    assert status == 403 and "CSRF" in body.decode()
    status, _, _ = client.request("/check", {"address": "kcson.ru", "sector": "social", "csrf": "forged"})
    assert status == 403
    assert not list((guarded_server.out / "selfcheck").glob("*/job.json"))


def test_private_address_is_refused_without_allow_private(guarded_server, demo_url):
    client = Client(guarded_server.base, {"Authorization": "Bearer sekret-123"})
    for address in (demo_url, "http://localhost:8080/", "http://10.0.0.1/", "http://[::1]/"):
        status, _, body = client.request("/check", {"address": address, "sector": "social", "csrf": client.csrf()})
        text = body.decode()
        assert status == 400, address
        assert "внутреннюю сеть" in text and "role=\"alert\"" in text, address
    assert not list((guarded_server.out / "selfcheck").glob("*/job.json"))


def test_a_reserved_sector_is_refused(open_server):
    client = Client(open_server.base)
    status, _, body = client.request("/check", {"address": "kcson.ru", "sector": "culture", "csrf": client.csrf()})
    assert status == 400 and "сфера пока не поддерживается" in body.decode()
    home = client.request("/")[2].decode()
    assert '<option value="education">Образование</option>' in home
    assert '<option value="culture" disabled>Культура (скоро)</option>' in home


def _collect_events(url: str, events: list, done: threading.Event) -> None:
    """Read the job's SSE stream as a browser's EventSource would, recording (event, data)."""
    with urllib.request.urlopen(url, timeout=120) as resp:
        assert resp.headers["content-type"].startswith("text/event-stream")
        name = ""
        for raw in resp:
            line = raw.decode().rstrip("\r\n")
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line[5:])))
                if name == "done":
                    break
    done.set()


async def _self_check_in_chromium(server: Server, demo_url: str, shots: Path, downloads: Path):
    from crawler.control.browser import chromium, site_context

    async with chromium() as browser:
        async with site_context(browser, block_resources=False, viewport={"width": 1200, "height": 900}) as context:
            page = await context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            # The refused form answers 400 on purpose; Chromium logs that status as a console error.
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 400" not in m.text
                    else None)
            await page.goto(server.base + "/")
            # An invalid address: a Russian message on the page, the typed text kept in the field.
            await page.fill("#address", "htp:/bad")
            await page.click("button[type=submit]")
            error = await page.text_content("#error")
            assert "схема «htp:» не поддерживается" in error
            assert await page.input_value("#address") == "htp:/bad"
            for width in (360, 1200):
                await page.set_viewport_size({"width": width, "height": 900})
                await page.screenshot(path=str(shots / f"serve-home-{width}.png"), full_page=True)
            await page.set_viewport_size({"width": 1200, "height": 900})

            await page.fill("#address", demo_url)
            clicked = time.monotonic()
            await page.click("button[type=submit]")
            await page.wait_for_url(re.compile(r"/check/[0-9a-f]{16}$"))
            job_url = page.url
            events, done = [], threading.Event()
            reader = threading.Thread(target=_collect_events, args=(job_url + "/events", events, done), daemon=True)
            reader.start()
            # progress.js reloads the page when the audit is done: the result section appears.
            await page.wait_for_selector("#report-link", timeout=180_000)
            elapsed = time.monotonic() - clicked
            fix_items = await page.locator("ol.fix li").count()
            for width in (360, 1200):
                await page.set_viewport_size({"width": width, "height": 900})
                await page.screenshot(path=str(shots / f"serve-result-{width}.png"), full_page=True)
            done.wait(60)
            async with page.expect_download() as download:
                await page.click("#xlsx-link")
            xlsx = downloads / (await download.value).suggested_filename
            await (await download.value).save_as(xlsx)

            response = await page.goto(job_url + "/report/")
            csp = response.headers["content-security-policy"]
            items = await page.locator(".item-name").count()
            overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            for width in (360, 1200):
                await page.set_viewport_size({"width": width, "height": 900})
                await page.screenshot(path=str(shots / f"serve-report-{width}.png"))
            return {"errors": errors, "job_url": job_url, "events": events, "elapsed": elapsed, "xlsx": xlsx,
                    "fix_items": fix_items, "csp": csp, "items": items, "overflow": overflow}


def test_self_check_from_the_page_shows_progress_then_the_report(open_server, demo_url, tmp_path):
    shots = SCREENSHOTS if os.environ.get("NOK_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    seen = asyncio.run(_self_check_in_chromium(open_server, demo_url, shots, tmp_path))
    assert seen["errors"] == []
    print(f"«Проверить» → result on the page: {seen['elapsed']:.1f} s")

    progress = [data for name, data in seen["events"] if name == "progress"]
    assert seen["events"] and seen["events"][-1] == ("done", {"status": "done"})
    stages = [p["stage"] for p in progress]
    order = ["очередь", "обход", "проверка требований", "контрольные проверки", "отчёт", "готово"]
    assert stages == sorted(stages, key=order.index), stages          # stages only ever move forward
    assert "обход" in stages and stages[-1] == "готово"
    assert progress[-1]["pages"] >= 10 and progress[-1]["status"] == "done"
    assert [p["pages"] for p in progress] == sorted(p["pages"] for p in progress)

    assert seen["fix_items"] >= 1                        # the fix-first list heads the result
    assert seen["items"] >= 20                           # the full report with its items
    assert "default-src 'none'" in seen["csp"] and "script-src" not in seen["csp"]
    assert seen["overflow"] <= 0
    for shot in shots.glob("serve-*.png"):
        assert shot.stat().st_size > 5000

    # The XLSX the page offers is the organisation's row of the operator's summary.xlsx, cell for cell.
    audit = open_server.out / "selfcheck" / seen["job_url"].rsplit("/", 1)[1] / "audit"
    report = json.loads((audit / "report.json").read_text(encoding="utf-8"))
    assert seen["xlsx"].name.startswith("nok-audit-127.0.0.231-") and seen["xlsx"].suffix == ".xlsx"
    own = openpyxl.load_workbook(seen["xlsx"])["Сводка"]
    header, row = ([c.value for c in r] for r in own.iter_rows(max_row=2))
    assert own.max_row == 2 and header[:4] == ["Организация", "Сайт", "Статус обхода", "Исайт"]
    assert row[:2] == [report["site"]["name"], report["site"]["final_url"]] and row[0]
    assert row[3:5] == [report["summary"]["site_share_1_1"]["found"], report["summary"]["site_share_1_1"]["norm"]]
    statuses = {f"({it['id']})": it["status"] for it in report["items"]}
    cells = {h[h.rindex("("):]: v for h, v in zip(header, row) if h.endswith(tuple(statuses))}
    assert len(cells) == len(statuses) >= 20
    assert {k: v.split(",")[0] for k, v in cells.items()} == {k: STATUS_WORD[st] for k, st in statuses.items()}
    summary_dir = tmp_path / "summary"
    assert run_cli(["report", str(audit), "--out", str(summary_dir)], timeout=60).code == 0
    operator = openpyxl.load_workbook(summary_dir / "summary.xlsx")["Сводка"]
    assert [[c.value for c in r] for r in operator.iter_rows()] == [header, row]

    # The evidence pack as a ZIP verifies after unpacking.
    status, headers, body = Client(open_server.base).request(seen["job_url"].removeprefix(open_server.base)
                                                             + "/evidence.zip")
    assert status == 200 and headers["content-type"] == "application/zip"
    unpacked = tmp_path / "pack"
    zipfile.ZipFile(io.BytesIO(body)).extractall(unpacked)
    assert (unpacked / "manifest.json").is_file() and (unpacked / "report.html").is_file()
    verified = run_cli(["verify", str(unpacked)], timeout=60)
    assert verified.code == 0, verified.stdout
    # A file of the pack outside its manifest is never served.
    status, _, _ = Client(open_server.base).request(seen["job_url"].removeprefix(open_server.base)
                                                    + "/report/../job.json")
    assert status == 404


async def _registry_run_in_chromium(server: Server, registry: Path) -> dict:
    from crawler.control.browser import chromium, site_context

    async with chromium() as browser:
        async with site_context(browser, block_resources=False) as context:
            page = await context.new_page()
            await page.goto(server.base + "/runs")
            await page.set_input_files("#registry", str(registry))
            await page.click("form[action='/runs/registry'] button")
            row_errors = await page.text_content("#row-errors")
            rows_ok = await page.text_content("#rows-ok")
            await page.uncheck("input[name=browser]")
            await page.click("#start-run")
            await page.wait_for_url(re.compile(r"/runs/\d+$"))
            run_url = page.url
            # The run page refreshes itself until the run is finished.
            await page.wait_for_selector("#run-state[data-status=finished]", timeout=120_000)
            reports = await page.locator("a.report-link").count()
            async with page.expect_navigation():          # a click does not wait for the page it opens
                await page.click("#summary-link")
            summary_title = await page.title()
            await page.goto(run_url)
            async with page.expect_navigation():
                await page.locator("a.report-link").first.click()
            items = await page.locator(".item-name").count()
            await page.goto(server.base + "/runs")
            listed_runs = await page.locator("table.runs tbody tr").count()
            return {"row_errors": row_errors, "rows_ok": rows_ok, "reports": reports, "summary": summary_title,
                    "items": items, "runs": listed_runs}


def test_registry_upload_shows_row_errors_then_the_run_completes(open_server, sites, tmp_path):
    registry = tmp_path / "reestr.csv"
    registry.write_text("Наименование;Сайт\n"
                        f"КЦСОН полный;{sites['kcson_full'].base_url}/\n"
                        f"КЦСОН в windows-1251;{sites['kcson_1251'].base_url}/\n"
                        "Плохой адрес;htp:/bad\n", encoding="utf-8")
    seen = asyncio.run(_registry_run_in_chromium(open_server, registry))
    assert "строка 4" in seen["row_errors"] and "htp:" in seen["row_errors"]
    assert seen["rows_ok"] == "2"
    assert seen["reports"] == 2                      # one result per valid row, the bad row never queued
    assert "Сводка" in seen["summary"] or "сводка" in seen["summary"].lower()
    assert seen["items"] >= 20
    assert seen["runs"] >= 1


def test_upload_of_another_file_type_is_refused(open_server, tmp_path):
    client = Client(open_server.base)
    token = client.csrf()
    boundary = "----nok"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"registry\"; filename=\"reestr.exe\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\nMZ\r\n"
            f"--{boundary}--\r\n").encode()
    req = urllib.request.Request(open_server.base + "/runs/registry", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        client.opener.open(req, timeout=30)
        raise AssertionError("accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400 and "только в формате CSV или XLSX" in exc.read().decode()


def _run_page(client: Client, run_id: int) -> str:
    status, _, body = client.request(f"/runs/{run_id}")
    assert status == 200
    return body.decode()


def _wait_for(predicate, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def test_interrupted_cli_run_appears_and_is_resumed_from_the_page(sites, tmp_path):
    import signal

    out = tmp_path / "out"
    registry = tmp_path / "reestr.csv"
    registry.write_text("Наименование;Сайт\n" + "".join(f"{name};{sites[name].base_url}/\n" for name in
                                                         ("kcson_full", "kcson_1251", "kcson_broken")),
                        encoding="utf-8")
    server = Server(out, "127.0.0.233", "--allow-private")
    try:
        # A run started from the command line, killed with its check after the first site.
        run = subprocess.Popen([*NOK_AUDIT, "run", str(registry), "--out", str(out), "--jobs", "1", "--delay",
                                "0.3", "--timeout", "5", "--no-browser", "--allow-private"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
        client = Client(server.base)
        _wait_for(lambda: client.request("/runs/1")[0] == 200 and 'id="done">1<' in _run_page(client, 1))
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        page = _wait_for(lambda: (lambda html: html if 'id="resume"' in html else None)(_run_page(client, 1)), 30)
        assert 'data-status="active"' in page and "прерван" in page
        status, headers, _ = client.request("/runs/1/resume", {"csrf": client.csrf()})
        assert status == 303 and headers["location"] == "/runs/1"
        page = _wait_for(lambda: (lambda html: html if 'data-status="finished"' in html else None)(_run_page(client, 1)))
        assert 'id="done">3<' in page
        assert page.count('class="report-link"') == 3          # one result per site, none twice
        assert 'id="resume"' not in page
    finally:
        server.stop()


def _counts(page: str) -> dict[str, int]:
    return {name: int(n) for name, n in re.findall(r'<b id="(done|running|interrupted|pending)">(\d+)<', page)}


def _run_sites(out: Path) -> dict[str, tuple[str, str, int]]:
    """{site URL: (status, worker, results filed)} of run 1, from the store."""
    from sqlalchemy import func, select

    from crawler.store.db import open_store
    from crawler.store.schema import Organisation, Result, RunSite
    store = open_store(f"sqlite:///{out / 'nok-audit.db'}", migrate=False)
    try:
        with store.session() as s:
            filed = dict(s.execute(select(Result.run_site_id, func.count()).group_by(Result.run_site_id)).all())
            return {url: (status, worker, filed.get(site_id, 0)) for site_id, url, status, worker in s.execute(
                select(RunSite.id, Organisation.url, RunSite.status, RunSite.worker)
                .join(Organisation, Organisation.id == RunSite.org_id).where(RunSite.run_id == 1))}
    finally:
        store.close()


def test_server_killed_mid_run_then_restarted_shows_the_run_and_resumes_it(sites, tmp_path):
    """A run started from the page outlives a SIGKILL of `serve` (it runs in its own session); the restarted
    server shows it going on. Killed too (as a machine or cgroup stop would), it is shown interrupted with the
    right counts, and «Продолжить» finishes it: one result per site, finished sites not fetched again."""
    import signal

    names = ("kcson_full", "kcson_1251", "kcson_robots", "kcson_decoys", "kcson_moved_target")
    out, registry = tmp_path / "out", tmp_path / "reestr.csv"
    registry.write_text("Наименование;Сайт\n" + "".join(f"{n};{sites[n].base_url}/\n" for n in names),
                        encoding="utf-8")
    slow = "--check-options=--delay 0.3 --timeout 5 --no-browser"     # each site takes a few seconds
    server = Server(out, "127.0.0.234", "--allow-private", slow)
    try:
        client = Client(server.base)
        status, _, body = client.upload("/runs/registry", {"csrf": client.csrf()}, "registry", registry)
        assert status == 200, body.decode()
        upload = re.search(rb'name="upload" value="([0-9a-f]{16})"', body).group(1).decode()
        status, headers, _ = client.request("/runs/start", {"csrf": client.csrf(), "upload": upload, "jobs": "1"})
        assert status == 303 and headers["location"] == "/runs/1"
        _wait_for(lambda: _counts(_run_page(client, 1)).get("done", 0) >= 1)

        server.proc.kill()                                   # the web server dies, not gracefully
        server.proc.wait()
        server = Server(out, "127.0.0.234", "--allow-private", slow)
        client = Client(server.base)
        # The run went on by itself: the page shows a site being audited and no «Продолжить».
        page = _wait_for(lambda: (lambda html: html if _counts(html).get("running") == 1 else None)(
            _run_page(client, 1)), 60)
        assert 'data-status="active"' in page and 'id="resume"' not in page
        worker = next(w for st, w, _ in _run_sites(out).values() if st == "running")
        run_pid = int(worker.split(":")[1])
        assert run_pid != server.proc.pid

        # now the run and its workers die too (the worker holding the site is in the run's process group)
        os.killpg(os.getpgid(run_pid), signal.SIGKILL)
        before = _run_sites(out)
        hits = {url: len(sites[n].requests) for n in names for url in [f"{sites[n].base_url}/"]}
        done = {url for url, (st, _, _) in before.items() if st == "done"}
        assert 1 <= len(done) < len(names), before
        page = _wait_for(lambda: (lambda html: html if 'id="resume"' in html else None)(_run_page(client, 1)), 30)
        cut = sum(st == "running" for st, _, _ in before.values())
        assert _counts(page) == {"done": len(done), "running": 0, "pending": len(names) - len(done) - cut,
                                 **({"interrupted": cut} if cut else {})}
        assert "прерван" in page and page.count('class="report-link"') == len(done)

        status, headers, _ = client.request("/runs/1/resume", {"csrf": client.csrf()})
        assert status == 303 and headers["location"] == "/runs/1"
        page = _wait_for(lambda: (lambda html: html if 'data-status="finished"' in html else None)(
            _run_page(client, 1)), 180)
        assert _counts(page)["done"] == len(names) and page.count('class="report-link"') == len(names)
        after = _run_sites(out)
        assert {url: filed for url, (_, _, filed) in after.items()} == {url: 1 for url in before}  # one result each
        for n in names:
            url = f"{sites[n].base_url}/"
            if url in done:
                assert len(sites[n].requests) == hits[url], f"{n} was fetched again"
            else:
                assert len(sites[n].requests) > hits[url], f"{n} was not audited after «Продолжить»"
    finally:
        server.stop()


def test_a_second_check_of_the_same_site_shows_what_changed(open_server, demo_url):
    client = Client(open_server.base)

    def check() -> Path:
        status, headers, _ = client.request("/check", {"address": demo_url, "sector": "social", "csrf": client.csrf()})
        assert status == 303
        job_path = headers["location"]
        _wait_for(lambda: 'id="report-link"' in client.request(job_path)[2].decode()
                  or "Проверка не выполнена" in client.request(job_path)[2].decode())
        return open_server.out / "selfcheck" / job_path.rsplit("/", 1)[1] / "audit"

    check()
    second = check()
    report = json.loads((second / "report.json").read_text(encoding="utf-8"))
    assert report["changes"] is not None
    assert "Изменения с прошлой проверки" in (second / "report.html").read_text(encoding="utf-8")


def test_with_the_browser_stage_the_page_offers_a_valid_pdf(demo_url, tmp_path):
    # The demo site links to bus.gov.ru and vk.com: offline, the browser never leaves loopback.
    server = Server(tmp_path / "out", "127.0.0.234", "--allow-private",
                    "--check-options=--delay 0 --timeout 5 --offline --check-timeout 10 --no-accessibility")
    try:
        client = Client(server.base)
        status, headers, _ = client.request("/check", {"address": demo_url, "sector": "social", "csrf": client.csrf()})
        assert status == 303
        job = headers["location"]
        events, done = [], threading.Event()
        threading.Thread(target=_collect_events, args=(server.base + job + "/events", events, done),
                         daemon=True).start()
        assert done.wait(300)
        stages = [data["stage"] for name, data in events if name == "progress"]
        assert "контрольные проверки" in stages and stages[-1] == "готово", stages
        page = client.request(job)[2].decode()
        assert 'id="pdf-link"' in page
        status, headers, pdf = client.request(job + "/report/report.pdf")
        assert status == 200 and headers["content-type"] == "application/pdf" and pdf.startswith(b"%PDF-")
        status, _, body = client.request(job + "/evidence.zip")
        unpacked = tmp_path / "pack"
        zipfile.ZipFile(io.BytesIO(body)).extractall(unpacked)
        assert (unpacked / "report.pdf").read_bytes() == pdf
        assert run_cli(["verify", str(unpacked)], timeout=60).code == 0
    finally:
        server.stop()


def test_at_most_max_parallel_audits_run_and_each_stops_at_the_time_limit(demo_url, tmp_path):
    server = Server(tmp_path / "out", "127.0.0.235", "--allow-private", "--max-parallel", "1",
                    "--site-time-limit", "4", "--check-options=--delay 1 --timeout 5 --no-browser")
    try:
        client = Client(server.base)
        jobs = []
        for _ in range(2):
            status, headers, _ = client.request("/check", {"address": demo_url, "sector": "social",
                                                           "csrf": client.csrf()})
            assert status == 303
            jobs.append(headers["location"])
        second = client.request(jobs[1])[2].decode()
        assert 'data-status="queued"' in second and "перед вами в очереди: 1" in second
        health = json.loads(client.request("/health")[2])
        assert health["running"] == 1 and health["queued"] == 1
        for job in jobs:
            page = _wait_for(lambda: (lambda html: html if "Проверка не выполнена" in html else None)(
                client.request(job)[2].decode()), 60)
            assert "не уложилась в 4 с" in page
        assert json.loads(client.request("/health")[2])["running"] == 0
    finally:
        server.stop()


def test_site_text_is_escaped_on_the_result_page(open_server, tmp_path):
    from sitesrv import start_site

    folder = tmp_path / "xss"
    folder.mkdir()
    (folder / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<title>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; КЦСОН</title></head>"
        "<body><h1>КЦСОН</h1><a href='/o-nas/'>О нас</a></body></html>", encoding="utf-8")
    site = start_site(folder, "127.0.0.236")
    try:
        client = Client(open_server.base)
        status, headers, _ = client.request("/check", {"address": site.base_url + "/", "sector": "social",
                                                       "csrf": client.csrf()})
        assert status == 303
        page = _wait_for(lambda: (lambda html: html if 'id="report-link"' in html else None)(
            client.request(headers["location"])[2].decode()), 120)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert" not in page and "<img src=x" not in page
    finally:
        site.stop()


def test_registry_rows_in_the_private_network_are_refused_without_allow_private(guarded_server, tmp_path):
    client = Client(guarded_server.base, {"Authorization": "Bearer sekret-123"})
    token = client.csrf()
    registry = "Наименование;Сайт\nПубличный;https://kcson-example.ru/\nВнутренний;http://10.1.2.3/\n"
    boundary = "----nok"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"registry\"; filename=\"reestr.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{registry}\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(guarded_server.base + "/runs/registry", data=body,
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                                          "Authorization": "Bearer sekret-123"})
    page = client.opener.open(req, timeout=30).read().decode()
    assert "строка 3 (Внутренний)" in page and "во внутреннюю сеть" in page
    assert 'id="start-run"' not in page                    # nothing can start from this registry


def test_a_check_cut_off_by_a_server_restart_says_so_and_leaves_no_process(demo_url, tmp_path):
    out = tmp_path / "out"
    server = Server(out, "127.0.0.237", "--allow-private", "--check-options=--delay 1 --timeout 5 --no-browser")
    client = Client(server.base)
    status, headers, _ = client.request("/check", {"address": demo_url, "sector": "social", "csrf": client.csrf()})
    assert status == 303
    job = headers["location"]
    _wait_for(lambda: 'data-status="running"' in client.request(job)[2].decode(), 30)
    server.stop()
    audit_dir = str(out / "selfcheck" / job.rsplit("/", 1)[1] / "audit")
    left = subprocess.run(["pgrep", "-f", audit_dir], capture_output=True, text=True).stdout.split()
    assert left == []                                      # the check and its children were stopped
    again = Server(out, "127.0.0.237", "--allow-private")
    try:
        page = Client(again.base).request(job)[2].decode()
        assert "прервана перезапуском сервера" in page and 'href="/"' in page
    finally:
        again.stop()
