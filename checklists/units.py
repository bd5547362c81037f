"""The units evaluation runs checks on: one page (PageUnit) or one document (DocUnit) of the stored crawl, with
cached phrase scans of every text scope, and a link's target (Target). Built and classified by CrawlView."""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from checklists.model.snapshot import DocumentSnapshot, PageSnapshot
from checklists.morphology import EMPTY_SCAN, TextScan

if TYPE_CHECKING:       # type hints only: the view builds the units
    from checklists.crawl_view import CrawlView

# Joins headings / link texts for one pattern search: a newline keeps line-bound regexes apart,
# NUL stops digit-and-space runs (a phone number cannot continue into the next link).
JOIN_SEPARATOR = "\n\x00\n"
_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")


def definite_failure(message: str) -> bool:
    """A 4xx answer (except 408, 429) is the server's definite word: the page or document is not
    published (or not public), so the item is absent. Timeouts, 5xx, refused connections and
    robots.txt leave the question open (unknown)."""
    m = _HTTP_STATUS.search(message or "")
    return bool(m) and 400 <= int(m.group(1)) < 500 and int(m.group(1)) not in (408, 429)


def http_status_of(message: str) -> str:
    m = _HTTP_STATUS.search(message or "")
    return m.group(1) if m else ""


class Target:
    """Where a link leads, as far as the stored crawl knows."""
    __slots__ = ("state", "url", "note")

    def __init__(self, state: str, url: str, note: str = ""):
        self.state = state
        self.url = url
        self.note = note


class PageUnit:
    """One HTML page, with lazily computed page class and text scans."""
    is_page = True

    def __init__(self, view: "CrawlView", page: PageSnapshot, index: int):
        self.view = view
        self.page = page
        self.index = index
        self.url = page.url
        self.depth = page.depth
        self.cache: dict = {}
        self._news: bool | None = None
        self._stub: bool | None = None
        self._title: TextScan | None = None
        self._headings: list[TextScan] | None = None
        self._links: list | None = None
        self._body: list | None = None
        self._parts: list | None = None
        self._path: str | None = None
        self._offsite: list | None = None

    @property
    def path(self) -> str:
        if self._path is None:
            p = urlsplit(self.url)
            self._path = unquote(p.path + ("?" + p.query if p.query else "")).lower()
        return self._path

    @property
    def failed(self) -> bool:
        return bool(self.page.status) and self.page.status >= 400

    # ---- scans
    def title_scan(self) -> TextScan:
        if self._title is None:
            self._title = self.view.scan_short(self.page.title)
        return self._title

    def heading_scans(self) -> list[TextScan]:
        if self._headings is None:
            dead = self.dead_captions()
            self._headings = [s for s in (self.view.scan_short(h) for h in self.page.headings if h not in dead)
                              if s.found]
        return self._headings

    def dead_captions(self) -> set[str]:
        """Texts of this page's links whose target answered a definite error (404, 410, 403): a caption
        «Устав» over a missing file is not the charter published, in the body or a heading either."""
        got = self.cache.get("dead_captions")
        if got is None:
            got = set()
            for link in self.page.links:
                if link.text:
                    t = self.view.resolve(link.url)
                    if t is not None and t.state == "failed" and definite_failure(t.note):
                        got.add(link.text)
            self.cache["dead_captions"] = got
        return got

    def link_scans(self) -> list:
        """(link, scan) for the links whose text contains some checklist phrase."""
        if self._links is None:
            out = []
            scan = self.view.scan_short
            for link in self.page.links:
                if link.text:
                    s = scan(link.text)
                    if s.found:
                        out.append((link, s))
            self._links = out
        return self._links

    def offsite_links(self) -> list[tuple[str, str, object]]:
        """(host, path, link) of links to other sites (link_host checks look only at these)."""
        if self._offsite is None:
            v = self.view
            out = []
            for link in self.page.links:
                host, path = v.host_path(link.url)
                if host and not v.on_site(host):
                    out.append((host, path, link))
            self._offsite = out
        return self._offsite

    def contact_links(self) -> list:
        """tel:, mailto: and Cloudflare-protected e-mail links of the page."""
        got = self.cache.get("contact_links")
        if got is None:
            got = self.cache["contact_links"] = [
                link for link in self.page.links
                if link.url[:7].lower().startswith(("tel:", "mailto:")) or "/cdn-cgi/l/email-protection" in link.url]
        return got

    def in_main(self, text: str) -> bool:
        """Is this text (a heading, a link text) part of the page's main content?"""
        return bool(text) and text in self.page.main_text

    def body_parts(self) -> list[tuple[str, bool]]:
        """The body text as (main content, False) and (the rest: header, footer, sidebars, True).
        main_text is normally a contiguous part of text; when it is not, the rest is the whole
        text (matches in the main content are then found twice, harmlessly)."""
        if self._parts is None:
            text, main = self.page.text, self.page.main_text
            for caption in self.dead_captions():
                text, main = text.replace(caption, " "), main.replace(caption, " ")
            i = text.find(main) if main else -1
            if i == -1:
                self._parts = [(main, False), (text, True)] if main else [(text, True)]
            else:
                self._parts = [(main, False), (text[:i] + " " + text[i + len(main):], True)]
        return self._parts

    def body_scans(self) -> list[tuple[TextScan, bool]]:
        if self._body is None:
            scan = self.view.matcher.scan
            self._body = [(scan(t), chrome) for t, chrome in self.body_parts()]
        return self._body

    def texts(self, scope: str, view: "CrawlView") -> list[tuple[str, bool | None]]:
        """(text, is_chrome) pairs of a scope, for value patterns. Headings and link texts are
        joined into one text (one pattern search instead of hundreds); is_chrome is None there:
        the caller asks part_of() which heading or link a match fell in."""
        p = self.page
        if scope == "body":
            return self.body_parts()
        if scope == "title":
            return [(p.title, False)]
        if scope in ("heading", "anchor"):
            return [(self.joined(scope)[0], None)]
        return []

    def joined(self, scope: str) -> tuple[str, list[int], list[str]]:
        got = self.cache.get(("joined", scope))
        if got is None:
            parts = self.page.headings if scope == "heading" else [link.text for link in self.page.links if link.text]
            starts, pos = [], 0
            for part in parts:
                starts.append(pos)
                pos += len(part) + len(JOIN_SEPARATOR)
            got = self.cache[("joined", scope)] = (JOIN_SEPARATOR.join(parts), starts, parts)
        return got

    def part_of(self, scope: str, offset: int) -> str:
        """The heading or link text that holds `offset` of the joined text."""
        _, starts, parts = self.joined(scope)
        i = bisect_right(starts, offset) - 1
        return parts[i] if 0 <= i < len(parts) else ""

    # ---- page classes
    @property
    def is_news(self) -> bool:
        if self._news is None:
            self._news = self.view.classify_news(self)
        return self._news

    @property
    def is_stub(self) -> bool:
        if self._stub is None:
            self._stub = self.view.classify_stub(self)
        return self._stub


class DocUnit:
    """One document (PDF, DOCX, scan…) linked from the site."""
    is_page = False

    def __init__(self, view: "CrawlView", doc: DocumentSnapshot, key: str | None):
        self.view = view
        self.doc = doc
        self.url = doc.url
        self.key = key
        self.cache: dict = {}
        self.depth = 99
        self.referers: set[int] = set()        # indexes of pages linking to it
        self.link_texts: list[str] = []
        self._state: tuple[str, str] | None = None
        self._news: bool | None = None
        self._title_scans: list[TextScan] | None = None
        self._text_scan: TextScan | None = None
        p = urlsplit(doc.url)
        self.path = unquote(p.path + ("?" + p.query if p.query else "")).lower()

    @property
    def state(self) -> str:
        return self._state_note()[0]

    @property
    def note(self) -> str:
        return self._state_note()[1]

    def _state_note(self) -> tuple[str, str]:
        if self._state is None:
            self._state = self.view.document_state(self)
        return self._state

    @property
    def is_news(self) -> bool:
        """Linked only from news items."""
        if self._news is None:
            units = self.view.page_units
            refs = [units[i] for i in self.referers]
            self._news = bool(refs) and all(u.is_news for u in refs)
        return self._news

    @property
    def is_stub(self) -> bool:
        return False

    def title_texts(self) -> list[str]:
        d = self.doc
        name = unquote(self.path.rsplit("/", 1)[-1].split("?", 1)[0])
        name = re.sub(r"\.[a-z0-9]{2,5}$", "", name)
        name = re.sub(r"[_\-.+]+", " ", name)
        texts = list(dict.fromkeys(t for t in self.link_texts + [d.link_text, d.title, name] if t and t.strip()))
        return texts

    def title_scans(self) -> list[TextScan]:
        if self._title_scans is None:
            self._title_scans = [s for s in (self.view.scan_short(t) for t in self.title_texts()) if s.found]
        return self._title_scans

    def text_scan(self) -> TextScan:
        if self._text_scan is None:
            text = self.doc.text[: self.view.comp.doc_text_max_chars]
            self._text_scan = self.view.matcher.scan(text) if text else EMPTY_SCAN
        return self._text_scan

    def texts(self, scope: str, view: "CrawlView") -> list[tuple[str, bool]]:
        if scope == "doc_text":
            return [(self.doc.text[: view.comp.doc_text_max_chars], False)] if self.doc.text else []
        if scope == "doc_title":
            return [(t, False) for t in self.title_texts()]
        return []


Unit = PageUnit | DocUnit
