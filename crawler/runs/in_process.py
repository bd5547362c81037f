"""A worker process that audits many sites of a stored run at once (`nok-audit run`'s default mode):

    python -m crawler.runs.in_process --db URL --run RUN --jobs 2 --max-sites 100 --site-time-limit 1800

One Twisted reactor, up to `jobs` site crawls in parallel (each with its own politeness, as a site job of
crawler/runs/site_job.py that files its own result), new sites claimed from the run's queue as others finish.
The interpreter, Scrapy and nok-audit are loaded once instead of once per site. The process ends after
`max_sites` sites so that memory never accumulates (the runner starts a fresh one), and a site that
overruns `site_time_limit` is marked done without result and the process exits: a hung site cannot be
cancelled inside the process, only with it; the other sites it was auditing go back to the queue without
losing an attempt. A site tried before (its worker died while auditing it) is audited alone in its worker.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.reactor import install_reactor

from crawler.audit import crawl_overrides
from crawler.browser_pool import POOL_ENV, make_pool
from crawler.plan import stored_plan
from crawler.runs.local import (BROWSER_POOL, BatchState, die_with_parent, display_for_terminal, file_audit,
                                ready_work, work_folder)
from crawler.runs.node import SPIDER
from crawler.runs.site_job import RUN_DIR_ENV, local_run_dir
from crawler.store import StoreError, queue
from crawler.store.db import Store, open_store

EXIT_RECYCLE = 0      # queue empty or max_sites reached
EXIT_OVERRUN = 3      # a site overran its wall-time limit; the process stopped to drop it
EXIT_STORE = 4        # the store failed: no more sites are claimed


def run_worker(db: str, run_id: int, jobs: int, max_sites: int, site_time_limit: float) -> int:
    store = open_store(db, migrate=False)
    run = queue.get_run(store, run_id)
    plan = stored_plan(run.check_args)
    if plan is None:            # `run --resume` converts an older run before starting workers
        print(f"Ошибка: прогон {run_id} сохранён прежней версией nok-audit: nok-audit run --resume {run_id}",
              file=sys.stderr)
        return EXIT_STORE
    # Process-wide parts (reactor, DNS pins, logging) follow the run's plan; each site's job gets the same plan.
    settings = Settings()       # not get_project_settings(): that finds the project from the current folder
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict({**crawl_overrides(plan.crawl), "NOK_PROGRESS": False}, priority="cmdline")
    install_reactor(settings["TWISTED_REACTOR"])      # before anything imports the default reactor
    plan_json = plan.to_json()
    # The reactor module exists only once install_reactor has chosen it.
    from twisted.internet import defer, reactor
    process = CrawlerProcess(settings)
    started: dict[int, tuple[float, queue.Claim, str]] = {}        # site id -> (start, claim, worker)
    state = {"launched": 0, "store_error": False}
    lock = threading.Lock()
    run_dir = local_run_dir()

    def file_ready(claim: queue.Claim, worker: str) -> bool:
        """File the site's finished audit that an earlier run could not store; False when there is none."""
        ready = ready_work(run_dir, claim.key) if run_dir else None
        if ready is None:
            return False
        file_audit(store, claim, worker, *ready, run_dir)
        return True

    def launch() -> None:
        try:
            while not state["store_error"] and len(started) < jobs and state["launched"] < max_sites:
                # A site tried before may be what killed its last worker: it runs alone, so that if it does it
                # again it takes no other site down with it.
                if any(c.attempt > 1 for _, c, _ in started.values()):
                    break
                worker = f"{queue.worker_id()}:site"
                claim = queue.claim(store, run_id, worker, first_attempt=bool(started))
                if claim is None:
                    break
                if file_ready(claim, worker):
                    continue
                state["launched"] += 1
                with lock:
                    started[claim.site_id] = (time.monotonic(), claim, worker)
                # a job that cannot even start fails as a Deferred too, so its site is done, not held forever
                d = defer.maybeDeferred(process.crawl, SPIDER, run=str(run_id), site=str(claim.site_id),
                                        worker=worker, db=db, plan=plan_json)
                d.addBoth(finished, claim.site_id)
        except StoreError as exc:
            print(f"Ошибка: {exc}", file=sys.stderr)
            state["store_error"] = True
        if not started:
            reactor.stop()

    def finished(result, site_id: int):
        with lock:
            _, claim, worker = started.pop(site_id)
        if hasattr(result, "getTraceback"):     # the job could not start (e.g. the run's options are invalid)
            message = result.getErrorMessage()
            print(f"site {site_id}: {message}", file=sys.stderr)
            try:
                with store.session() as s:      # done without result, or it would be claimed again forever
                    queue.mark_done(s, claim, worker, queue.FAILED, f"проверка не запущена: {message[:300]}")
            except StoreError:
                pass
        reactor.callLater(0, launch)
        return None

    def watchdog() -> None:
        while True:
            time.sleep(1.0)
            with lock:
                late = [(sid, c, w) for sid, (t, c, w) in started.items() if time.monotonic() - t > site_time_limit]
            if late:
                overrun(late)

    def overrun(late) -> None:
        """Drop the late sites with the process; the others it holds go back to the queue."""
        try:
            with lock:
                state["launched"] = max_sites               # no new site enters a process about to end
                late_ids = {sid for sid, _, _ in late}
                others = [(c, w) for sid, (_, c, w) in started.items() if sid not in late_ids]
            for _sid, claim, worker in late:
                with store.session() as s:
                    queue.mark_done(s, claim, worker, queue.TIMEOUT,
                                    f"не уложился в предел {site_time_limit:g} с — будет проверен заново при "
                                    "запуске с --resume")
            for claim, worker in others:                    # not their fault: queued again without losing a try
                queue.release(store, claim, worker, "прерван из-за другого сайта — будет проверен заново",
                              refund=True)
        except StoreError as exc:       # the runner releases what is left (charged, as after a crash)
            print(f"Ошибка: {exc}", file=sys.stderr)
        finally:
            os._exit(EXIT_OVERRUN)

    threading.Thread(target=watchdog, daemon=True).start()
    reactor.callWhenRunning(launch)
    # Ctrl-C reaches the whole process group: the runner stops the workers. Scrapy's own handler would close
    # the crawls in flight gracefully, and their half-crawled sites would be filed as audited.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    process.start(stop_after_crawl=False, install_signal_handlers=False)
    store.close()
    return EXIT_STORE if state["store_error"] else EXIT_RECYCLE


def store_reason(log: Path) -> str:
    """The store's own reason a worker gave for stopping (its last «Ошибка: …» line in the log), or ''."""
    try:
        with open(log, "rb") as fh:
            fh.seek(max(0, fh.seek(0, os.SEEK_END) - 64_000))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    lines = [line for line in tail.splitlines() if line.startswith("Ошибка: ")]
    return lines[-1].removeprefix("Ошибка: ") if lines else ""


def shares(jobs: int, processes: int) -> list[int]:
    """`jobs` sites at once split over at most `processes` workers, as evenly as possible."""
    n = max(1, min(jobs, processes))
    return [jobs // n + (i < jobs % n) for i in range(n)]


def wait_for_any(procs: list[subprocess.Popen], timeout: float) -> None:
    """Return when one of the workers has ended, or after `timeout` s (polled: cheap, and wakes promptly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and all(proc.poll() is None for proc in procs):
        time.sleep(0.02)


def run_in_process(store: Store, run_id: int, run_dir: Path, *, jobs: int, processes: int, max_sites: int,
                   site_time_limit: float, browsers: int) -> None:
    """`jobs` sites at once for the whole run, audited by up to `processes` worker processes (`run_worker`
    above), each running its share; a worker is replaced when it ends (after --max-sites-per-process sites,
    after a site overran its limit, or when it crashed), its unfinished sites going back to the queue."""
    command = [sys.executable, "-m", "crawler.runs.in_process", "--db", store.url, "--run", str(run_id),
               "--max-sites", str(max_sites), "--site-time-limit", str(site_time_limit)]
    env = {**os.environ, RUN_DIR_ENV: str(run_dir),
           POOL_ENV: str(make_pool(run_dir / BROWSER_POOL, browsers))}
    p = queue.progress(store, run_id)
    state = BatchState(total=p.total, done_before=p.done)
    display = display_for_terminal()
    seen = {row[0] for row in queue.finished_sites(store, run_id, None)}
    since = None
    share = shares(jobs, processes)
    slots: list[subprocess.Popen | None] = [None] * len(share)
    try:
        with open(run_dir / "worker.log", "ab") as log:
            while True:
                ended = [n for n, proc in enumerate(slots) if proc is not None and proc.poll() is not None]
                if any(slots[n].returncode == EXIT_STORE for n in ended):
                    queue.progress(store, run_id)       # raises the store's own reason when the runner sees it too
                    raise StoreError(store_reason(run_dir / "worker.log") or "база недоступна из рабочего "
                                     f"процесса (подробности в {run_dir / 'worker.log'}); продолжите с --resume")
                for n in ended:
                    slots[n] = None
                if ended:
                    queue.release_stale(store, run_id)            # the sites the ended workers left unfinished
                p = queue.progress(store, run_id)
                # a new worker per free slot, as long as more sites wait than the running workers take
                for n, proc in enumerate(slots):
                    if proc is None and p.pending > sum(share[m] for m, q in enumerate(slots) if q is not None):
                        slots[n] = subprocess.Popen([*command, "--jobs", str(share[n])], stdout=log, stderr=log,
                                                    env=env, preexec_fn=die_with_parent)
                with state.lock:
                    # Another process may commit a site stamped a little earlier than the last one seen.
                    window = since - timedelta(minutes=5) if since else None
                    for site_id, name, url, outcome, note, at in queue.finished_sites(store, run_id, window):
                        since = max(since, at) if since else at
                        if site_id in seen:
                            continue
                        seen.add(site_id)
                        state.done += 1
                        state.failed += outcome in queue.RETRIED_ON_RESUME
                        state.lines.append(f"{name} ({url}): {note}")
                    state.running = {key: work_folder(run_dir, key, attempt)
                                     for key, attempt in queue.running_sites(store, run_id)}
                display.update(state)
                procs = [proc for proc in slots if proc is not None]
                if not procs and p.pending == 0 and p.running == 0:
                    break
                wait_for_any(procs, 0.5)
    finally:
        for proc in slots:
            if proc is not None and proc.poll() is None:
                proc.kill()
        display.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m crawler.runs.in_process", description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--jobs", type=int, default=4)
    p.add_argument("--max-sites", type=int, default=200)
    p.add_argument("--site-time-limit", type=float, default=1800.0)
    a = p.parse_args(argv)
    return run_worker(a.db, a.run, a.jobs, a.max_sites, a.site_time_limit)


if __name__ == "__main__":
    code = main()
    # Everything is filed and the store closed: skip the interpreter's teardown of Scrapy & co (≈ 0.2 s that the
    # runner would wait for at the end of every batch).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
