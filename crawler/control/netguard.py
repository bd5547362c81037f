"""The private-address guard of the browser stage: the crawl's rule (crawler/scope.py AddressGuard) applied to
everything the browser stage contacts.

    BrowserGuard.for_site(crawl, options)   the hosts the user named: the crawl's site hosts, --resolve pins
    guard.install(context)                  every page request of a context checked before it is sent
    guard.fetch(context, method, url, …)    a one-off request (a link check, a form action), redirects
                                            followed hop by hop, each hop checked before it is sent
    guard.refusals                          what was refused, with the Russian reason

Three layers, because Playwright's routes see only the first request of a redirect chain:
- the context route resolves each request's host (names too) and aborts refused ones before connecting;
- Chromium's host-resolver rules (crawler/control/browser.py PRIVATE_LITERALS) answer «not found» for IP
  literals of private ranges, so a redirect hop to such an address is never connected to — the guard notes it;
- one-off requests never let Playwright follow redirects: each Location is checked first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from crawler.scope import AddressGuard, is_ip_literal

REDIRECTS = (301, 302, 303, 307, 308)


class Refused(Exception):
    """A request the guard did not let out; str() is the Russian reason."""


@dataclass
class Refusal:
    url: str
    reason: str
    navigation: bool            # a page, a frame or a one-off request (it decides a check), not a sub-resource


@dataclass
class BrowserGuard:
    guard: AddressGuard
    refusals: list[Refusal] = field(default_factory=list)
    _seen: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def for_site(cls, site_hosts: list[str], resolve: dict[str, str] | None, allow_private: bool) -> "BrowserGuard":
        return cls(AddressGuard(allow_private, site_hosts, resolve))

    def trusted_hostnames(self) -> list[str] | None:
        """For Chromium's resolver rules: the named hosts that are IP literals (only those rules can refuse; an
        excluded name would lose its --resolve pin too); None when private addresses are allowed."""
        if self.guard.allow_private:
            return None
        return sorted(h for h in (urlsplit(f"http://{key}").hostname or "" for key in self.guard.named) if is_ip_literal(h))

    def _refuse(self, url: str, reason: str, navigation: bool) -> None:
        if not any(r.url == url for r in self.refusals):
            self.refusals.append(Refusal(url, reason, navigation))

    async def check(self, url: str, navigation: bool = True, resolve: bool = True) -> None:
        """Raise Refused (and note it) when `url` may not be contacted; resolve=False judges IP literals only
        (no DNS look-up)."""
        if urlsplit(url).scheme.lower() not in ("http", "https", "ws", "wss"):
            return
        if not resolve:
            reason = self.guard.literal_refusal(url)
        else:
            parts = urlsplit(url)
            key = f"{parts.scheme}://{parts.netloc}".lower()
            if key not in self._seen:    # one look-up per host and port: a page's resources share a few hosts
                self._seen[key] = await self.guard.refusal(url)
            reason = self._seen[key]
        if reason:
            self._refuse(url, reason, navigation)
            raise Refused(reason)

    async def install(self, context) -> None:
        """Check every request of `context` (a route registered last runs first; allowed requests fall back to
        the context's other routes)."""
        async def route(route):
            request = route.request
            try:
                await self.check(request.url, navigation=request.is_navigation_request())
            except Refused:
                await route.abort("blockedbyclient")
                return
            await route.fallback()

        def on_request(request):
            # A redirect hop is not routed; Chromium's resolver rules stopped it if its host is a private literal.
            if request.redirected_from is not None:
                reason = self.guard.literal_refusal(request.url)
                if reason:
                    self._refuse(request.url, reason, request.is_navigation_request())

        await context.route("**/*", route)
        context.on("request", on_request)

    async def fetch(self, context, method: str, url: str, *, headers: dict, timeout: float, max_redirects: int):
        """One request by the context's API client, following at most `max_redirects` redirects itself so each
        hop is checked before it is sent. Returns (status, final URL); raises Refused."""
        for hop in range(max_redirects + 1):
            try:
                await self.check(url)
            except Refused as exc:
                raise Refused(f"перенаправляет на {url}: {exc}" if hop else str(exc)) from None
            r = await context.request.fetch(url, method=method, headers=headers, timeout=timeout, max_redirects=0,
                                            fail_on_status_code=False)
            status, location = r.status, r.headers.get("location")
            await r.dispose()
            if status not in REDIRECTS or not location:
                return status, url
            url = urljoin(url, location)
            if status == 303:
                method = "GET"
        raise Exception(f"больше {max_redirects} перенаправлений подряд")

    def since(self, n: int, navigation_only: bool = True) -> list[Refusal]:
        return [r for r in self.refusals[n:] if r.navigation or not navigation_only]
