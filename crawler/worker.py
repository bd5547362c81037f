"""A worker process that audits many sites of a stored run at once (`nok-audit run --in-process`):

    python -m crawler.worker --db URL --run RUN --jobs 4 --max-sites 200 --site-time-limit 1800

One Twisted reactor, up to `jobs` site crawls in parallel (each with its own politeness, as a site job of
crawler/site_job.py that files its own result), new sites claimed from the run's queue as others finish.
The interpreter, Scrapy and nok-audit are loaded once instead of once per site. The process ends after
`max_sites` sites so that memory never accumulates (the runner starts a fresh one), and a site that
overruns `site_time_limit` is marked done without result and the process exits: a hung site cannot be
cancelled inside the process, only with it; the sites it was auditing go back to the queue.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

EXIT_RECYCLE = 0      # queue empty or max_sites reached
EXIT_OVERRUN = 3      # a site overran its wall-time limit; the process stopped to drop it
EXIT_STORE = 4        # the store failed: no more sites are claimed


def run_worker(db: str, run_id: int, jobs: int, max_sites: int, site_time_limit: float) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.audit import crawl_overrides
    from crawler.cli import check_plan
    from crawler.spiders.audit import AuditSpider
    from crawler.store import StoreError, queue
    from crawler.store.db import open_store

    store = open_store(db, migrate=False)
    run = queue.get_run(store, run_id)
    # Process-wide parts (reactor, DNS pins, logging) follow the run's options; each site's crawler gets the
    # same options again from its job.
    overrides = crawl_overrides(check_plan("http://example.invalid/", os.devnull, list(run.check_args)).options)
    settings = get_project_settings()
    settings.setdict({**overrides, "NOK_PROGRESS": False}, priority="cmdline")
    from scrapy.utils.reactor import install_reactor
    install_reactor(settings["TWISTED_REACTOR"])      # before anything imports the default reactor
    from twisted.internet import reactor
    process = CrawlerProcess(settings)
    started: dict[int, tuple[float, queue.Claim, str]] = {}        # site id -> (start, claim, worker)
    state = {"launched": 0, "store_error": False}
    lock = threading.Lock()

    def launch() -> None:
        try:
            while not state["store_error"] and len(started) < jobs and state["launched"] < max_sites:
                worker = f"{queue.worker_id()}:site"
                claim = queue.claim(store, run_id, worker)
                if claim is None:
                    break
                state["launched"] += 1
                with lock:
                    started[claim.site_id] = (time.monotonic(), claim, worker)
                d = process.crawl(AuditSpider, run=str(run_id), site=str(claim.site_id), worker=worker, db=db)
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
                for _sid, claim, worker in late:
                    with store.session() as s:
                        queue.mark_done(s, claim, worker, queue.TIMEOUT,
                                        f"не уложился в предел {site_time_limit:g} с — будет проверен заново при "
                                        "запуске с --resume")
                os._exit(EXIT_OVERRUN)

    threading.Thread(target=watchdog, daemon=True).start()
    reactor.callWhenRunning(launch)
    process.start(stop_after_crawl=False)
    store.close()
    return EXIT_STORE if state["store_error"] else EXIT_RECYCLE


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m crawler.worker", description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--run", type=int, required=True)
    p.add_argument("--jobs", type=int, default=4)
    p.add_argument("--max-sites", type=int, default=200)
    p.add_argument("--site-time-limit", type=float, default=1800.0)
    a = p.parse_args(argv)
    return run_worker(a.db, a.run, a.jobs, a.max_sites, a.site_time_limit)


if __name__ == "__main__":
    sys.exit(main())
