"""The site spider: one organisation, one start URL, everything on its own hosts.

It says what to visit and what to keep; robots, scope, private addresses, encodings and storage are
components switched on in crawler/settings.py. Scrapy knows it as `audit` through crawler/spiders/audit.py
(which adds the jobs of a stored run); `nok-audit check` crawls with it directly.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from checklists.model.journal import CrawlJournal, Problem
from checklists.model.snapshot import DocumentSnapshot, PageSnapshot
from checklists.urls import canonical_url
from crawler.documents import (NOT_FETCHED_KINDS, document_relevance, extract_text, kind_from_content_type,
                               kind_from_url)
from crawler.errors import classify
from crawler.extract import extract
from crawler.items import FetchedDocument, FetchedPage
from crawler.rendering import RENDER_MODES, PageRenderer
from crawler.scope import SiteScope
from crawler.traps import TrapGuard

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# An entry over https that fails this way is retried over http when the user typed a bare domain.
_HTTP_FALLBACK_KINDS = {"refused", "tls", "timeout", "connection"}
# A folder whose documents answered «not found» this many times is not asked for more of them.
DEAD_FOLDER_LIMIT = 3
# Documents requested at a time: small, so that a dead folder is noticed before the budget goes to it.
DOCUMENTS_AT_A_TIME = 4


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


def _looks_binary(body: bytes) -> bool:
    head = body[:4096]
    return b"\x00" in head or len(_CONTROL_BYTES.findall(head)) > len(head) // 20


class SiteSpider(scrapy.Spider):
    name = "audit"

    def __init__(self, url: str = "", out: str = "", max_pages: int | str = 300, max_depth: int | str = 10,
                 max_documents: int | str = 150, extra_hosts: str = "", http_fallback: bool | str = False,
                 render: str = "auto", chromium: str = "", max_rendered: int | str = 30, checklist: str = "",
                 **kwargs):
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
        # The document budget is spent after the pages, in order of relevance (DocumentRelevance): documents
        # wait in `pending` until the page crawl is idle; a 404 or a robots.txt refusal gives its share back.
        self.documents_scheduled = 0
        self.documents_in_flight = 0
        self.pending_documents: list[tuple[int, int, str, str, dict]] = []   # (-score, order, url, kind, meta)
        self.dead_folders: dict[str, int] = {}
        self.relevance = document_relevance(checklist or None)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.journal.user_agent = crawler.settings.get("USER_AGENT")
        spider.journal.robots.obeyed = crawler.settings.getbool("ROBOTSTXT_OBEY")
        spider.document_maxsize = crawler.settings.getint("NOK_DOCUMENT_MAXSIZE")
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        crawler.signals.connect(spider.close_renderer, signal=signals.spider_closed)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
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
                                         resolve=self.crawler.settings.getdict("NOK_RESOLVE"),
                                         site_hosts=self.scope.hosts,
                                         allow_private=self.crawler.settings.getbool("NOK_ALLOW_PRIVATE"))
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
        if note:
            yield self._unfetched(url, kind, meta, note)
            return
        score = self.relevance.score(url, meta["nok_link_text"], kind)
        self.pending_documents.append((-score, len(self.pending_documents), url, kind, meta))

    @staticmethod
    def _unfetched(url: str, kind: str, meta: dict, note: str) -> FetchedDocument:
        return FetchedDocument(DocumentSnapshot(
            url=url, referer=meta["nok_referer"], link_text=meta["nok_link_text"], kind=kind, fetched=False,
            status=None, content_type="", size=None, sha256="", fetched_at=_now(), note=note))

    def on_idle(self):
        """The pages are done: spend the document budget on the most relevant documents first."""
        self.documents_in_flight = 0            # idle: nothing is in flight (a callback may have failed)
        scheduled = False
        for out in self._release_documents():
            if isinstance(out, scrapy.Request):
                self.crawler.engine.crawl(out)
                scheduled = True
            else:                   # a document recorded as not fetched (no callback to yield it from)
                deferred_from_coro(self.crawler.engine.scraper.start_itemproc_async(out, response=None))
        if scheduled:
            raise DontCloseSpider

    def _release_documents(self):
        """Requests for the best pending documents the budget allows; once the budget is spent and
        nothing is in flight, the rest are recorded as not fetched (the report names the limit)."""
        self.pending_documents.sort()
        while (self.pending_documents and self.documents_scheduled < self.max_documents
               and self.documents_in_flight < DOCUMENTS_AT_A_TIME):
            _, _, url, kind, meta = self.pending_documents.pop(0)
            folder = url.rsplit("/", 1)[0]
            if self.dead_folders.get(folder, 0) >= DEAD_FOLDER_LIMIT:
                yield self._unfetched(url, kind, meta, f"не загружался: другие документы из той же папки "
                                                       f"({self.dead_folders[folder]}) не найдены (HTTP 404)")
                continue
            self.documents_scheduled += 1
            self.documents_in_flight += 1
            yield scrapy.Request(url, callback=self.parse_document, errback=self.on_error,
                                 meta={**meta, "nok_document": True, "download_maxsize": self.document_maxsize},
                                 priority=-1)
        if self.pending_documents and self.documents_in_flight == 0:
            for _, _, url, kind, meta in self.pending_documents:
                yield self._unfetched(url, kind, meta,
                                      f"достигнут предел числа документов ({self.max_documents}); не загружался")
            self.pending_documents = []

    def _document_done(self, request, refund: bool = False):
        """A document request ended; a refused or missing one gives its share of the budget back."""
        if not request.meta.get("nok_document"):
            return
        self.documents_in_flight -= 1
        if refund:
            self.documents_scheduled -= 1
        yield from self._release_documents()

    async def parse_document(self, response):
        async for item in self._parse_document(response):
            yield item
        for item in self._document_done(response.request):     # after it: an HTML "document" adds links
            yield item

    async def _parse_document(self, response):
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
        missing = isinstance(failure.value, HttpError) and failure.value.response.status in (404, 410)
        if missing and request.meta.get("nok_document"):
            folder = request.url.rsplit("/", 1)[0]
            self.dead_folders[folder] = self.dead_folders.get(folder, 0) + 1
        yield from self._document_done(request, refund=missing or kind == "robots")
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
