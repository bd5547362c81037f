"""Where to check a channel: candidates taken from a finding's strong evidence and the stored crawl.

    pages       the page the evidence points at: a link's target (the «Интернет-приёмная» page), or
                the page holding a heading / form / widget;
    link_pages  the page that holds the evidence (where the switch or link is, to be clicked);
    links       the links themselves, with their raw href (to tell href="#" from a real target):
                link-text evidence → the anchors of the source page with that text and target;
                link-host evidence («bus.gov.ru», «vk.com») → the anchors of the page to that host;
                a heading / title evidence → the page itself (an on-site questionnaire).

Candidates keep evidence order (the engine ranks the best evidence first) and are de-duplicated.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from checklists.model.crawl import StoredCrawl
from checklists.model.results import STRONG, Finding
from checklists.model.snapshot import PageSnapshot
from checklists.urls import host_key
from crawler.crawlstore import page_html
from crawler.extract import anchor_text


@dataclass
class Candidate:
    url: str                 # what to open or request (absolute; a link keeps its fragment)
    kind: str                # evidence kind (form, link_text, link_host, heading, embed …)
    text: str = ""           # link text or evidence snippet
    source_url: str = ""     # the page that holds the evidence / the link
    href: str = ""           # raw href attribute of a link ('' for a page candidate)
    offsite: bool = False    # on another site: never opened in the browser, at most one request


@dataclass
class Anchor:
    href: str                # raw attribute value
    url: str                 # absolute, fragment kept
    text: str


def _no_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _norm(url: str) -> str:
    """Comparable page address: host key + path without a trailing slash + query."""
    try:
        p = urlsplit(url)
    except ValueError:
        return url
    path = p.path.rstrip("/") or "/"
    return host_key(url) + path + ("?" + p.query if p.query else "")


class SiteInfo:
    """What the control stage needs to know about the audited site, from its stored crawl."""

    def __init__(self, crawl: StoredCrawl):
        self.crawl = crawl
        j = crawl.journal
        self.start_url = j.final_url or j.start_url
        self.hosts = {h.lower().removeprefix("www.") for h in j.site_hosts}
        self.hosts.add(host_key(self.start_url))
        self.hosts.update(host_key(p.url) for p in crawl.pages)
        self.pages: dict[str, PageSnapshot] = {}
        for p in crawl.pages:
            self.pages.setdefault(_norm(p.url), p)
            self.pages.setdefault(_norm(p.requested_url), p)
        self._anchors: dict[str, list[Anchor]] = {}

    def is_onsite(self, url: str) -> bool:
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError:
            return False
        return scheme in ("http", "https") and host_key(url) in self.hosts

    def page(self, url: str) -> PageSnapshot | None:
        return self.pages.get(_norm(_no_fragment(url)))

    def anchors(self, page: PageSnapshot) -> list[Anchor]:
        """Every <a>/<area> of the stored raw HTML, with its raw href (javascript:, '#' included)."""
        if page.url in self._anchors:
            return self._anchors[page.url]
        out: list[Anchor] = []
        try:
            raw = page_html(self.crawl, page)
            root = lxml.html.document_fromstring(raw.decode(page.encoding or "utf-8", "replace"))
        except (OSError, ValueError, etree.ParserError, LookupError):
            root = None
        if root is not None:
            base = page.url
            for b in root.iter("base"):
                if b.get("href"):
                    base = urljoin(base, b.get("href"))
                    break
            for a in root.iter("a", "area"):
                href = (a.get("href") or "").strip()
                low = href.lower()
                if low.startswith(("tel:", "mailto:", "data:")):
                    continue
                url = href if low.startswith("javascript:") else urljoin(base, href) + ("#" if href == "#" else "")
                out.append(Anchor(href, url, anchor_text(a)))
        self._anchors[page.url] = out
        return out


def leads_nowhere(href: str) -> bool:
    """href="", "#", "#!" or javascript:… — a link that opens nothing."""
    h = (href or "").strip().lower()
    return h in ("", "#", "#!", "#/") or h.startswith("javascript:")


def _link_candidates(e, site: SiteInfo) -> list[Candidate]:
    if e.kind == "link_text" and e.source_url:
        src = site.page(e.source_url)
        out = []
        if src is not None:
            target = _norm(_no_fragment(e.url))
            for a in site.anchors(src):
                if a.text != e.snippet:
                    continue
                same = _norm(_no_fragment(a.url)) == target if not a.href.lower().startswith("javascript:") else True
                if same:
                    out.append(Candidate(a.url, e.kind, a.text, e.source_url, a.href, offsite=not site.is_onsite(a.url)))
        if not out:   # stored HTML missing: trust the evidence
            out.append(Candidate(e.url, e.kind, e.snippet, e.source_url, e.url, offsite=not site.is_onsite(e.url)))
        return out
    if e.kind == "link_host":
        src = site.page(e.url)
        out = []
        if src is not None:
            for a in site.anchors(src):
                label = f"{a.text} → {a.url}" if a.text else a.url
                if label[:200] == e.snippet or (a.url and a.url in e.snippet and not site.is_onsite(a.url)):
                    out.append(Candidate(a.url, e.kind, a.text, e.url, a.href, offsite=not site.is_onsite(a.url)))
        return out
    if e.kind == "embed":
        return [Candidate(e.url, e.kind, e.snippet, e.url, "", offsite=False)]
    # A page that is itself the thing (a heading «Анкета получателя услуг»).
    return [Candidate(e.url, e.kind, e.snippet, e.url, "", offsite=not site.is_onsite(e.url))]


def candidates_for(source: str, finding: Finding, site: SiteInfo, prefer: list[str] | None = None) -> list[Candidate]:
    strong = [e for e in finding.evidence if e.strength == STRONG]
    if prefer:
        order = {k: i for i, k in enumerate(prefer)}
        strong.sort(key=lambda e: order.get(e.kind, len(order)))      # stable: evidence order kept
    out: list[Candidate] = []
    for e in strong:
        if source == "links":
            out.extend(_link_candidates(e, site))
        elif source == "link_pages":
            url = e.source_url or e.url
            out.append(Candidate(url, e.kind, e.snippet, url, "", offsite=not site.is_onsite(url)))
        else:   # pages
            out.append(Candidate(e.url, e.kind, e.snippet, e.source_url or e.url, "",
                                 offsite=not site.is_onsite(e.url)))
    if source == "link_pages":           # the start page first: the switch is usually in the site header
        start = _norm(site.start_url)
        out.sort(key=lambda c: _norm(_no_fragment(c.url)) != start)
    seen: set[str] = set()
    unique = []
    for c in out:
        if source == "links":
            key = f"nowhere {c.text}" if leads_nowhere(c.href) else c.url     # the same dead banner on every page
        else:
            key = _norm(_no_fragment(c.url))
        if key in seen:
            continue
        seen.add(key)
        unique.append(c)
    return unique
