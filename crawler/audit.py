"""One organisation's audit, start to finish: crawl → stored crawl → evaluate → reports.

Each stage is its own function, so a stored crawl can be evaluated again (`nok-audit evaluate`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from w3lib.url import safe_url_string

from crawler import __version__
from crawler.crawlstore import load_crawl

CRAWL_SUBDIR = "crawl"
EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT, EXIT_UNREACHABLE = 0, 1, 2, 3
_HOST_OK = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?$")


class BadInput(ValueError):
    """A user error, with a Russian message saying what to fix."""


@dataclass
class CrawlOptions:
    max_pages: int = 300
    max_depth: int = 5
    max_documents: int = 150
    extra_hosts: list[str] = field(default_factory=list)
    allow_private: bool = False
    obey_robots: bool = True
    delay: float = 0.5
    concurrency: int = 2
    timeout: float = 20.0
    time_limit: float = 900.0
    resolve: dict[str, str] = field(default_factory=dict)
    contact: str = ""
    progress: bool = True
    verbose: bool = False
    render: str = "auto"
    chromium: str = ""


def normalise_start_url(raw: str) -> tuple[str, bool]:
    """Return (url, http_fallback). A bare domain gets https:// and may fall back to http://."""
    raw = (raw or "").strip()
    if not raw:
        raise BadInput("не указан адрес сайта")
    fallback = "://" not in raw
    url = f"https://{raw}" if fallback else raw
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BadInput(f"адрес «{raw}»: поддерживаются только http:// и https://")
    try:
        url = safe_url_string(url)        # IDNA for Cyrillic domains (.рф), percent-encoding of the path
        parts = urlsplit(url)
        parts.port                        # raises ValueError on a bad port
    except ValueError:
        raise BadInput(f"адрес «{raw}» некорректен (проверьте порт и символы)") from None
    host = (parts.hostname or "").rstrip(".")
    if not host or not _HOST_OK.match(host):
        raise BadInput(f"адрес «{raw}» некорректен: не удалось выделить имя сайта")
    if not parts.path:
        url = url + "/"
    return url, fallback


def crawl_settings(options: CrawlOptions) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    overrides = {
        "DOWNLOAD_DELAY": options.delay,
        "AUTOTHROTTLE_ENABLED": options.delay > 0,
        "AUTOTHROTTLE_START_DELAY": max(options.delay, 0.1),
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrency,
        "DOWNLOAD_TIMEOUT": options.timeout,
        "CLOSESPIDER_TIMEOUT": options.time_limit,
        "ROBOTSTXT_OBEY": options.obey_robots,
        "NOK_ALLOW_PRIVATE": options.allow_private,
        "NOK_RESOLVE": options.resolve,
        "NOK_PROGRESS": options.progress,
        "LOG_LEVEL": "INFO" if options.verbose else "ERROR",
    }
    if options.contact:
        overrides["USER_AGENT"] = f"nok-audit/{__version__} (+{options.contact}; независимая оценка качества, проверка сайта)"
    settings.setdict(overrides, priority="cmdline")
    return settings


class _RecordedElsewhere(logging.Filter):
    """Drops Scrapy's error lines for download failures the crawl journal already records (robots.txt
    downloads, retries given up): the terminal shows a clear message, the report the details."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(("Error downloading", "Gave up retrying"))


def run_crawl(url: str, crawl_dir: Path, options: CrawlOptions, http_fallback: bool = False) -> None:
    """Crawl one site into `crawl_dir`. Runs the Twisted reactor: once per process."""
    from crawler.spiders.audit import AuditSpider

    process = CrawlerProcess(crawl_settings(options))
    if not options.verbose:
        for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry"):
            logging.getLogger(name).addFilter(_RecordedElsewhere())
    process.crawl(AuditSpider, url=url, out=str(crawl_dir), max_pages=options.max_pages,
                  max_depth=options.max_depth, max_documents=options.max_documents,
                  extra_hosts=",".join(options.extra_hosts), http_fallback=http_fallback,
                  render=options.render, chromium=options.chromium)
    process.start()


def evaluate_and_report(out_dir: Path, checklist_ref: str | None, command: list[str]):
    """Evaluate the stored crawl in `out_dir/crawl` and write report.json and report.html."""
    from checklists.engine import evaluate, load_checklist
    from reports.render import build_report, write_reports

    checklist = load_checklist(checklist_ref)
    crawl = load_crawl(out_dir / CRAWL_SUBDIR)
    findings = evaluate(crawl, checklist)
    report = build_report(crawl, checklist, findings, command=command, tool_version=__version__)
    json_path, html_path = write_reports(report, out_dir)
    return report, json_path, html_path
