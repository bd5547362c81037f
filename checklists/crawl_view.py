"""A read-only view of a stored crawl, prepared for checklist evaluation.

Holds what checks need besides the snapshots themselves:
  * a URL index (pages, documents, failed and robots-forbidden links) and the state of every
    link target (Target: ok / stub / news / failed / robots / unfetched / external / external_doc);
  * page classes: is a page a news item, is it a stub («страница в разработке», no content);
  * cached phrase scans of every text scope (short texts such as menu items are scanned once
    per crawl, not once per page).

It never fetches or parses anything: everything comes from the StoredCrawl (snapshots, documents, journal).
The units it is made of are in checklists/units.py.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from checklists.compile import CompiledChecklist
from checklists.model.crawl import StoredCrawl
from checklists.model.journal import Problem
from checklists.model.snapshot import PageSnapshot
from checklists.morphology import EMPTY_SCAN, TextScan
from checklists.patterns import MONTHS_GENITIVE
from checklists.units import DocUnit, PageUnit, Target
from checklists.urls import strip_www, url_key

DOC_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods", ".odp", ".rtf", ".ppt",
                  ".pptx", ".pps", ".ppsx", ".jpg", ".jpeg", ".png", ".gif", ".tif", ".tiff", ".zip",
                  ".rar", ".7z", ".txt", ".csv", ".djvu", ".sig")
_DATED_URL = re.compile(r"/(?:19|20)\d\d/(?:0?[1-9]|1[0-2])/(?:(?:0?[1-9]|[12]\d|3[01])/)?[^/]")
_DATE_AT_START = re.compile(
    r"^(?:(?:опубликовано|дата публикации|добавлено|размещено|дата)\s*:?\s*)?"
    r"(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}\s+(?:" + "|".join(MONTHS_GENITIVE) + r")\s+\d{4})", re.I)
_SHORT_TEXT_CACHE_LIMIT = 200_000
_CHROME_SHARE = 0.3          # a link/form/embed on at least this share of pages is site chrome


class CrawlView:
    def __init__(self, crawl: StoredCrawl, comp: CompiledChecklist):
        self.crawl = crawl
        self.comp = comp
        self.matcher = comp.matcher
        j = crawl.journal
        self.journal = j
        self._keys: dict[str, str | None] = {}
        self._hostpath: dict[str, tuple[str, str]] = {}
        self._short: dict[str, TextScan] = {}
        self._targets: dict[str, Target | None] = {}
        self._on_site: dict[str, bool] = {}
        self._doclike_cache: dict[str, bool] = {}

        self.site_hosts = {strip_www(h.lower()) for h in j.site_hosts if h}
        for u in (j.start_url, j.final_url):
            if u:
                h, _ = self.host_path(u)
                if h:
                    self.site_hosts.add(h)

        self.page_units = [PageUnit(self, p, i) for i, p in enumerate(crawl.pages)]
        self.pages_by_key: dict[str, PageUnit] = {}
        for u in self.page_units:
            for raw in (u.page.url, u.page.requested_url):
                k = self.key(raw) if raw else None
                if k and (k not in self.pages_by_key or self.pages_by_key[k].failed):
                    self.pages_by_key[k] = u
        self.doc_units = [DocUnit(self, d, self.key(d.url)) for d in crawl.documents]
        self.docs_by_key = {u.key: u for u in self.doc_units if u.key}

        self.robots_by_key: dict[str, Problem] = {}
        self.problems_by_key: dict[str, Problem] = {}
        for p in j.robots.disallowed:
            k = self.key(p.url)
            if k:
                self.robots_by_key.setdefault(k, p)
        for p in j.problems:
            k = self.key(p.url)
            if k:
                (self.robots_by_key if p.kind == "robots" else self.problems_by_key).setdefault(k, p)
        self.start_unit = next((u for u in self.page_units if u.depth == 0), self.page_units[0] if self.page_units else None)

        # One pass over all links: link texts of documents, referers, and what is site chrome.
        n = len(self.page_units)
        doc_link_pages: Counter[str] = Counter()
        embed_pages: Counter[str] = Counter()
        form_pages: Counter[tuple] = Counter()
        self._page_doc_keys: list[set[str]] = []
        link_texts: dict[str, list[str]] = defaultdict(list)
        for i, u in enumerate(self.page_units):
            doc_keys: set[str] = set()
            for link in u.page.links:
                k = self.key(link.url)
                if k is None:
                    continue
                du = self.docs_by_key.get(k)
                if du is not None:
                    du.referers.add(i)
                    if link.text:
                        link_texts[k].append(link.text)
                    doc_keys.add(k)
                elif self._doclike(k):
                    doc_keys.add(k)
            self._page_doc_keys.append(doc_keys)
            doc_link_pages.update(doc_keys)
            embed_pages.update(set(u.page.embeds))
            form_pages.update({self._form_sig(f) for f in u.page.forms})
        for k, texts in link_texts.items():
            self.docs_by_key[k].link_texts = list(dict.fromkeys(texts))
        for du in self.doc_units:
            ref = self.pages_by_key.get(self.key(du.doc.referer)) if du.doc.referer else None
            if ref is not None:
                du.referers.add(ref.index)
            if du.referers:
                du.depth = min(self.page_units[i].depth for i in du.referers) + 1
        limit = max(3, _CHROME_SHARE * n)
        self._chrome_docs = {k for k, c in doc_link_pages.items() if c >= limit}
        self._chrome_embeds = {k for k, c in embed_pages.items() if c >= limit}
        self._chrome_forms = {k for k, c in form_pages.items() if c >= limit}

        # Completeness of the crawl.
        self.cut_off_reason = self._cut_off_reason()

    # ---- URLs
    def key(self, url: str) -> str | None:
        k = self._keys.get(url, "")
        if k == "":
            k = self._keys[url] = url_key(url)
        return k

    def host_path(self, url: str) -> tuple[str, str]:
        hp = self._hostpath.get(url)
        if hp is None:
            try:
                p = urlsplit(url)
                hp = (strip_www((p.hostname or "").lower()), (p.path or "/").lower())
            except ValueError:
                hp = ("", "")
            self._hostpath[url] = hp
        return hp

    def on_site(self, host: str) -> bool:
        ok = self._on_site.get(host)
        if ok is None:
            ok = self._on_site[host] = any(host == h or host.endswith("." + h) for h in self.site_hosts)
        return ok

    def is_chrome_embed(self, src: str) -> bool:
        return src in self._chrome_embeds

    def is_chrome_form(self, form) -> bool:
        return self._form_sig(form) in self._chrome_forms

    def doclike(self, url: str) -> bool:
        """Does this URL look like a document (by its file extension)?"""
        k = self.key(url)
        return bool(k) and self._doclike(k)

    def _doclike(self, key: str) -> bool:
        ok = self._doclike_cache.get(key)
        if ok is None:
            ok = self._doclike_cache[key] = self._looks_like_document(key)
        return ok

    @staticmethod
    def _looks_like_document(key: str) -> bool:
        path = key.split("?", 1)[0].lower()
        return path.endswith(DOC_EXTENSIONS)

    @staticmethod
    def _form_sig(f) -> tuple:
        return (f.action, tuple(fl.name for fl in f.fields))

    def scan_short(self, text: str) -> TextScan:
        """Scan a short text (title, heading, link text), cached across the whole crawl."""
        if not text:
            return EMPTY_SCAN
        s = self._short.get(text)
        if s is None:
            if len(self._short) >= _SHORT_TEXT_CACHE_LIMIT:
                self._short.clear()
            s = self._short[text] = self.matcher.scan(text)
        return s

    # ---- link targets
    def resolve(self, url: str) -> Target | None:
        """State of a link target; None for links that are not http(s) (mailto:, tel:)."""
        if url in self._targets:
            return self._targets[url]
        t = self._resolve(url)
        self._targets[url] = t
        return t

    def _resolve(self, url: str) -> Target | None:
        k = self.key(url)
        if k is None:
            return None
        clean = url.split("#", 1)[0]
        u = self.pages_by_key.get(k)
        if u is not None:
            if u.failed:
                return Target("failed", u.url, f"HTTP {u.page.status}")
            if u.is_stub:
                return Target("stub", u.url)
            if u.is_news:
                return Target("news", u.url)
            return Target("ok", u.url)
        du = self.docs_by_key.get(k)
        if du is not None:
            state = du.state
            return Target("external_doc" if state == "external" else state, du.url, du.note)
        p = self.robots_by_key.get(k)
        if p is not None:
            return Target("robots", clean, p.message)
        p = self.problems_by_key.get(k)
        if p is not None and p.kind != "too_large":
            return Target("failed", clean, p.message or "")
        host, _ = self.host_path(url)
        if not self.on_site(host):
            if self._looks_like_document(k) or any(host == h or host.endswith("." + h) for h in self.comp.external_document_hosts):
                return Target("external_doc", clean, "документ на другом сайте, не загружался")
            return Target("external", clean, host)
        if p is not None:                                   # too large: it exists
            return Target("ok", clean, p.message)
        return Target("unfetched", clean, "")

    def document_state(self, du: DocUnit) -> tuple[str, str]:
        d = du.doc
        if d.fetched and not (d.status and d.status >= 400):
            return "ok", ""
        k = du.key
        p = self.problems_by_key.get(k) if k else None
        if d.status and d.status >= 400:
            return "failed", (p.message if p and p.message else f"HTTP {d.status}")
        if p is not None and p.kind != "too_large":
            return "failed", p.message or d.note
        if k and k in self.robots_by_key:
            return "robots", self.robots_by_key[k].message
        host, _ = self.host_path(d.url)
        if not self.on_site(host):
            return "external", "документ на другом сайте, не загружался"
        if p is not None or "больш" in d.note.lower():
            return "ok", d.note or p.message
        return "unfetched", d.note

    # ---- page classes
    def classify_news(self, u: PageUnit) -> bool:
        comp = self.comp
        if u is self.start_unit or u.depth == 0:
            return False
        path = u.path
        if any(p in path for p in comp.news_url_patterns):
            return True
        if _DATED_URL.search(path):
            return True
        page = u.page
        lead = self._lead_heading(page)
        if comp.news_cue_keys:
            if self._starts_with_cue(u.title_scan()):
                return True
            if lead is not None:
                s = self.scan_short(lead)
                if self._starts_with_cue(s):
                    return True
        if comp.news_dated_items and lead is not None:
            rest = page.main_text.lstrip()[len(lead):].lstrip(" \t\n\r:-–—|")
            if _DATE_AT_START.match(rest[:80]):
                return True
        return False

    def _starts_with_cue(self, s: TextScan) -> bool:
        for k in self.comp.news_cue_keys:
            if k in s.found and s.word_range(k, self.matcher.key_words[k])[0] == 0:
                return True
        return False

    @staticmethod
    def _lead_heading(page: PageSnapshot) -> str | None:
        """The heading the main content starts with (the page's own title)."""
        main = page.main_text.lstrip()
        for h in page.headings:
            if main.startswith(h):
                return h
        return None

    def classify_stub(self, u: PageUnit) -> bool:
        comp = self.comp
        page = u.page
        main = page.main_text
        if comp.stub_keys and len(main) <= comp.stub_phrase_max_chars:
            s = self.matcher.scan(main)
            if any(k in s.found for k in comp.stub_keys):
                return True
        rest = main
        for h in page.headings:
            if h and h in rest:
                rest = rest.replace(h, " ", 1)
        if len(" ".join(rest.split())) >= comp.stub_min_chars:
            return False
        if u is self.start_unit:
            return False
        # Short text, but the content may be documents, a form, a widget or a picture.
        if self._page_doc_keys[u.index] - self._chrome_docs:
            return False
        if any(self._form_sig(f) not in self._chrome_forms and f.fields for f in page.forms):
            return False
        if any(e not in self._chrome_embeds for e in page.embeds):
            return False
        if self._child_links(u) >= 2:
            return False                      # a section index: its content is its sub-pages
        return not page.content_image

    def _child_links(self, u: PageUnit) -> int:
        """Links from a page to distinct pages below its own path (/nok/ → /nok/plan-2025/)."""
        base = self.key(u.url)
        if not base or "?" in base:
            return 0
        prefix = base.rstrip("/") + "/"
        return len({k for k in (self.key(link.url) for link in u.page.links) if k and k.startswith(prefix)})

    # ---- completeness
    def _cut_off_reason(self) -> str:
        j = self.journal
        tail = "раздел мог остаться непроверенным"
        if j.stop_reason == "max_pages":
            return f"обход остановлен по лимиту страниц: {tail} (лимит — {j.max_pages} стр.)"
        if j.stop_reason == "time_limit":
            return f"обход остановлен по лимиту времени: {tail}"
        if j.stop_reason == "interrupted":
            return f"обход был прерван до завершения: {tail}"
        if j.stop_reason == "rate_limited":
            return ("сайт попросил повторить запросы позже (HTTP 429/503 с Retry-After), и обход остановлен, "
                    f"чтобы не перегружать его: {tail}")
        if j.stop_reason and j.stop_reason != "finished":
            return f"обход не завершён ({j.stop_reason}): {tail}"
        if j.cut_off_links > 0:
            return f"из-за лимита обхода не проверено ссылок сайта: {j.cut_off_links}; {tail}"
        return ""

    def blocked_links(self) -> list[Problem]:
        """Links the crawl saw but could not open (robots.txt, errors), except oversized files."""
        out = list(self.journal.robots.disallowed)
        out.extend(p for p in self.journal.problems if p.kind != "too_large")
        return out


def plural(n: int, one: str, few: str, many: str) -> str:
    n = abs(n) % 100
    if 11 <= n <= 19:
        return many
    n %= 10
    if n == 1:
        return one
    if 2 <= n <= 4:
        return few
    return many
