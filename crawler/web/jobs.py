"""Self-check audits started from the web page: each one a `nok-audit check` subprocess, at most
`max_parallel` at once (the rest wait in a queue), each killed at the site time limit.

The web server never audits in its own process: a crawl (Scrapy, Chromium) that hangs or eats memory must
not take the page down with it. Progress is read from what the check process writes anyway — the crawl's
append-only pages.jsonl and the files that appear stage by stage — so the check needs no extra channel.
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from checklists.model.control import SCREENSHOTS
from checklists.model.crawl import DOCUMENTS, JOURNAL, PAGES
from checklists.urls import host_key
from crawler.audit import CRAWL_SUBDIR, EXIT_OK, EXIT_UNREACHABLE
from reports.atomic_file import write_atomically
from reports.manifest import MANIFEST_NAME

AUDIT_DIR = "audit"          # the evidence pack inside a job's folder; job.json and check.log sit beside it
JOB_FILE = "job.json"
LOG_FILE = "check.log"
STAGES = ("очередь", "обход", "проверка требований", "контрольные проверки", "отчёт", "готово")


@dataclass
class Job:
    id: str
    url: str
    sector: str
    created: float
    status: str = "queued"        # queued | running | done | failed
    code: int | None = None
    message: str = ""             # Russian: why it failed, or a note on a finished audit
    started: float | None = None
    finished: float | None = None
    browser: bool = True


def _count_lines(path: Path) -> int:
    try:
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 16), b""))
    except OSError:
        return 0


def _first_error(log: Path) -> str:
    """The check's own Russian message from its log («Ошибка: …»), never a traceback."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.removeprefix("Ошибка: ") for line in lines if line.startswith("Ошибка: ")), "")


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    """The check and what it started (its Chromium): it runs in its own process group."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class Jobs:
    def __init__(self, root: Path, check_options: list[str], max_parallel: int, site_time_limit: float):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.check_options = check_options
        self.browser = "--no-browser" not in check_options
        self.site_time_limit = site_time_limit
        self.slots = asyncio.Semaphore(max_parallel)
        self.jobs: dict[str, Job] = {}
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.tasks: set[asyncio.Task] = set()
        self._load()

    def _load(self) -> None:
        """Finished self-checks of earlier server runs stay viewable; one cut off by a restart is failed."""
        for path in sorted(self.root.glob(f"*/{JOB_FILE}")):
            try:
                job = Job(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
            if job.status in ("queued", "running"):
                job.status, job.message = "failed", "проверка прервана перезапуском сервера — запустите её снова"
                self._save(job)
            self.jobs[job.id] = job

    def folder(self, job: Job) -> Path:
        return self.root / job.id

    def audit_dir(self, job: Job) -> Path:
        return self.folder(job) / AUDIT_DIR

    def _save(self, job: Job) -> None:
        write_atomically(self.folder(job) / JOB_FILE, json.dumps(asdict(job), ensure_ascii=False))

    def previous_report(self, url: str) -> Path | None:
        """The report.json of the last finished self-check of the same site: «что изменилось»."""
        key = host_key(url)
        done = [j for j in self.jobs.values() if j.status == "done" and host_key(j.url) == key]
        for job in sorted(done, key=lambda j: j.created, reverse=True):
            path = self.audit_dir(job) / "report.json"
            if path.is_file():
                return path
        return None

    def submit(self, url: str, sector: str, resolve: str = "") -> Job:
        job = Job(id=secrets.token_hex(8), url=url, sector=sector, created=time.time(), browser=self.browser)
        self.folder(job).mkdir(parents=True)
        previous = self.previous_report(url)
        self.jobs[job.id] = job
        self._save(job)
        task = asyncio.get_running_loop().create_task(self._run(job, resolve, previous))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return job

    def _command(self, job: Job, resolve: str, previous: Path | None) -> list[str]:
        command = [sys.executable, "-m", "crawler.cli", "check", job.url, "--out", str(self.audit_dir(job)),
                   "--sector", job.sector, *self.check_options]
        if resolve:                      # the address the private-address guard approved, not a second lookup
            command += ["--resolve", resolve]
        if previous is not None:
            command += ["--previous", str(previous)]
        return command

    async def _run(self, job: Job, resolve: str, previous: Path | None) -> None:
        async with self.slots:
            job.status, job.started = "running", time.time()
            self._save(job)
            log = open(self.folder(job) / LOG_FILE, "wb")
            try:
                proc = await asyncio.create_subprocess_exec(
                    *self._command(job, resolve, previous), stdin=asyncio.subprocess.DEVNULL, stdout=log,
                    stderr=log, env={**os.environ, "PYTHONWARNINGS": "ignore"}, start_new_session=True)
                self.procs[job.id] = proc
                try:
                    job.code = await asyncio.wait_for(proc.wait(), self.site_time_limit)
                except asyncio.TimeoutError:
                    _kill_group(proc)
                    await proc.wait()
                    job.code = None
                    job.message = f"проверка не уложилась в {self.site_time_limit:g} с и остановлена"
            except OSError as exc:
                job.message = f"не удалось запустить проверку: {exc.strerror}"
            finally:
                log.close()
                self.procs.pop(job.id, None)
            job.finished = time.time()
            audit_ok = (self.audit_dir(job) / MANIFEST_NAME).is_file()
            if job.code in (EXIT_OK, EXIT_UNREACHABLE) and audit_ok:
                job.status = "done"
                if job.code == EXIT_UNREACHABLE:
                    job.message = "сайт недоступен: отчёт составлен, все пункты — «не удалось проверить»"
            else:
                job.status = "failed"
                job.message = job.message or _first_error(self.folder(job) / LOG_FILE) or \
                    "проверка завершилась с ошибкой (подробности — в журнале сервера)"
            self._save(job)

    def progress(self, job: Job) -> dict:
        """What the page shows: stage, pages and documents fetched so far, seconds elapsed."""
        audit = self.audit_dir(job)
        crawl = audit / CRAWL_SUBDIR
        if job.status == "queued":
            # Ahead of this one: the checks running now and those queued before it.
            ahead = sum(1 for j in self.jobs.values()
                        if j.status == "running" or (j.status == "queued" and j.created < job.created))
            stage = "очередь"
        elif job.status in ("done", "failed"):
            ahead, stage = 0, "готово"
        elif not (crawl / JOURNAL).is_file():
            ahead, stage = 0, "обход"
        elif not (audit / "report.json").is_file():
            # Evaluating the checklist takes about a second after crawl.json; the browser stage follows it
            # (its first screenshot proves it has begun).
            in_browser = job.browser and ((audit / SCREENSHOTS).is_dir()
                                          or time.time() - (crawl / JOURNAL).stat().st_mtime > 2)
            ahead, stage = 0, "контрольные проверки" if in_browser else "проверка требований"
        else:
            ahead, stage = 0, "отчёт"
        since = job.started or job.created
        return {"status": job.status, "stage": stage, "pages": _count_lines(crawl / PAGES),
                "documents": _count_lines(crawl / DOCUMENTS), "queue_ahead": ahead,
                "elapsed": round((job.finished or time.time()) - since), "message": job.message}

    async def close(self) -> None:
        """Server shutdown: stop the checks still running (their jobs are marked failed on the next start)."""
        for proc in list(self.procs.values()):
            if proc.returncode is None:
                _kill_group(proc)
        for task in list(self.tasks):
            task.cancel()
