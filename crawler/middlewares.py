"""Downloader middlewares of the audit: each one small, each switched on in settings.py."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import charset_normalizer
from twisted.internet import reactor
from w3lib.encoding import html_body_declared_encoding

from scrapy.http import TextResponse
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.errors import BlockedRequest
from crawler.scope import AddressGuard, is_ip_literal

logger = logging.getLogger(__name__)
_UTF8 = {"utf-8", "utf8"}


def _is_robots(request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and urlsplit(request.url).path == "/robots.txt"


class _CrawlerBound:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def spider(self):
        return self.crawler.spider


class SiteScopeGuard(_CrawlerBound):
    """Keeps every request, including each redirect hop, on the organisation's own hosts.

    The start request's redirect chain may leave the start host (an organisation that moved its site);
    the spider then adopts the new host. Requests marked `nok_offsite_check` are single polite checks of
    an off-site link and are allowed through.
    """

    def process_request(self, request):
        meta = request.meta
        if meta.get("nok_entry") or meta.get("nok_offsite_check") or _is_robots(request):
            return None
        if not self.spider.scope.contains(request.url):
            raise BlockedRequest("offsite", "ссылка перенаправляет на другой сайт; сторонние сайты не обходятся")
        return None


class PrivateAddressGuard(_CrawlerBound):
    """Refuses hosts that resolve to loopback/private/link-local addresses, unless the user named the host
    (the start host, --extra-host, a --resolve pin) or passed --allow-private: a public site must not steer
    the auditor into the operator's own network."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self._guard: AddressGuard | None = None

    @property
    def guard(self) -> AddressGuard:
        if self._guard is None:         # the spider (and its scope) exists from the first request on
            settings = self.crawler.settings
            self._guard = AddressGuard(settings.getbool("NOK_ALLOW_PRIVATE"), self.spider.scope.named,
                                       settings.getdict("NOK_RESOLVE"))
        return self._guard

    async def process_request(self, request):
        if self.guard.trusted(request.url):
            return None
        host = urlsplit(request.url).hostname or ""
        if is_ip_literal(host):
            ip = host
        else:
            try:
                ip = await maybe_deferred_to_future(reactor.resolve(host))
            except Exception:
                return None      # let the download report the DNS failure itself
        reason = self.guard.refusal_for(request.url, [ip])
        if reason:
            raise BlockedRequest("private_address", reason)
        return None


class RobotsRecorder(_CrawlerBound):
    """Records what robots.txt of the site answered (status, or that it could not be fetched)."""

    def process_response(self, request, response):
        if _is_robots(request) and self.spider.scope.contains(request.url):
            robots = self.spider.journal.robots
            if not robots.url:
                robots.url, robots.status = request.url, response.status
        return response

    def process_exception(self, request, exception):
        if _is_robots(request) and self.spider.scope.contains(request.url) and not self.spider.journal.robots.url:
            self.spider.journal.robots.url = request.url
        return None


class EncodingFixer(_CrawlerBound):
    """Re-decodes pages whose declared charset is wrong.

    Russian sites in windows-1251 often sit behind a server that sends `charset=utf-8`; Scrapy trusts the
    header and the text turns into U+FFFD. A body that is not valid UTF-8 under a UTF-8 label is re-decoded
    with the page's own <meta> charset, or with charset-normalizer's detection.
    """

    def process_response(self, request, response):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        declared = (response.encoding or "").lower().replace("_", "-")
        if declared not in _UTF8 and declared != "ascii":
            return response
        try:
            response.body.decode("utf-8")
            return response
        except UnicodeDecodeError:
            pass
        meta = html_body_declared_encoding(response.body)
        actual = meta if meta and meta.lower().replace("_", "-") not in _UTF8 else None
        if not actual:
            best = charset_normalizer.from_bytes(response.body[:200_000]).best()
            actual = best.encoding if best else None
        if not actual:
            return response
        fixed = response.replace(encoding=actual)
        request.meta["nok_encoding_note"] = f"сервер объявил кодировку {declared}, фактическая — {actual}; страница перекодирована"
        return fixed
