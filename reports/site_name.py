"""The organisation's name as its own site gives it, for a report's heading and the batch summary.

The registry row's name wins where there is one (the summary applies it); this is the fallback from the
crawl snapshot: og:site_name, else the name in its header (a text logo), else the part most page titles share
(«Главная — ГБУ СО «…»», «Контакты — ГБУ СО «…»» → «ГБУ СО «…»»), never a page's own part such as «Главная».
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# Separators between a page's part and the site's part of a title: dashes and bars between spaces, «::», «·».
_TITLE_SEPARATORS = re.compile(r"\s+[—–-]+\s+|\s*\|\s*|\s+::\s+|\s+·\s+")


def site_name(pages: Iterable, home_url: str = "") -> str:
    """`pages`: PageSnapshot-like objects (url, status, title, site_name, header_name). '' when none says."""
    pages = [p for p in pages if p.status < 400]
    home_first = sorted(pages, key=lambda p: p.url != home_url)     # a tie goes to the home page's value
    for field in ("site_name", "header_name"):
        found = _most_common(getattr(p, field, "") for p in home_first)
        if found:
            return found
    return _shared_title_part([p.title for p in home_first])


def _most_common(values: Iterable[str]) -> str:
    counts = Counter(v for v in values if v)
    return max(counts, key=lambda v: counts[v], default="")     # max keeps the first seen of equal counts


def _shared_title_part(titles: list[str]) -> str:
    """The part found in most titles; of equally common parts the longest (a page name is the short one)."""
    counts: Counter[str] = Counter()
    for title in titles:
        counts.update({part.strip() for part in _TITLE_SEPARATORS.split(title) if part.strip()})
    return max(counts, key=lambda part: (counts[part], len(part)), default="")
