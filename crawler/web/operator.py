"""The operator's pages: upload a registry (row errors shown before anything starts), start `nok-audit run`
in a subprocess, watch the runs of the store (those started from the CLI or the schedule too), open each
organisation's report and the batch summary, resume an interrupted run with one button.

Everything is read from the store (`crawler/store/`), so the pages show the same as `nok-audit runs`; the run
itself is the CLI's `run` in its own process session, so it outlives a restart of the web server.
"""
from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from crawler.registry import RegistryError, load_registry, refuse_private
from crawler.store import StoreError, queue
from crawler.store.db import default_db_url, open_store
from crawler.store.results import materialize, results_of
from crawler.web.pack import listed, pack_file
from crawler.web.security import csrf_ok

MAX_REGISTRY_BYTES = 5 * 1024 * 1024
REGISTRY_TYPES = (".csv", ".xlsx")
UPLOADS = "uploads"
WEB_CACHE = ".web-cache"          # evidence packs written from the store to be shown
_UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
OUTCOME_TEXT = {"checked": "проверен", "unreachable": "недоступен", "failed": "ошибка", "": ""}


def private_rows(orgs, allow_private: bool) -> list[str]:
    """Registry rows the page refuses: the registry's own rule for addresses in the server's network, judged
    without DNS here (IP literals and localhost); the run started from the page resolves the rest itself."""
    return [] if allow_private else refuse_private(orgs, resolve=False)[1]


class Operator:
    def __init__(self, config, page, not_found):
        self.config = config
        self.page = page
        self.not_found = not_found
        self.out = Path(config.out)
        self.uploads = self.out / UPLOADS
        self.procs: list[subprocess.Popen] = []
        self.store = None

    # -- store access (synchronous SQLAlchemy, run in a thread) ------------------------------------------------
    def open(self) -> None:
        self.store = open_store(self.config.db or default_db_url(self.out))

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    async def _db(self, fn, *args):
        try:
            return await asyncio.to_thread(fn, self.store, *args)
        except StoreError as exc:
            raise StoreDown(str(exc)) from None

    def _reap(self) -> list[int]:
        """PIDs of the runs this server started that are still going."""
        self.procs = [p for p in self.procs if p.poll() is None]
        return [p.pid for p in self.procs]

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        command = [sys.executable, "-m", "crawler.cli", "run", *args, "--out", str(self.out)]
        if self.config.db:
            command += ["--db", self.config.db]
        if self.config.allow_private:      # the page already let such rows through (serve --allow-private)
            command.append("--allow-private")
        self.uploads.mkdir(parents=True, exist_ok=True)
        with open(self.uploads / log_name, "ab") as log:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True)       # outlives a restart of the server
        self.procs.append(proc)
        return proc

    # -- pages ---------------------------------------------------------------------------------------------
    async def runs(self, request: Request, status: int = 200, **context):
        runs = await self._db(queue.list_runs)
        return self.page(request, "runs.html", status, runs=list(reversed(runs)), **context)

    async def upload(self, request: Request):
        if int(request.headers.get("content-length") or 0) > MAX_REGISTRY_BYTES + 64 * 1024:
            return await self.runs(request, 413, error="файл реестра больше 5 МБ — разделите его на части")
        form = await request.form(max_files=1, max_fields=5)
        if not csrf_ok(request, form):
            return self.page(request, "error.html", 403, title="Форма устарела",
                             message="Форма отправлена без действующего ключа защиты (CSRF). Откройте "
                                     "страницу заново и повторите.")
        file = form.get("registry")
        if file is None or not getattr(file, "filename", ""):
            return await self.runs(request, 400, error="выберите файл реестра (CSV или XLSX)")
        suffix = Path(file.filename).suffix.lower()
        if suffix not in REGISTRY_TYPES:
            return await self.runs(request, 400, error=f"файл «{file.filename}»: реестр принимается только "
                                   "в формате CSV или XLSX")
        data = await file.read(MAX_REGISTRY_BYTES + 1)
        if len(data) > MAX_REGISTRY_BYTES:
            return await self.runs(request, 413, error="файл реестра больше 5 МБ — разделите его на части")
        upload_id = secrets.token_hex(8)
        self.uploads.mkdir(parents=True, exist_ok=True)
        path = self.uploads / f"{upload_id}{suffix}"
        path.write_bytes(data)
        try:
            orgs, problems = await asyncio.to_thread(load_registry, path)
        except RegistryError as exc:
            path.unlink()
            return await self.runs(request, 400, error=f"реестр: {exc}")
        refused = private_rows(orgs, self.config.allow_private)
        return await self.runs(request, 200, upload=upload_id, upload_name=file.filename,
                               orgs=orgs, problems=problems + refused, blocked=bool(refused))

    async def start(self, request: Request):
        form = await request.form()
        if not csrf_ok(request, form):
            return self.page(request, "error.html", 403, title="Форма устарела",
                             message="Форма отправлена без действующего ключа защиты (CSRF).")
        upload_id = str(form.get("upload", ""))
        found = [p for p in self.uploads.glob(f"{upload_id}.*")] if _UPLOAD_ID.match(upload_id) else []
        if not found:
            return await self.runs(request, 400, error="загруженный реестр не найден — загрузите его снова")
        orgs, _ = await asyncio.to_thread(load_registry, found[0])
        if private_rows(orgs, self.config.allow_private):
            return await self.runs(request, 400, error="в реестре есть адреса внутренней сети — исправьте их")
        try:
            jobs = int(form.get("jobs", "2"))
        except ValueError:
            jobs = 0
        if not 1 <= jobs <= 16:
            return await self.runs(request, 400, error="сайтов одновременно — от 1 до 16")
        options = list(self.config.run_options)
        if form.get("browser") != "on" and "--no-browser" not in options:
            options.append("--no-browser")
        registry = found[0].resolve()
        self._spawn([str(registry), "--jobs", str(jobs), "--site-time-limit", f"{self.config.site_time_limit:g}",
                     *options], f"{upload_id}.log")
        # The run appears in the store within a second or two: open its page.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            runs = await self._db(queue.list_runs)
            mine = [r for r, _ in runs if r.registry_file == str(registry)]
            if mine:
                return RedirectResponse(f"/runs/{mine[-1].id}", status_code=303)
            await asyncio.sleep(0.3)
        return RedirectResponse("/runs", status_code=303)

    async def run(self, request: Request):
        run_id = request.path_params["run"]
        run = await self._db(queue.get_run, run_id)
        if run is None:
            return await self.not_found(request, None)
        ours = bool(self._reap())           # first: a run of ours that was killed is collected, not a zombie
        progress, gone = await self._running(run_id)
        sites = await self._db(queue.sites_of, run_id)
        results = {r.run_site_id: r for r, _ in await self._db(_results, run_id)}
        summary = Path(run.out_dir or "") / "summary" / "summary.html"
        elapsed = (_aware(run.finished_at or datetime.now(timezone.utc)) - _aware(run.started_at)).total_seconds()
        left = progress.pending + progress.running
        eta = round(elapsed / progress.done * left) if progress.done and left else None
        # Interrupted: nothing of this server's and no live worker anywhere is auditing its sites.
        resumable = (run.status == queue.RUN_ACTIVE and run.kind == "audit" and not ours
                     and progress.running == len(gone))
        return self.page(request, "run.html", run=run, progress=progress, sites=sites, results=results,
                         has_summary=summary.is_file(), eta=eta, resumable=resumable, gone=gone,
                         active=run.status == queue.RUN_ACTIVE, outcome_text=OUTCOME_TEXT)

    async def _running(self, run_id: int):
        """(progress, {site id: worker} of its running sites whose worker is gone — killed with a server, a
        machine or by hand; they wait for «Продолжить»)."""
        progress = await self._db(queue.progress, run_id)
        return progress, await self._db(queue.gone_sites, run_id)

    async def resume(self, request: Request):
        run_id = request.path_params["run"]
        form = await request.form()
        if not csrf_ok(request, form):
            return self.page(request, "error.html", 403, title="Форма устарела",
                             message="Форма отправлена без действующего ключа защиты (CSRF).")
        run = await self._db(queue.get_run, run_id)
        if run is None:
            return await self.not_found(request, None)
        if run.status == queue.RUN_ACTIVE and not self._reap():
            progress, gone = await self._running(run_id)
            if progress.running == len(gone):       # no live worker (e.g. a run that outlived a restart) on it
                self._spawn(["--resume", str(run_id)], f"resume-{run_id}.log")
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    async def site_file(self, request: Request):
        """A file of an organisation's stored evidence pack, written from the store on first view."""
        result_id = request.path_params["result"]
        folder = self.out / WEB_CACHE / f"result-{result_id}"
        if not listed(folder):
            try:
                await asyncio.to_thread(materialize, self.store, result_id, folder)
            except StoreError:
                return await self.not_found(request, None)
        response = pack_file(folder, request.path_params.get("path") or "report.html", listed(folder))
        return response if response is not None else await self.not_found(request, None)

    async def summary_file(self, request: Request):
        run = await self._db(queue.get_run, request.path_params["run"])
        folder = Path(run.out_dir) / "summary" if run is not None and run.out_dir else None
        rel = request.path_params.get("path") or "summary.html"
        allowed = {"summary.html", "summary.csv", "summary.xlsx"}
        response = pack_file(folder, rel, allowed) if folder is not None else None
        return response if response is not None else await self.not_found(request, None)

    def routes(self) -> list[Route]:
        return [Route("/runs", self.runs), Route("/runs/registry", self.upload, methods=["POST"]),
                Route("/runs/start", self.start, methods=["POST"]),
                Route("/runs/{run:int}", self.run), Route("/runs/{run:int}/resume", self.resume, methods=["POST"]),
                Route("/runs/{run:int}/summary/", self.summary_file),
                Route("/runs/{run:int}/summary/{path:path}", self.summary_file),
                Route("/results/{result:int}/report/", self.site_file),
                Route("/results/{result:int}/report/{path:path}", self.site_file)]


class StoreDown(RuntimeError):
    """The store could not be read; the message is Russian."""


def _results(store, run_id):
    return results_of(store, run_id)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)

