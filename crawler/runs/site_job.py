"""One organisation's audit as a job of a stored run — what a Scrapyd node runs:

    scrapy crawl audit -a run=RUN -a site=SITE -a worker=TOKEN -a db=URL [-a plan=JSON]

The store says which site, and the run's `AuditPlan` (crawler/plan.py) says how: given as the `plan` argument
(the dispatcher and the in-process worker pass the run's plan) or read from the run in the store, so the job
needs nothing else and runs unchanged on any node. The dispatcher has claimed the site for `worker` before scheduling the
job; the job crawls with the run's politeness settings, then (after the crawl journal is written) evaluates
the checklist, runs the browser stage, writes the evidence pack into a node-local work folder and files it
into the store in the transaction that marks the site done — only if the site is still this worker's, so a
job that was given up on (node declared dead, site rescheduled elsewhere) can never add a second result.
"""
from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from scrapy import signals
from twisted.internet import task, threads

from crawler.audit import crawl_overrides, evaluate_and_report, spider_args
from crawler.exits import BadInput
from crawler.plan import AuditPlan, stored_plan
from crawler.runs.local import OUTCOME_TEXT, file_audit, work_folder
from crawler.scope import InvalidURL, parse_start_url
from crawler.store import StoreError, queue
from crawler.store.db import open_store
from crawler.store.results import report_of
from crawler.store.schema import RUNNING, Organisation, Run, RunSite

logger = logging.getLogger(__name__)
JOB_ARGS = ("run", "site", "worker", "db", "work", "plan")
RUN_DIR_ENV = "NOK_RUN_DIR"     # set by `run`'s worker processes: filed packs go to RUN_DIR/<site key>


def local_run_dir() -> Path | None:
    """The run folder when this process is a worker of a local `run` (on this machine), else None."""
    return Path(os.environ[RUN_DIR_ENV]) if os.environ.get(RUN_DIR_ENV) else None


class JobRefused(ValueError):
    """The job must not run (the site is not claimed by this worker any more, or the store is unusable)."""


def work_root() -> Path:
    """Node-local folder for the evidence packs being built (kept only when filing failed)."""
    return Path(os.environ.get("NOK_WORK_DIR") or Path(tempfile.gettempdir()) / "nok-audit-jobs")


class SiteJob:
    def __init__(self, crawler, store, claim, worker: str, work: Path, plan: AuditPlan, start_url: str,
                 command: list[str]):
        self.crawler, self.store, self.claim, self.worker, self.work = crawler, store, claim, worker, work
        self.plan, self.start_url, self.command = plan, start_url, command
        self.beat = None

    @classmethod
    def attach(cls, crawler, kwargs: dict) -> dict:
        """Set the crawler up for the job named by the spider arguments; the spider's own arguments."""
        job = {k: kwargs.pop(k, None) for k in JOB_ARGS}
        db = job["db"] or os.environ.get("NOK_DB")
        if not (job["run"] and job["site"] and job["worker"] and db):
            raise JobRefused("the job needs -a run=… -a site=… -a worker=… and -a db=… (or $NOK_DB)")
        try:
            store = open_store(db, migrate=False)
            with store.session() as s:
                site = s.get(RunSite, int(job["site"]))
                if site is None or site.run_id != int(job["run"]):
                    raise JobRefused(f"site {job['site']} is not in run {job['run']}")
                if site.status != RUNNING or site.worker != job["worker"]:
                    raise JobRefused(f"site {site.id} is not claimed by {job['worker']} (status {site.status})")
                org, run = s.get(Organisation, site.org_id), s.get(Run, site.run_id)
        except StoreError as exc:
            raise JobRefused(str(exc)) from None
        claim = queue.Claim(site.id, run.id, org.id, org.key, org.name, org.url, list(org.extra_hosts or []),
                            site.attempts, org.sector or "social")
        run_dir = local_run_dir()
        if run_dir is not None:             # where --process-per-site builds it too
            work = work_folder(run_dir, org.key, site.attempts)
        else:
            work = Path(job["work"] or work_root()) / f"run-{run.id}" / f"{org.key}.{site.attempts}"
        shutil.rmtree(work, ignore_errors=True)
        (work / "crawl").mkdir(parents=True)
        try:
            run_plan = AuditPlan.from_json(job["plan"]) if job["plan"] else stored_plan(run.check_args)
            if run_plan is None:
                raise BadInput("прогон сохранён прежней версией nok-audit: продолжите его командой "
                               f"nok-audit run --resume {run.id}")
            start_url, fallback = parse_start_url(org.url)
            plan = run_plan.for_site(org.url, str(work), org.sector or "social", org.name, org.extra_hosts or [])
            plan.report.validate(start_url)
        except (BadInput, InvalidURL) as exc:
            raise JobRefused(f"options of run {run.id}: {exc}") from None
        overrides = crawl_overrides(plan.crawl)
        overrides.pop("LOG_LEVEL")                      # the node's log keeps Scrapy's INFO lines
        crawler.settings.setdict({**overrides, "NOK_PROGRESS": False}, priority="cmdline")
        command = ["scrapy", "crawl", "audit", "-a", f"run={run.id}", "-a", f"site={site.id}"]
        self = cls(crawler, store, claim, job["worker"], work, plan, start_url, command)
        crawler.nok_site_job = self          # signal receivers are weak references: keep the job alive
        crawler.signals.connect(self._engine_started, signal=signals.engine_started)
        return {**kwargs, **spider_args(start_url, work / "crawl", plan.crawl, fallback, plan.report.checklist)}

    # -- lifecycle ----------------------------------------------------------------------------------------
    def _engine_started(self):
        self.beat = task.LoopingCall(lambda: threads.deferToThread(self._heartbeat))
        self.beat.start(30.0, now=False)
        # Connected only now, after the item pipeline's handler that writes the crawl journal, so it runs later.
        self.crawler.signals.connect(self._spider_closed, signal=signals.spider_closed)

    def _heartbeat(self):
        try:
            queue.heartbeat(self.store, self.worker)
        except StoreError as exc:
            logger.warning("heartbeat failed: %s", exc)

    def _spider_closed(self, spider, reason):
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        return threads.deferToThread(self.finish)

    def finish(self) -> None:
        """Evaluate, run the browser stage, write the reports, file the result (in a thread)."""
        try:
            previous_id = queue.previous_result_id(self.store, self.claim.org_id, self.claim.run_id)
            previous = report_of(self.store, previous_id) if previous_id is not None else None
            report = evaluate_and_report(self.work, self.plan.report, self.command, browser=self.plan.browser,
                                         accessibility=self.plan.accessibility, stored_controls=False,
                                         pdf=self.plan.pdf, previous=previous)[0]
            outcome = queue.CHECKED if report["crawl"]["entry_ok"] else queue.UNREACHABLE
            if not file_audit(self.store, self.claim, self.worker, self.work, outcome, OUTCOME_TEXT[outcome],
                              local_run_dir()):
                logger.warning("site %s was given to another worker meanwhile; this result is discarded",
                               self.claim.site_id)
            shutil.rmtree(self.work, ignore_errors=True)
        except Exception:
            logger.exception("the audit of %s failed", self.start_url)
            try:
                queue.retry_or_fail(self.store, self.claim, self.worker, "ошибка проверки на узле")
            except StoreError:
                pass
        finally:
            self.store.close()
