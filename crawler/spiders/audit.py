"""The site spider: one organisation, one start URL, everything on its own hosts.

It says what to visit and what to keep; robots, scope, private addresses, encodings and storage are
components switched on in crawler/settings.py. Usable on its own:

    scrapy crawl audit -a url=https://kcson.example.ru -a out=/tmp/kcson/crawl

or as one job of a stored run (what a Scrapyd node runs; see crawler/site_job.py):

    scrapy crawl audit -a run=RUN -a site=SITE -a worker=TOKEN -a db=URL
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from scrapy.http import TextResponse

from crawler.documents import NOT_FETCHED_KINDS, extract_text, kind_from_content_type, kind_from_url
from crawler.errors import classify
from crawler.items import FetchedDocument, FetchedPage
from crawler.journal import CrawlJournal, Problem
from crawler.rendering import RENDER_MODES, PageRenderer
from crawler.scope import SiteScope
from crawler.snapshot import DocumentSnapshot, PageSnapshot, extract
from crawler.traps import TrapGuard, canonical_url

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# An entry over https that fails this way is retried over http when the user typed a bare domain.
_HTTP_FALLBACK_KINDS = {"refused", "tls", "timeout", "connection"}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def _looks_binary(body: bytes) -> bool:
    head = body[:4096]
    return b"\x00" in head or len(_CONTROL_BYTES.findall(head)) > len(head) // 20


class AuditSpider(scrapy.Spider):
    name = "audit"

    def __init__(self, url: str = "", out: str = "", max_pages: int | str = 300, max_depth: int | str = 5,
                 max_documents: int | str = 150, extra_hosts: str = "", http_fallback: bool | str = False,
                 render: str = "auto", chromium: str = "", max_rendered: int | str = 30, **kwargs):
        super().__init__(**kwargs)
        if not url or not out:
            raise ValueError("the audit spider needs -a url=... and -a out=<crawl folder>")
        self.start_url = url
        self.crawl_dir = Path(out)
        self.max_pages = int(max_pages)
        self.max_depth = int(max_depth)
        self.max_documents = int(max_documents)
        self.http_fallback = str(http_fallback).lower() in ("1", "true", "yes")
        if render not in RENDER_MODES:
            raise ValueError(f"render must be one of {RENDER_MODES}")
        self.render_mode = render
        self.chromium = chromium or None
        self.max_rendered = int(max_rendered)
        self.renderer: PageRenderer | None = None
        hosts = [h.strip() for h in extra_hosts.split(",") if h.strip()] if isinstance(extra_hosts, str) else list(extra_hosts)
        self.scope = SiteScope(url, hosts)
        self.traps = TrapGuard()
        self.journal = CrawlJournal(start_url=url, site_hosts=self.scope.hosts, started_at=_now(), user_agent="",
                                    max_pages=self.max_pages, max_depth=self.max_depth)
        self.seen: set[str] = set()          # canonical URLs already scheduled or recorded
        self.too_deep: set[str] = set()
        self.pages_scheduled = 0
        self.documents_scheduled = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        if "run" in kwargs:     # a job of a stored run (Scrapyd): the store names the site and the options
            from crawler.site_job import SiteJob
            kwargs = SiteJob.attach(crawler, kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.journal.user_agent = crawler.settings.get("USER_AGENT")
        spider.journal.robots.obeyed = crawler.settings.getbool("ROBOTSTXT_OBEY")
        spider.document_maxsize = crawler.settings.getint("NOK_DOCUMENT_MAXSIZE")
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider.close_renderer, signal=signals.spider_closed)
        return spider

    def close_renderer(self):
        if self.renderer is not None:
            return deferred_from_coro(self.renderer.close())
        return None

    def on_spider_error(self, failure, response):
        """A page that broke nok-audit's own code is recorded, not silently lost."""
        self._problem(response.request, "other",
                      f"внутренняя ошибка nok-audit при разборе страницы ({type(failure.value).__name__})")

    async def start(self):
        yield self._entry_request(self.start_url)

    def _entry_request(self, url: str) -> scrapy.Request:
        self.seen.add(canonical_url(url))
        self.pages_scheduled = 1
        return scrapy.Request(url, callback=self.parse_page, errback=self.on_error, dont_filter=True,
                              meta={"nok_entry": True, "nok_depth": 0, "nok_link_text": ""})

    # -- pages ---------------------------------------------------------------------------------------
    async def parse_page(self, response):
        meta = response.meta
        entry = meta.get("nok_entry", False)
        if entry:
            if not self.scope.contains(response.url):
                self.scope.adopt(response.url)      # the organisation's site moved to this host
                self.journal.site_hosts = self.scope.hosts
            self.journal.final_url = response.url
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        is_html = isinstance(response, TextResponse) and (not content_type or any(t in content_type for t in _HTML_TYPES))
        if not is_html:
            if entry:
                self.journal.entry_error = f"по стартовому адресу отдаётся не HTML-страница ({content_type or 'тип не указан'})"
            for item in self._document_from(response, kind_from_url(response.url) or kind_from_content_type(content_type)):
                yield item
            return
        if _looks_binary(response.body):
            self._problem(response.request, "bad_response", "вместо HTML-страницы сервер отдал двоичные данные")
            return
        self.journal.pages += 1
        self.journal.bytes += len(response.body)
        digest = hashlib.sha256(response.body).hexdigest()
        snapshot = PageSnapshot(
            url=response.url, requested_url=(meta.get("redirect_urls") or [response.url])[0],
            status=response.status, depth=meta.get("nok_depth", 0), referer=meta.get("nok_referer"),
            link_text=meta.get("nok_link_text", ""), fetched_at=_now(), content_type=content_type,
            encoding=response.encoding, encoding_note=meta.get("nok_encoding_note", ""), sha256=digest,
            html_file="")
        extract(snapshot, response.text)
        if self.render_mode == "always" or (self.render_mode == "auto" and snapshot.render_hint):
            await self._render(snapshot)
        if entry:
            self.journal.entry_ok = True
        yield FetchedPage(snapshot=snapshot, body=response.body)
        for request in self._follow(snapshot):
            yield request

    async def _render(self, snapshot: PageSnapshot) -> None:
        """Re-extract the page from the DOM Chromium built; the raw body stays the evidence as fetched."""
        if self.renderer is None:
            self.renderer = PageRenderer(self.chromium, self.journal.user_agent,
                                         timeout_s=self.crawler.settings.getfloat("DOWNLOAD_TIMEOUT"),
                                         max_pages=self.max_rendered,
                                         resolve=self.crawler.settings.getdict("NOK_RESOLVE"))
        html = await self.renderer.render(snapshot.url)
        if html is None:
            return
        hint = snapshot.render_hint
        extract(snapshot, html)
        snapshot.render_hint, snapshot.rendered = hint, True
        self.journal.rendered_pages += 1

    def _follow(self, page: PageSnapshot):
        depth = page.depth
        for link in page.links:
            if urlsplit(link.url).scheme not in ("http", "https"):
                continue
            url = canonical_url(link.url)
            if url in self.seen:
                continue
            kind = kind_from_url(url)
            meta = {"nok_referer": page.url, "nok_link_text": link.text, "nok_depth": depth + 1}
            if kind:
                self.seen.add(url)
                yield from self._document_link(url, kind, meta)
                continue
            if not self.scope.contains(url):
                continue
            if depth + 1 > self.max_depth:
                self.too_deep.add(url)
                self.journal.deep_links = len(self.too_deep)
                continue
            self.seen.add(url)
            if not self.traps.admit(url):
                self.journal.trap_patterns = dict(self.traps.dropped)
                continue
            if self.pages_scheduled >= self.max_pages:
                self.journal.cut_off_links += 1
                self.journal.stop_reason = "max_pages"
                continue
            self.pages_scheduled += 1
            yield scrapy.Request(url, callback=self.parse_page, errback=self.on_error, meta=meta)

    # -- documents -----------------------------------------------------------------------------------
    def _document_link(self, url: str, kind: str, meta: dict):
        note = ""
        if not self.scope.contains(url):
            note = f"размещён на другом сайте ({urlsplit(url).hostname}); не загружался"
        elif kind in NOT_FETCHED_KINDS:
            note = f"архив/подпись ({kind.upper()}): не загружался"
        elif self.documents_scheduled >= self.max_documents:
            note = f"достигнут предел числа документов ({self.max_documents}); не загружался"
        if note:
            yield FetchedDocument(DocumentSnapshot(
                url=url, referer=meta["nok_referer"], link_text=meta["nok_link_text"], kind=kind, fetched=False,
                status=None, content_type="", size=None, sha256="", fetched_at=_now(), note=note))
            return
        self.documents_scheduled += 1
        yield scrapy.Request(url, callback=self.parse_document, errback=self.on_error,
                             meta={**meta, "nok_document": True, "download_maxsize": self.document_maxsize},
                             priority=-1)

    async def parse_document(self, response):
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
        kind = kind_from_url(response.url) or kind_from_content_type(content_type)
        if "text/html" in content_type and kind not in ("txt",):
            # A document link that opens an HTML page (a viewer or an error page) is still followed as a page.
            async for item in self.parse_page(response):
                yield item
            return
        for item in self._document_from(response, kind):
            yield item

    def _document_from(self, response, kind: str):
        meta = response.meta
        title, text, note = extract_text(kind, response.body)
        self.journal.documents += 1
        self.journal.bytes += len(response.body)
        yield FetchedDocument(DocumentSnapshot(
            url=response.url, referer=meta.get("nok_referer"), link_text=meta.get("nok_link_text", ""), kind=kind,
            fetched=True, status=response.status,
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1"), size=len(response.body),
            sha256=hashlib.sha256(response.body).hexdigest(), fetched_at=_now(), title=title, text=text, note=note))

    # -- failures ------------------------------------------------------------------------------------
    def on_error(self, failure):
        request = failure.request
        kind, message = classify(failure)
        if kind == "other":
            self.logger.warning("unexpected failure for %s: %s", request.url, failure.getTraceback())
        if (kind in _HTTP_FALLBACK_KINDS and request.meta.get("nok_entry") and self.http_fallback
                and request.url.startswith("https://")):
            self.http_fallback = False
            yield self._entry_request("http://" + request.url[len("https://"):])
            return
        self._problem(request, kind, message)

    def _problem(self, request, kind: str, message: str) -> None:
        meta = request.meta
        url = (meta.get("redirect_urls") or [request.url])[0]
        self.record_problem(Problem(url=url, kind=kind, message=message, referer=meta.get("nok_referer"),
                                    link_text=meta.get("nok_link_text", ""),
                                    is_document=bool(meta.get("nok_document"))), request)

    def record_problem(self, problem: Problem, request) -> None:
        if problem.kind == "robots":
            self.journal.robots.disallowed.append(problem)
        else:
            self.journal.problems.append(problem)
        if request.meta.get("nok_entry"):
            self.journal.entry_error = problem.message
