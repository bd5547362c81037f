"""Auditing every organisation of a run: `jobs` workers take sites from the run's queue in the store, each
site audited by its own process (crawler/runs/site_process.py, given the site's AuditPlan) with a wall-time
limit, so one site failing, hanging or
crashing never stops the run, and memory does not grow with the number of sites.

Nothing is lost on failure:
- a site's result enters the store in one transaction with its «done» mark (exactly one result per site);
- a check writes into a fresh work folder `.work/<site>.<attempt>`, moved to `<site>/` only once stored,
  so a half-finished audit is never mistaken for a finished one and is redone cleanly;
- if the database goes away, finished work folders stay on disk and `--resume` files them without
  fetching the site again;
- the check processes die with the runner (PR_SET_PDEATHSIG), so after a SIGKILL no orphan keeps writing.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from crawler.browser_pool import POOL_ENV, make_pool
from crawler.plan import AuditPlan
from crawler.store import StoreError, queue
from crawler.store.db import Store, is_connection_loss
from crawler.store.results import report_of, store_result
from reports.manifest import verify

EXIT_OUTCOME = {0: queue.CHECKED, 5: queue.CHECKED, 3: queue.UNREACHABLE}
OUTCOME_TEXT = {queue.CHECKED: "проверен", queue.UNREACHABLE: "не удалось проверить (сайт недоступен или закрыт robots.txt)",
                queue.TIMEOUT: "не уложился в предел времени", queue.FAILED: "ошибка проверки"}
WORK = ".work"
BROWSER_POOL = ".browsers"
DB_RETRY_SECONDS = float(os.environ.get("NOK_DB_RETRY_SECONDS", "60"))   # how long an outage is waited out


def die_with_parent() -> None:
    """In the child before exec: SIGKILL it when the runner dies (Linux prctl PR_SET_PDEATHSIG = 1)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
    except OSError:
        pass


def is_finished(folder: Path) -> bool:
    """A folder holding a complete evidence pack: report.json and a manifest.json that verifies."""
    return (folder / "report.json").exists() and (folder / "manifest.json").exists() and not verify(folder)


def work_entries(run_dir: Path, key: str) -> list[Path]:
    """A site's work folders and files (`<key>.<attempt>`, `<key>.<attempt>.previous.json`), newest first;
    matched exactly, so «a.ru» never takes «a.ru.example»'s."""
    work = Path(run_dir) / WORK
    if not work.is_dir():
        return []
    pattern = re.compile(re.escape(key) + r"\.\d+(\.previous\.json)?")
    return sorted((p for p in work.iterdir() if pattern.fullmatch(p.name)),
                  key=lambda p: p.stat().st_mtime, reverse=True)


def work_folder(run_dir: Path, key: str, attempt: int) -> Path:
    """Where a site's audit is built before it is filed (whichever mode audits it)."""
    return Path(run_dir) / WORK / f"{key}.{attempt}"


def ready_work(run_dir: Path, key: str) -> tuple[Path, str, str] | None:
    """A finished audit of this site that an earlier run could not file (database outage, full disk): its
    folder, outcome and note — filed instead of fetching the site again."""
    folder = next((p for p in work_entries(run_dir, key) if p.is_dir() and is_finished(p)), None)
    if folder is None:
        return None
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    outcome = queue.CHECKED if report["crawl"]["entry_ok"] else queue.UNREACHABLE
    return folder, outcome, OUTCOME_TEXT[outcome] + " (результат прежнего запуска занесён в базу)"


def file_audit(store: Store, claim: queue.Claim, worker: str, work: Path, outcome: str, note: str,
               run_dir: Path | None) -> bool:
    """Store a site's finished audit; once stored, its work folder becomes the site's folder in `run_dir` (None:
    a Scrapyd node, whose run folder is elsewhere). False when the site was given to another worker meanwhile."""
    if store_result(store, claim, worker, work, outcome, note) is None:
        return False
    if run_dir is not None:
        place_filed(run_dir, claim.key, work)
    return True


def place_filed(run_dir: Path, key: str, work: Path) -> None:
    """A filed site's work folder becomes its folder in the run (what the run's summary reads, so it is not
    written back from the store); leftovers of earlier attempts go."""
    final = Path(run_dir) / key
    shutil.rmtree(final, ignore_errors=True)
    work.replace(final)
    for extra in work_entries(run_dir, key):
        shutil.rmtree(extra, ignore_errors=True) if extra.is_dir() else extra.unlink(missing_ok=True)


@dataclass
class BatchState:
    """What the progress display and the final message need; updated by the workers."""
    total: int
    done_before: int
    done: int = 0
    failed: int = 0
    running: dict[str, Path] = field(default_factory=dict)      # site key -> its work folder
    lines: list[str] = field(default_factory=list)
    db_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pages_running(self) -> int:
        pages = 0
        for folder in list(self.running.values()):
            try:
                with open(folder / "crawl" / "pages.jsonl", "rb") as fh:
                    pages += sum(1 for _ in fh)
            except OSError:
                pass
        return pages


class Batch:
    def __init__(self, store: Store, run_id: int, run_dir: Path, plan: AuditPlan, jobs: int,
                 time_limit: float, browsers: int = 1):
        self.store, self.run_id, self.run_dir = store, run_id, Path(run_dir)
        # The check processes' browser stages share `browsers` Chromiums (crawler/browser_pool.py).
        self.env = {**os.environ, POOL_ENV: str(make_pool(self.run_dir / BROWSER_POOL, browsers))}
        self.plan, self.jobs, self.time_limit = plan, max(1, jobs), time_limit
        self.worker = queue.worker_id()
        self.stop = threading.Event()
        p = queue.progress(store, run_id)
        self.state = BatchState(total=p.total, done_before=p.done)

    # -- database calls that survive a short outage ------------------------------------------------------
    def _db(self, call, *args):
        deadline = time.monotonic() + DB_RETRY_SECONDS
        delay = 1.0
        while True:
            try:
                return call(*args)
            except StoreError as exc:
                if not is_connection_loss(exc.__cause__) or time.monotonic() > deadline or self.stop.is_set():
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 10.0)

    # -- one site ------------------------------------------------------------------------------------------
    def _audit(self, claim: queue.Claim) -> tuple[Path, str, str]:
        """Run the check of one site; (work folder, outcome, note)."""
        work = work_folder(self.run_dir, claim.key, claim.attempt)
        shutil.rmtree(work, ignore_errors=True)
        work.parent.mkdir(parents=True, exist_ok=True)
        previous, prev_file = self._db(queue.previous_result_id, self.store, claim.org_id, self.run_id), None
        if previous is not None:
            prev_file = self.run_dir / WORK / f"{claim.key}.{claim.attempt}.previous.json"
            prev_file.write_text(json.dumps(self._db(report_of, self.store, previous), ensure_ascii=False),
                                 encoding="utf-8")
        plan = self.plan.for_site(claim.url, str(work), claim.sector, claim.name, claim.extra_hosts,
                                  previous=str(prev_file) if prev_file else None)
        args = [sys.executable, "-m", "crawler.runs.site_process", plan.to_json(),
                f"run={self.run_id}", f"site={claim.key}"]
        with self.state.lock:
            self.state.running[claim.key] = work
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=self.time_limit, env=self.env,
                                  preexec_fn=die_with_parent)
        except subprocess.TimeoutExpired:
            return work, queue.TIMEOUT, (f"не уложился в предел {self.time_limit:g} с — будет проверен заново "
                                         "при запуске с --resume")
        finally:
            with self.state.lock:
                self.state.running.pop(claim.key, None)
        outcome = EXIT_OUTCOME.get(proc.returncode, queue.FAILED)
        note = OUTCOME_TEXT[outcome]
        if outcome == queue.FAILED:
            work.mkdir(parents=True, exist_ok=True)
            (work / "error.log").write_text(proc.stderr[-20000:], encoding="utf-8")
            last = (proc.stderr.strip().splitlines() or [""])[-1]
            note = f"ошибка проверки (код {proc.returncode}): {last[:300]}; журнал: {work / 'error.log'}"
        return work, outcome, note

    def _file(self, claim: queue.Claim, work: Path, outcome: str, note: str) -> None:
        """Store the result (or the reason there is none) and move the work folder into place."""
        if (work / "report.json").exists() and outcome in (queue.CHECKED, queue.UNREACHABLE):
            # False: released meanwhile (e.g. judged stale) — another worker owns it
            self._db(file_audit, self.store, claim, self.worker, work, outcome, note, self.run_dir)
        else:
            def mark():
                with self.store.session() as s:
                    queue.mark_done(s, claim, self.worker, outcome, note)
            self._db(mark)

    def _site(self, claim: queue.Claim) -> None:
        work, outcome, note = ready_work(self.run_dir, claim.key) or self._audit(claim)
        self._file(claim, work, outcome, note)
        with self.state.lock:
            self.state.done += 1
            if outcome not in (queue.CHECKED, queue.UNREACHABLE):
                self.state.failed += 1
            self.state.lines.append(f"{claim.name} ({claim.url}): {note}")

    # -- workers ------------------------------------------------------------------------------------------
    def _worker(self) -> None:
        while not self.stop.is_set():
            try:
                claim = self._db(queue.claim, self.store, self.run_id, self.worker)
            except StoreError as exc:
                self._fail(str(exc))
                return
            if claim is None:
                return
            try:
                self._site(claim)
            except StoreError as exc:
                self._fail(str(exc))
                return
            except Exception:
                try:
                    queue.release(self.store, claim, self.worker, "внутренняя ошибка — будет проверен заново")
                finally:
                    self.stop.set()
                raise

    def _fail(self, message: str) -> None:
        with self.state.lock:
            self.state.db_error = self.state.db_error or message
        self.stop.set()

    def _heartbeat(self) -> None:
        while not self.stop.wait(queue.HEARTBEAT_EVERY):
            try:
                queue.heartbeat(self.store, self.worker)
            except StoreError:
                pass                    # an outage: the workers report it

    def run(self, display) -> BatchState:
        beat = threading.Thread(target=self._heartbeat, daemon=True)
        beat.start()
        workers = [threading.Thread(target=self._worker, name=f"site-{n}") for n in range(self.jobs)]
        for w in workers:
            w.start()
        try:
            while any(w.is_alive() for w in workers):
                display.update(self.state)
                for w in workers:
                    w.join(timeout=0.5 / len(workers))
        finally:
            self.stop.set()
            display.update(self.state)
        return self.state


class LineDisplay:
    """Progress for logs and cron: one line per finished site."""

    def __init__(self):
        self.shown = 0
        self.started = time.monotonic()

    def update(self, state: BatchState) -> None:
        with state.lock:
            new, self.shown = state.lines[self.shown:], len(state.lines)
            done = state.done_before + state.done
        for line in new:
            print(f"  [{done}/{state.total}, {time.monotonic() - self.started:.0f} с] {line}", file=sys.stderr,
                  flush=True)

    def close(self) -> None:
        pass


class RichDisplay:
    """Progress on a terminal: a bar with sites done / running / failed and pages fetched."""

    def __init__(self):
        self.console = Console(stderr=True)
        self.progress = Progress(TextColumn("Сайты"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                                 TimeElapsedColumn(), console=self.console, transient=False)
        self.task = None
        self.shown = 0

    def update(self, state: BatchState) -> None:
        with state.lock:
            new, self.shown = state.lines[self.shown:], len(state.lines)
            done, running, failed = state.done_before + state.done, len(state.running), state.failed
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("sites", total=state.total, info="")
        for line in new:
            self.progress.console.print("  " + line, markup=False, highlight=False)
        self.progress.update(self.task, completed=done,
                             info=f"идёт {running}, с ошибкой {failed}, страниц сейчас {state.pages_running()}")

    def close(self) -> None:
        if self.task is not None:
            self.progress.stop()


def display_for_terminal():
    return RichDisplay() if sys.stderr.isatty() else LineDisplay()
