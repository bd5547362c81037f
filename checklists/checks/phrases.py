"""phrase: a checklist item's names, found by morphology in titles, headings, link texts, body and documents."""
from __future__ import annotations

from functools import partial

from checklists.checks.base import MAX_LINK_HITS, Hit, ScopedCheck, quote_list, scopes_text
from checklists.morphology import PhraseMatcher


def _first_key(keys: frozenset[int], found: dict[int, int]) -> int | None:
    """The matching key that occurs first in the text."""
    if keys.isdisjoint(found):
        return None
    best, best_end = None, None
    for k, end in found.items():
        if k in keys and (best_end is None or end < best_end):
            best, best_end = k, end
    return best


def _short(m: PhraseMatcher, s, k: int):
    """A short text (title, heading) as it is; a long one around the match."""
    return s.text if len(s.text) <= 160 else partial(m.snippet, s, k)


class PhraseCheck(ScopedCheck):
    def __init__(self, phrases: list[str], keys: frozenset[int], scopes: tuple[str, ...], external_ok: bool):
        super().__init__(scopes)
        self.phrases = phrases
        self.keys = keys
        self.external_ok = external_ok

    def run(self, u, v):
        keys, sc, m = self.keys, self.scopes, v.matcher
        hits: list[Hit] = []
        if u.is_page:
            if "title" in sc:
                s = u.title_scan()
                k = _first_key(keys, s.found)
                if k is not None:
                    hits.append(Hit(u.url, "page_title", _short(m, s, k)))
            if "heading" in sc:
                best = None
                for s in u.heading_scans():
                    k = _first_key(keys, s.found)
                    if k is not None:
                        in_main = u.in_main(s.text)
                        if best is None or (in_main and best[2]):
                            best = (s, k, not in_main)
                        if in_main:
                            break
                if best is not None:
                    hits.append(Hit(u.url, "heading", _short(m, best[0], best[1]), chrome=best[2],
                                    weight=1 + len(keys.intersection(best[0].found))))
            if "body" in sc:
                for s, chrome in u.body_scans():
                    k = _first_key(keys, s.found)
                    if k is not None:
                        hits.append(Hit(u.url, "page_text", partial(m.snippet, s, k), chrome=chrome,
                                        weight=len(keys.intersection(s.found))))
                        break
            if "anchor" in sc or "link" in sc:
                anchor_hit = None if "anchor" in sc else False
                n_links = 0
                seen: set[str] = set()
                for link, s in u.link_scans():
                    k = _first_key(keys, s.found)
                    if k is None:
                        continue
                    if anchor_hit is None or (anchor_hit and anchor_hit.chrome and u.in_main(link.text)):
                        anchor_hit = Hit(u.url, "link_text", link.text, chrome=not u.in_main(link.text))
                    if "link" in sc and n_links < MAX_LINK_HITS:
                        t = v.resolve(link.url)
                        if t is None or t.url in seen:
                            continue
                        seen.add(t.url)
                        n_links += 1
                        state = "external_ok" if (t.state == "external" and self.external_ok) else t.state
                        hits.append(Hit(t.url, "link_text", link.text, source_url=u.url,
                                        state=state, note=t.note))
                if anchor_hit:
                    hits.append(anchor_hit)
        else:
            if "doc_title" in sc:
                for s in u.title_scans():
                    k = _first_key(keys, s.found)
                    if k is not None:
                        hits.append(Hit(u.url, "document_title", _short(m, s, k)))
                        break
            if "doc_text" in sc:
                s = u.text_scan()
                k = _first_key(keys, s.found)
                if k is not None:
                    hits.append(Hit(u.url, "document_text", partial(m.snippet, s, k),
                                    weight=len(keys.intersection(s.found))))
        return hits or None

    def describe(self):
        return f"{quote_list(self.phrases)} в {scopes_text(self.scopes)}"
