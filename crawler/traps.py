"""Crawler-trap protection: session ids, endless calendars and query-string variants."""
from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

_DIGITS = re.compile(r"\d+")
# Date-like parts of a URL: calendars and archives generate them endlessly.
_DATE_HINT = re.compile(r"(?:\d{4}[-/.]\d{1,2})|(?:[?&](?:year|month|day|date|week|y|m|d|cal\w*)=)", re.I)


def url_pattern(url: str) -> str:
    """The shape of a URL: digits become N, query values are dropped."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    shape = _DIGITS.sub("N", parts.path)
    return shape + ("?" + "&".join(keys) if keys else "")


class TrapGuard:
    """Caps how many URLs of one shape the crawl may fetch.

    A calendar yields /calendar/?month=2026-11, ?month=2026-12, ... forever: all share one pattern, so a
    per-pattern budget stops it without a list of known calendars. Date-like patterns get a smaller budget.
    """

    def __init__(self, per_pattern: int = 50, per_date_pattern: int = 12, max_url_length: int = 500,
                 max_path_segments: int = 15, max_query_params: int = 6):
        self.per_pattern = per_pattern
        self.per_date_pattern = per_date_pattern
        self.max_url_length = max_url_length
        self.max_path_segments = max_path_segments
        self.max_query_params = max_query_params
        self.seen = Counter()
        self.dropped: Counter = Counter()

    def admit(self, url: str) -> bool:
        """True if `url` (canonical) may be fetched; counts it against its pattern's budget."""
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        pattern = url_pattern(url)
        if (len(url) > self.max_url_length or len(segments) > self.max_path_segments
                or len(parse_qsl(parts.query)) > self.max_query_params or _repeats(segments)):
            self.dropped[pattern] += 1
            return False
        budget = self.per_date_pattern if _DATE_HINT.search(url) else self.per_pattern
        if self.seen[pattern] >= budget:
            self.dropped[pattern] += 1
            return False
        self.seen[pattern] += 1
        return True


def _repeats(segments: list[str]) -> bool:
    """/a/b/a/b/a/b: relative links that resolve into ever deeper copies of the same path."""
    return any(n >= 3 for n in Counter(segments).values()) and len(segments) >= 6
