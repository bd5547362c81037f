"""A site that says «not now» (HTTP 429 or 503 with Retry-After, RFC 9110 §10.2.3) is listened to.

The wait is honoured for the whole site, not just the one request, when it fits the site's remaining time
budget (`CLOSESPIDER_TIMEOUT`, less one request's `DOWNLOAD_TIMEOUT`) and `NOK_RETRY_AFTER_MAX`
(`--max-retry-after`). Otherwise — or when the site keeps refusing after the waits — the crawl of the site
stops at once: what was fetched is kept, the refused page is recorded as a `rate_limited` problem and the
journal's stop reason is `rate_limited`, so items not found are «не удалось проверить» with the reason, never
«нет». Scrapy's RetryMiddleware would instead repeat the request immediately (and every other page would be
asked for as well), which is exactly what the site asked us not to do.
"""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy.utils.defer import deferred_from_coro

from crawler.errors import BlockedRequest

STATUSES = (429, 503)
MAX_WAITS_PER_REQUEST = 3       # a site answering «retry in 1 s» forever is refusing, not pausing
STOP_REASON = "rate_limited"


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait by a Retry-After value: delta-seconds («120») or an HTTP-date («Fri, 04 Dec 2026
    21:00:00 GMT»; a date in the past means 0). None when absent or unreadable."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class RetryAfter:
    def __init__(self, crawler):
        self.crawler = crawler
        settings = crawler.settings
        self.cap = settings.getfloat("NOK_RETRY_AFTER_MAX")
        self.time_limit = settings.getfloat("CLOSESPIDER_TIMEOUT")       # 0: no limit
        self.request_time = settings.getfloat("DOWNLOAD_TIMEOUT")
        self.started = time.monotonic()
        self.resume_at = 0.0            # monotonic time before which the site gets no request
        self.stopped = ""               # Russian reason once the site's crawl was stopped

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _remaining(self) -> float:
        if not self.time_limit:
            return float("inf")
        return self.time_limit - (time.monotonic() - self.started) - self.request_time

    async def process_request(self, request):
        if self.stopped:
            raise BlockedRequest(STOP_REASON, self.stopped)
        pause = self.resume_at - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        return None

    def process_response(self, request, response):
        if response.status not in STATUSES:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response             # an ordinary error (or Scrapy's one retry)
        waits = request.meta.get("nok_retry_after_waits", 0)
        said = f"HTTP {response.status}, Retry-After: {wait:g} с"
        if self.stopped:
            raise BlockedRequest(STOP_REASON, self.stopped)
        if waits < MAX_WAITS_PER_REQUEST and wait <= min(self.cap, self._remaining()):
            self.resume_at = max(self.resume_at, time.monotonic() + wait)
            self.crawler.spider.logger.info("%s for %s: waiting %.0f s", said, request.url, wait)
            retry = request.replace(dont_filter=True)
            retry.meta["nok_retry_after_waits"] = waits + 1
            return retry
        if waits >= MAX_WAITS_PER_REQUEST:
            why = f"сайт продолжает отказывать после {waits} ожиданий"
        elif wait > self.cap:
            why = f"это дольше допустимого ожидания {self.cap:g} с (--max-retry-after)"
        else:
            why = "это дольше, чем осталось времени на обход сайта"
        self.stopped = (f"сайт попросил повторить запрос позже ({said}); {why}, поэтому обход сайта остановлен, "
                        "чтобы не перегружать его, — не проверенные разделы отмечены «не удалось проверить»")
        self.crawler.spider.journal.stop_reason = STOP_REASON
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=STOP_REASON))
        raise BlockedRequest(STOP_REASON, self.stopped)
