"""One organisation's audit, start to finish: crawl → stored crawl → evaluate → reports.

Each stage is its own function, so a stored crawl can be evaluated again (`nok-audit evaluate`).
"""
from __future__ import annotations

import asyncio
import json
import logging
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from checklists.engine import evaluate
from checklists.loading import load_checklist
from checklists.methodology import load_methodology
from checklists.model.control import AccessibilityResult
from checklists.operator_data import load_operator_data
from crawler import __version__
from crawler.browser_pool import browser_slot
from crawler.control.accessibility import check_accessibility
from crawler.control.browser import BrowserUnavailable, chromium, site_context
from crawler.control.pdf import PDF_NAME, render_pdf
from crawler.control.stage import (ControlOptions, browser_guard, control_site, load_controls, offline_route,
                                   save_controls)
from crawler.crawlstore import load_crawl
from crawler.exits import EXIT_OK, EXIT_UNREACHABLE, BadInput
from crawler.plan import AuditPlan, CrawlOptions, ReportOptions
from crawler.scope import parse_start_url
from crawler.settings import user_agent
from crawler.site_spider import SiteSpider
from reports.atomic_file import write_atomically
from reports.manifest import page_capture_times, write_manifest
from reports.markdown import write_markdown
from reports.render import build_report, terminal_summary, write_reports
from reports.summary import report_problem

CRAWL_SUBDIR = "crawl"


def crawl_overrides(options: CrawlOptions) -> dict:
    """The Scrapy settings an audit's options change (over crawler/settings.py)."""
    overrides = {
        "DOWNLOAD_DELAY": options.delay,
        "AUTOTHROTTLE_ENABLED": options.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(options.delay, 0.1),
        "CONCURRENT_REQUESTS": options.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency,
        "DOWNLOAD_TIMEOUT": options.timeout,
        "CLOSESPIDER_TIMEOUT": options.time_limit,
        "NOK_RETRY_AFTER_MAX": options.max_retry_after,
        "ROBOTSTXT_OBEY": options.obey_robots,
        "NOK_ALLOW_PRIVATE": options.allow_private,
        "NOK_RESOLVE": options.resolve,
        "NOK_PROGRESS": options.progress,
        "LOG_LEVEL": "INFO" if options.verbose else "ERROR",
    }
    if options.contact:
        overrides["USER_AGENT"] = user_agent(options.contact)
    return overrides


def crawl_settings(options: CrawlOptions) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(crawl_overrides(options), priority="cmdline")
    # The spider class is passed in: no spider loader, so the stored-run jobs (and SQLAlchemy) stay unloaded.
    settings.set("SPIDER_MODULES", [], priority="cmdline")
    return settings


class _RecordedElsewhere(logging.Filter):
    """Drops Scrapy's error lines for download failures the crawl journal already records (robots.txt
    downloads, retries given up): the terminal shows a clear message, the report the details."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Error downloading", "Gave up retrying"))


def run_crawl(url: str, crawl_dir: Path, options: CrawlOptions, http_fallback: bool = False,
              checklist: str | None = None) -> None:
    """Crawl one site into `crawl_dir`. Runs the Twisted reactor: once per process. `checklist` orders the
    document budget (the documents its items name first)."""
    process = CrawlerProcess(crawl_settings(options))
    if not options.verbose:
        for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry"):
            logging.getLogger(name).addFilter(_RecordedElsewhere())
    process.crawl(SiteSpider, **spider_args(url, crawl_dir, options, http_fallback, checklist))
    process.start()


def spider_args(url: str, crawl_dir: Path, options: CrawlOptions, http_fallback: bool = False,
                checklist: str | None = None) -> dict:
    """The `audit` spider's arguments for one site."""
    return dict(url=url, out=str(crawl_dir), max_pages=options.max_pages, max_depth=options.max_depth,
                max_documents=options.max_documents, extra_hosts=",".join(options.extra_hosts),
                http_fallback=http_fallback, render=options.render, chromium=options.chromium,
                checklist=str(checklist or ""))


ACCESSIBILITY_FILE = "accessibility.json"


def self_check_failures(report: dict, fail_under: float | None, require: list[str]) -> list[str]:
    """Why a site falls short of an organisation's own gate (`--fail-under`, `--require`), in Russian.

    --fail-under N: the share of the mandatory information of indicator 1.1 found on the site,
    Исайт / Инорм_сайт × 100, must be at least N (the part of the score a site alone decides).
    --require ID,…: each item must be published and, where it was checked, work."""
    failures = []
    if fail_under is not None:
        share = report["summary"]["site_share_1_1"]["share"]
        percent = None if share is None else round(share * 100, 1)
        if percent is None or percent < fail_under:
            failures.append(f"доля обязательной информации на сайте {percent if percent is not None else '—'} % "
                            f"ниже порога {fail_under:g} %")
    items = {i["id"]: i for i in report["items"]}
    for item_id in require:
        item = items.get(item_id)
        if item is None:
            failures.append(f"пункта «{item_id}» нет в чек-листе")
        elif item["status"] != "present":
            failures.append(f"«{item['name']}»: {item['status_text']}")
        elif item.get("works") is False:
            failures.append(f"«{item['name']}»: {item['works_text']}")
    return failures


def registry_name_of(out_dir: Path) -> str:
    """The registry's name in the folder's report.json, if it has one: re-evaluating a folder keeps it."""
    try:
        site = json.loads((out_dir / "report.json").read_text(encoding="utf-8")).get("site") or {}
    except (OSError, ValueError, AttributeError):
        return ""
    return site.get("name", "") if site.get("name_source") == "registry" else ""


def load_previous_report(path: str | Path, site_url: str | None = None) -> dict:
    """The report.json of an earlier audit of the same organisation (--previous), read before anything is
    fetched: BadInput (Russian) when it is missing, unreadable or not a report of nok-audit. A report about
    another site is only a warning: an organisation may move to a new address."""
    path = Path(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"--previous: файл {path} не найден") from None
    except IsADirectoryError:
        raise BadInput(f"--previous: {path} — папка; укажите файл report.json прежней проверки") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"--previous: файл {path} не прочитан ({exc})") from None
    except ValueError as exc:
        raise BadInput(f"--previous: файл {path} — не JSON ({exc})") from None
    wrong = report_problem(report)
    if not wrong and not isinstance(report["crawl"].get("entry_ok"), bool):
        wrong = "нет признака доступности сайта (crawl.entry_ok)"
    if wrong:
        raise BadInput(f"--previous: файл {path} не похож на отчёт nok-audit: {wrong}")
    if site_url:
        old_host, new_host = (urlsplit(u).hostname or "" for u in (report["site"]["start_url"], site_url))
        if old_host.removeprefix("www.") != new_host.removeprefix("www."):
            print(f"Предупреждение: прежний отчёт {path} — о сайте {report['site']['start_url']}, а проверяется "
                  f"{site_url}; изменения показаны, но убедитесь, что это та же организация.", file=sys.stderr)
    return report


def audit_site(plan: AuditPlan, command: list[str]) -> tuple[int, dict]:
    """A site's whole audit by its plan: crawl, evaluate, browser stage, reports; (exit code, report). The
    terminal summary goes to stdout, the stages to stderr."""
    start_url, fallback = parse_start_url(plan.url)
    plan.report.validate(start_url)
    previous_report = load_previous_report(plan.previous, start_url) if plan.previous else None
    out = Path(plan.out) if plan.out else Path("nok-reports") / (urlsplit(start_url).hostname or "site")
    try:
        (out / CRAWL_SUBDIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"не удалось создать папку отчёта {out}: {exc.strerror}") from None
    print(f"Проверка сайта {start_url}", file=sys.stderr)
    run_crawl(start_url, out / CRAWL_SUBDIR, plan.crawl, http_fallback=fallback, checklist=plan.report.checklist)
    if plan.browser is not None:
        print("Контрольные проверки в браузере (формы не отправляются"
              + (", кроме --submit-forms" if plan.browser.submit_forms else "") + ")…", file=sys.stderr)
    report, json_path, html_path = evaluate_and_report(out, plan.report, command, browser=plan.browser,
                                                       accessibility=plan.accessibility, stored_controls=False,
                                                       pdf=plan.pdf, previous=previous_report)
    print(summary_text(report, json_path, html_path, out))
    return (EXIT_OK if report["crawl"]["entry_ok"] else EXIT_UNREACHABLE), report


def summary_text(report: dict, json_path: Path, html_path: Path, out: Path) -> str:
    """The terminal summary, with the files written beside report.json/.html in its «Отчёты:» list."""
    names = ("report.pdf", "report.md", "manifest.json")
    return terminal_summary(report, json_path, html_path) + "".join(
        f"\n  {out / name}" for name in names if (out / name).exists())


def evaluate_and_report(out_dir: Path, inputs: ReportOptions, command: list[str],
                        browser: ControlOptions | None = None, accessibility: bool = True,
                        stored_controls: bool = True, pdf: bool = True, previous: dict | None = None):
    """Evaluate the stored crawl in `out_dir/crawl`, run the browser stage (when `browser` options are
    given) and write report.json, report.html, report.md, report.pdf (only with the browser stage and
    `pdf`) and, last, the evidence pack's manifest.json. Without `browser`, control results stored by an
    earlier run are reused when `stored_controls` is true (re-evaluation never re-runs the browser).
    `previous`: the report.json (as a dict) of the previous audit of the same organisation: the report then
    has «Изменения с прошлой проверки» (`changes`); None: `changes` is null."""
    checklist = load_checklist(inputs.checklist)
    crawl = load_crawl(out_dir / CRAWL_SUBDIR)
    findings = evaluate(crawl, checklist)
    operator_data = None
    if inputs.operator_data:
        operator_data = load_operator_data(inputs.operator_data, crawl.journal.start_url)
        if operator_data is None:
            print(f"Предупреждение: в файле {inputs.operator_data} нет данных для сайта "
                  f"{crawl.journal.start_url}; баллы, требующие данных оператора, не рассчитаны.", file=sys.stderr)
    methodology = load_methodology(inputs.methodology)

    def report_with(controls, a11y, print_pdf=None):
        report = build_report(crawl, checklist, findings, command=command, tool_version=__version__,
                              controls=controls, accessibility=a11y, methodology=methodology,
                              operator_data=operator_data, previous=previous, name=inputs.name)
        json_path, html_path = write_reports(report, out_dir)
        write_extras(report, out_dir, html_path, print_pdf,
                     fetched=page_capture_times((p.html_file, p.fetched_at) for p in crawl.pages))
        return report, json_path, html_path

    if browser is not None and not crawl.journal.entry_ok:
        # Nothing of an unreachable site can be checked in a browser: Chromium is not started (no PDF either).
        controls, a11y = asyncio.run(browser_stage(None, "", crawl, findings, out_dir, browser, accessibility))
        return report_with(controls, a11y)
    if browser is not None:
        with browser_slot():            # in a batch: wait for one of its --browsers Chromiums
            session = BrowserSession(browser, crawl)
            try:
                controls, a11y = session.run(browser_stage(session.browser, session.error, crawl, findings,
                                                           out_dir, browser, accessibility))
                return report_with(controls, a11y, session.print_pdf if pdf else None)
            finally:
                session.close()
    if stored_controls:
        return report_with(load_controls(out_dir), load_accessibility(out_dir))
    return report_with(None, None)


def write_extras(report: dict, out_dir: Path, html_path: Path, print_pdf=None,
                 fetched: dict[str, str] | None = None) -> None:
    """After report.json/.html: report.md, report.pdf (printed by `print_pdf(html_path, pdf_path)`; None: no
    PDF) and, last, manifest.json (`fetched`: the pages' capture times, see reports.manifest.build_manifest).
    A PDF failure is a warning, never a failed audit."""
    write_markdown(report, out_dir)
    pdf_path = Path(out_dir) / PDF_NAME
    if print_pdf is None:
        pdf_path.unlink(missing_ok=True)        # an older PDF would no longer match report.html
    else:
        try:
            print_pdf(html_path, pdf_path)
        except Exception as exc:
            pdf_path.unlink(missing_ok=True)
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            print(f"Предупреждение: PDF-версия отчёта не создана ({first}); отчёт report.html готов.",
                  file=sys.stderr)
    write_manifest(out_dir, __version__, fetched)


class BrowserSession:
    """One Chromium for an audit's whole browser stage — control checks, accessibility, the PDF — driven from
    synchronous code between the other stages. `browser` is None (and `error` says why, in Russian) when
    Chromium could not be started."""

    def __init__(self, options, crawl):
        self.loop = asyncio.new_event_loop()
        self.stack = AsyncExitStack()
        self.browser, self.error = None, ""
        try:
            self.browser = self.run(self.stack.enter_async_context(
                chromium(options.chromium, browser_guard([crawl], options))))
        except BrowserUnavailable as exc:
            self.error = str(exc)

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    def print_pdf(self, html_path: Path, pdf_path: Path) -> None:
        if self.browser is None:
            raise BrowserUnavailable(self.error)
        self.run(render_pdf(self.browser, html_path, pdf_path))

    def close(self) -> None:
        try:
            self.run(self.stack.aclose())
        finally:
            self.loop.close()


async def browser_stage(browser, browser_error: str, crawl, findings, out_dir: Path, options,
                        accessibility: bool = True):
    """Control checks of the channels and the accessibility check in `browser` (None: only the checks that
    need no browser run; the others are undecided with `browser_error`).

    Accessibility runs on the home page and, when the visually-impaired version is a page of its own,
    on that page too. Results are stored (controls.json, accessibility.json) so reports can be rendered
    again without a browser."""
    controls = await control_site(browser, crawl, findings, out_dir, options, browser_error=browser_error)
    a11y = None
    if browser is not None:
        a11y = await _accessibility(browser, crawl, controls, options) if accessibility and crawl.journal.entry_ok else []
    save_controls(out_dir, controls)
    save_accessibility(out_dir, a11y)
    return controls, a11y


async def _accessibility(browser, crawl, controls, options) -> list:
    home = crawl.journal.final_url or crawl.journal.start_url
    try:
        async with site_context(browser, block_resources=False) as context:
            if options.offline:
                await context.route("**/*", offline_route(options.resolve))
            results = [await check_accessibility(context, home, "normal")]
            alt = next((c for c in controls if c.item_id == "acc_alt_version" and c.works
                        and c.final_url and c.final_url.split("#")[0] != home), None)
            if alt is not None:
                results.append(await check_accessibility(context, alt.final_url, "alt_version"))
            return results
    except Exception as exc:        # a browser crash costs the supplementary check, never the audit
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        return [AccessibilityResult(url=home, variant="normal", error=f"Проверка доступности не выполнена: {first}")]


def save_accessibility(out_dir: Path, results) -> None:
    path = Path(out_dir) / ACCESSIBILITY_FILE
    if results is None:
        path.unlink(missing_ok=True)
        return
    write_atomically(path, json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1))


def load_accessibility(out_dir: Path):
    path = Path(out_dir) / ACCESSIBILITY_FILE
    if not path.exists():
        return None
    try:
        return [AccessibilityResult(**d) for d in json.loads(path.read_text(encoding="utf-8"))]
    except (ValueError, TypeError):
        return None
