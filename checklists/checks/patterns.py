"""pattern / regex: phones, e-mails, dates, OGRN, INN, addresses, names and the checklist's own regexes."""
from __future__ import annotations

from checklists import patterns as pat
from checklists.checks.base import Hit, ScopedCheck, scopes_text
from checklists.morphology import snippet


class PatternCheck(ScopedCheck):
    def __init__(self, name: str, finder: pat.Finder, scopes: tuple[str, ...], what: str):
        super().__init__(scopes)
        self.name = name
        self.finder = finder
        self.what = what
        self._hrefs = name in ("phone", "email") and bool({"body", "anchor"} & set(scopes))
        self._cache_key = ("pattern", name, scopes)

    def run(self, u, v):
        cached = u.cache.get(self._cache_key, False)
        if cached is not False:
            return cached
        result = self._find(u, v)
        u.cache[self._cache_key] = result
        return result

    def _find(self, u, v):
        chrome_hit = None
        for scope in self.scopes:
            for text, chrome in u.texts(scope, v):
                found = self.finder(text)
                if found:
                    if chrome is None:                 # joined headings / link texts
                        part = u.part_of(scope, found.start)
                        hit = Hit(u.url, "pattern", part[:200], chrome=not u.in_main(part))
                    else:
                        hit = Hit(u.url, "pattern", snippet(text, found.start, found.end), chrome=chrome)
                    if not hit.chrome:
                        return [hit]
                    chrome_hit = chrome_hit or hit
        if self._hrefs and u.is_page:
            from_href = pat.phone_from_href if self.name == "phone" else pat.email_from_href
            for link in u.contact_links():
                value = from_href(link.url)
                if value:
                    text = f"{link.text} ({link.url})" if link.text and link.text not in link.url else link.url
                    hit = Hit(u.url, "pattern", text[:200], chrome=not u.in_main(link.text))
                    if not hit.chrome:
                        return [hit]
                    chrome_hit = chrome_hit or hit
        return [chrome_hit] if chrome_hit else None

    def describe(self):
        return f"{self.what} в {scopes_text(self.scopes)}"
