"""robots.txt by RFC 9309 (Robots Exclusion Protocol), over Scrapy's RobotsTxtMiddleware.

Scrapy parses whatever robots.txt answers: a 503 error page becomes «no rules», and the crawl goes on. RFC 9309
§2.3.1 says otherwise, and this middleware follows it:
  * 2xx: the rules apply; only the first 500 KiB are parsed (§2.5: the minimum a crawler must read);
  * 4xx (not found, forbidden): «unavailable» — no restrictions;
  * 5xx, 429, or no answer in time (server or network error): «unreachable» — complete disallow: nothing else
    of the site is fetched, and the crawl journal says why (`RobotsInfo.unavailable`), so every item is
    «не удалось проверить» with that reason, never «нет».
A site whose name does not resolve or whose port refuses connections is left to the start request, which
reports that more precisely («имя сайта не найдено», «соединение отклонено»).
"""
from __future__ import annotations

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from twisted.python.failure import Failure

from crawler.errors import BlockedRequest, classify

PARSE_LIMIT = 500 * 1024
# Download failures that mean the server (not the name or the address) failed: RFC 9309's «unreachable».
_UNREACHABLE_KINDS = {"timeout", "connection", "bad_response"}
HINT = "организация, проверяющая собственный сайт, может запустить проверку с --ignore-robots"


def unavailable_reason(what: str) -> str:
    """The Russian reason of a complete disallow, as reports show it on every item."""
    return f"robots.txt сайта недоступен ({what}): по правилам RFC 9309 обход не выполнялся ({HINT})"


class _DisallowAll:
    """The parser of an unreachable robots.txt (RFC 9309 §2.3.1.4)."""

    def __init__(self, reason: str):
        self.reason = reason

    def allowed(self, url, user_agent) -> bool:
        return False


class Rfc9309RobotsTxt(RobotsTxtMiddleware):

    def process_request_2(self, rp, request) -> None:
        if isinstance(rp, _DisallowAll):
            raise BlockedRequest("robots_unavailable", rp.reason)
        super().process_request_2(rp, request)

    async def _parse_robots(self, response, netloc: str, request) -> None:
        status = response.status
        if 500 <= status or status == 429:
            self._disallow_all(netloc, unavailable_reason(f"HTTP {status}"))
            return
        if 400 <= status:
            response = response.replace(body=b"")
        elif len(response.body) > PARSE_LIMIT:
            response = response.replace(body=response.body[:PARSE_LIMIT])
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        kind, message = classify(Failure(exc))
        if kind in _UNREACHABLE_KINDS:
            self._disallow_all(netloc, unavailable_reason(message))
            return
        super()._robots_error(exc, netloc)

    def _disallow_all(self, netloc: str, reason: str) -> None:
        spider = self.crawler.spider
        # Only a crawl that has not begun is void; a failing robots.txt of another host blocks that host alone.
        robots = spider.journal.robots
        if not spider.journal.entry_ok and not robots.unavailable and spider.scope.contains(f"http://{netloc}/"):
            robots.unavailable = reason
        parser = _DisallowAll(reason)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser
        if hasattr(waiting, "callback"):
            waiting.callback(parser)

