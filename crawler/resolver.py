"""DNS with fixed answers, like curl's --resolve: audit a site on a given address (a staging server, a
site not yet in DNS, the loopback test sites) under its real host name."""
from __future__ import annotations

from twisted.internet import defer

from scrapy.resolver import CachingThreadedResolver


class PinnedResolver(CachingThreadedResolver):
    pins: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.pins = {k.lower(): v for k, v in (crawler.settings.getdict("NOK_RESOLVE") or {}).items()}
        return resolver

    def getHostByName(self, name, timeout=()):
        pinned = self.pins.get(name.lower())
        if pinned:
            return defer.succeed(pinned)
        return super().getHostByName(name, timeout)


def parse_resolve(values: list[str]) -> dict[str, str]:
    """['host:127.0.0.5', ...] (or curl's host:port:addr) -> {host: addr}."""
    pins = {}
    for v in values:
        parts = v.split(":")
        if len(parts) == 2:
            host, addr = parts
        elif len(parts) == 3:
            host, _, addr = parts
        else:
            raise ValueError(v)
        if not host or not addr:
            raise ValueError(v)
        pins[host.lower()] = addr
    return pins
