"""What every check shares: the hit it returns, the scopes it searches, the Check interface and the rule tree
(any / all / none) that combines checks."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:       # type hints only: the crawl view runs the checks, the checks never import it
    from checklists.crawl_view import CrawlView
    from checklists.units import Unit


class RuleError(Exception):
    """A rule tree is malformed (message in Russian, without file/item context)."""


class Hit:
    """One piece of evidence before its strength is decided.

    snippet is a string, or a zero-argument callable that makes it (phrase matches on long
    texts: the snippet is built only for evidence that is kept).

    chrome is True when the match sits in site chrome (header, footer, sidebar, a link repeated
    on every page) rather than in the page's own content; such evidence ranks lower. weight is
    how many of the check's phrases the text holds: a page that names an item several ways is
    more likely the page that publishes it.

    state is "" for a hit on the unit itself; for a hit through a link it is the state of the
    link target (units.Target.state: ok, stub, news, failed, robots, unfetched, external,
    external_ok, external_doc).
    """
    __slots__ = ("url", "kind", "snippet", "source_url", "state", "note", "chrome", "weight")

    def __init__(self, url: str, kind: str, snippet, source_url: str = "", state: str = "", note: str = "",
                 chrome: bool = False, weight: int = 1):
        self.url = url
        self.kind = kind
        self.snippet = snippet
        self.source_url = source_url
        self.state = state
        self.note = note
        self.chrome = chrome
        self.weight = weight


PHRASE_SCOPES = ("title", "heading", "link", "anchor", "body", "doc_title", "doc_text")
PATTERN_SCOPES = ("title", "heading", "anchor", "body", "doc_title", "doc_text")
DEFAULT_PHRASE_SCOPES = ("title", "heading", "link", "doc_title")
DEFAULT_PATTERN_SCOPES = ("body",)
DOC_SCOPES = {"doc_title", "doc_text"}
SCOPE_LABELS = {
    "title": "заголовках страниц (title)",
    "heading": "заголовках на страницах",
    "link": "текстах ссылок (пунктах меню)",
    "anchor": "текстах ссылок и кнопок",
    "body": "тексте страниц",
    "doc_title": "названиях документов",
    "doc_text": "тексте документов",
}

MAX_LINK_HITS = 3          # per check and page: enough to show where a menu item leads


def quote_list(values, limit: int = 4) -> str:
    vals = [f"«{v}»" for v in values]
    return ", ".join(vals[:limit]) + (" и др." if len(vals) > limit else "")


def scopes_text(scopes) -> str:
    labels = [SCOPE_LABELS[s] for s in scopes]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " и " + labels[-1]


class Check:
    on_pages = True
    on_docs = False
    label = ""              # Russian description from the checklist (label:), overrides describe()

    def run(self, u: "Unit", v: "CrawlView") -> list[Hit] | None:
        raise NotImplementedError

    def describe(self) -> str:
        return ""


class ScopedCheck(Check):
    """A check that reads given scopes (body, title, documents…): where it runs follows from them."""

    def __init__(self, scopes: tuple[str, ...]):
        self.scopes = scopes
        self.on_pages = any(s not in DOC_SCOPES for s in scopes)
        self.on_docs = any(s in DOC_SCOPES for s in scopes)


class Node:
    """any / all / none of child checks or nodes."""

    def __init__(self, any_: list, all_: list, none_: list):
        self.any, self.all, self.none = any_, all_, none_
        kids_pos = any_ + all_
        if all_:
            self.on_pages = all(c.on_pages for c in all_) and (not any_ or any(c.on_pages for c in any_))
            self.on_docs = all(c.on_docs for c in all_) and (not any_ or any(c.on_docs for c in any_))
        else:
            self.on_pages = any(c.on_pages for c in kids_pos)
            self.on_docs = any(c.on_docs for c in kids_pos)

    def run(self, u, v):
        hits: list[Hit] = []
        for c in self.all:
            r = c.run(u, v)
            if r is None:
                return None
            hits.extend(r)
        for c in self.none:
            if c.run(u, v) is not None:
                return None
        if self.any:
            passed = False
            for c in self.any:
                r = c.run(u, v)
                if r is None:
                    continue
                passed = True
                hits.extend(r)
                if any(not h.source_url and not h.chrome for h in r) and not u.is_stub:
                    break           # found in this unit's own content: other alternatives add nothing
            if not passed:
                return None
        return hits

    def checks(self):
        for c in self.any + self.all + self.none:
            if isinstance(c, Node):
                yield from c.checks()
            else:
                yield c

    def positive_checks(self):
        for c in self.any + self.all:
            if isinstance(c, Node):
                yield from c.positive_checks()
            else:
                yield c
