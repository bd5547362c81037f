"""itemprop, not_stub, not_news: what the page is (marked up, a real page, not a news item)."""
from __future__ import annotations

from checklists.checks.base import Check, Hit


class ItempropCheck(Check):
    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def run(self, u, v):
        if not u.is_page:
            return None
        props = u.page.itemprops
        for name in self.names:
            for value in props.get(name, ()):
                if value.strip():
                    return [Hit(u.url, "itemprop", f'itemprop="{name}": {value[:150]}')]
        return None

    def describe(self):
        return "микроразметку itemprop " + ", ".join(f"«{n}»" for n in self.names)


class NotStubCheck(Check):
    on_docs = True

    def run(self, u, v):
        return None if (u.is_page and u.is_stub) else []


class NotNewsCheck(Check):
    on_docs = True

    def run(self, u, v):
        return None if u.is_news else []
