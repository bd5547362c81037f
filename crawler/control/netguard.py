"""The private-address guard of the browser stage: the crawl's rule (crawler/scope.py AddressGuard) applied to
everything the browser stage contacts.

    GuardProxy(guard, never)                the loopback proxy Chromium is started behind (browser.chromium):
                                            every request and every redirect hop is judged before it connects
    BrowserGuard.for_site(hosts, resolve, allow_private, offline)
    guard.watch(context)                    notes each refused request of a context: its URL, page or not
    guard.check(url, …)                     one URL judged (raises Refused)
    guard.fetch(context, method, url, …)    a one-off request (a link check, a form action), redirects
                                            followed hop by hop, each hop checked before it is sent
    guard.refusals                          what was refused, with the Russian reason

Why a proxy: Playwright's routes see only the first request of a redirect chain, and Chromium's resolver
rules can refuse IP literals but not a name that resolves into a private network. Chromium is started with
--proxy-server pointing at a GuardProxy on 127.0.0.1 (loopback proxied too), so each request, hop or not,
reaches it first: it resolves the host, judges the addresses by AddressGuard and connects to exactly those
addresses (DNS cannot answer differently a second time), or refuses without connecting anywhere. It only
relays bytes: TLS stays end to end (CONNECT), bodies stream both ways, cookies stay in Chromium. Following
redirects in a route (route.fetch + fulfill) was rejected: a fulfilled navigation keeps the first URL, so the
page's address, its relative links and its cookies would be wrong. The switch is given as a raw Chromium
argument, not as Playwright's proxy option: Playwright would send its own one-off requests (context.request,
used by fetch() below, which checks each hop itself) through the proxy too, and the proxy cannot pass on
their «host not found» / «connection refused» that the link checks judge by.
"""
from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit, urlunsplit

from crawler.scope import AddressGuard

REDIRECTS = (301, 302, 303, 307, 308)
WEB_SCHEMES = {"http": 80, "https": 443, "ws": 80, "wss": 443}
HEAD_LIMIT = 64 * 1024          # a request or response head longer than this is not relayed
CONNECT_TIMEOUT = 15.0
_HOP_HEADERS = {"connection", "proxy-connection", "keep-alive", "proxy-authorization"}


class Refused(Exception):
    """A request the guard did not let out; str() is the Russian reason."""


@dataclass
class Refusal:
    url: str
    reason: str
    navigation: bool            # a page, a frame or a one-off request (it decides a check), not a sub-resource


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or WEB_SCHEMES.get(parts.scheme.lower(), 80)


def is_local(url: str, pins: dict[str, str] | None = None) -> bool:
    """Does `url` stay on this machine? Loopback addresses, localhost, and host names pinned (--resolve)
    to a loopback address: what an --offline check may contact."""
    host = (urlsplit(url).hostname or "").lower()
    host = (pins or {}).get(host, host)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class BrowserGuard:
    guard: AddressGuard
    offline: bool = False       # --offline: hosts off this machine are refused without a look-up
    refusals: list[Refusal] = field(default_factory=list)
    _decisions: dict = field(default_factory=dict)
    _notes: set = field(default_factory=set)

    @classmethod
    def for_site(cls, site_hosts: list[str], resolve: dict[str, str] | None, allow_private: bool,
                 offline: bool = False) -> "BrowserGuard":
        return cls(AddressGuard(allow_private, site_hosts, resolve), offline)

    def _refuse(self, url: str, reason: str, navigation: bool) -> None:
        if not any(r.url == url for r in self.refusals):
            self.refusals.append(Refusal(url, reason, navigation))

    def off_machine(self, url: str) -> bool:
        """--offline and `url` leaves this machine (what stage.offline_route aborts)."""
        if not self.offline:
            return False
        return not is_local(url, self.guard.pins)

    async def decide(self, url: str) -> tuple[str | None, list[str]]:
        """AddressGuard.lookup of `url` in a thread, once per host and port (a page's resources share a few
        hosts; concurrent askers share the one look-up)."""
        key = _host_port(url)
        if key not in self._decisions:
            self._decisions[key] = asyncio.ensure_future(asyncio.to_thread(self.guard.lookup, url))
        return await asyncio.shield(self._decisions[key])

    async def check(self, url: str, navigation: bool = True, resolve: bool = True) -> None:
        """Raise Refused (and note it) when `url` may not be contacted; resolve=False judges IP literals only
        (no DNS look-up)."""
        if urlsplit(url).scheme.lower() not in WEB_SCHEMES:
            return
        reason = (await self.decide(url))[0] if resolve else self.guard.literal_refusal(url)
        if reason:
            self._refuse(url, reason, navigation)
            raise Refused(reason)

    def watch(self, context) -> None:
        """Note every refused request of `context`, first requests and redirect hops alike, with its URL and
        whether a page or frame asked for it: the proxy enforces, but only knows the host."""
        async def note(url: str, navigation: bool) -> None:
            try:
                await self.check(url, navigation)
            except Refused:
                pass

        def on_request(request) -> None:
            url = request.url
            if urlsplit(url).scheme.lower() in WEB_SCHEMES and not self.off_machine(url):
                task = asyncio.ensure_future(note(url, request.is_navigation_request()))
                self._notes.add(task)
                task.add_done_callback(self._notes.discard)

        context.on("request", on_request)

    async def settle(self) -> None:
        """Wait until the requests made so far are noted (a verdict reads refusals after its page failed)."""
        if self._notes:
            await asyncio.gather(*list(self._notes), return_exceptions=True)

    async def fetch(self, context, method: str, url: str, *, headers: dict, timeout: float, max_redirects: int):
        """One request by the context's API client (Playwright's own HTTP client: not behind the proxy),
        following at most `max_redirects` redirects itself so each hop is checked before it is sent. Returns
        (status, final URL); raises Refused."""
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


def _closing(head: bytes) -> bytes:
    """A request or response head without hop-by-hop headers and with `Connection: close`: each proxied
    request gets a connection of its own, so the proxy never has to parse a body."""
    first, *lines = head.decode("latin-1").split("\r\n")[:-2]
    kept = [h for h in lines if h.split(":", 1)[0].strip().lower() not in _HOP_HEADERS]
    return "\r\n".join([first, *kept, "Connection: close", "", ""]).encode("latin-1")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:         # a side went away: the other is closed by the caller
        pass


class GuardProxy:
    """An HTTP proxy on 127.0.0.1 (ephemeral port) that lets a request through only when `guard` allows its
    host; `never` (Chromium's own service hosts) is refused without a look-up. Refused: a CONNECT gets 403
    (net::ERR_TUNNEL_CONNECTION_FAILED), a plain request a closed connection (net::ERR_EMPTY_RESPONSE)."""

    def __init__(self, guard: BrowserGuard, never: list[str] = ()):
        self.guard = guard
        self.never = {h.lower() for h in never}
        self.server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> str:
        """Start listening; the value of Chromium's --proxy-server."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            for w in list(self._open):
                w.close()
            self.server = None

    async def _allowed(self, url: str) -> list[str] | None:
        """The addresses to connect to ([]: connect by name) or None when refused."""
        host, _ = _host_port(url)
        if host in self.never or self.guard.off_machine(url):
            return None
        reason, addresses = await self.guard.decide(url)
        if reason:
            return None
        return addresses or [self.guard.guard.pins.get(host, host)]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open.add(writer)
        up_writer = None
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            method, target, _version = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
            tunnel = method.upper() == "CONNECT"
            url = f"https://{target}/" if tunnel else target
            addresses = await self._allowed(url) if urlsplit(url).hostname else None
            if addresses is None:
                if tunnel:
                    writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            _, port = _host_port(url)
            for address in addresses:
                try:
                    up_reader, up_writer = await asyncio.wait_for(
                        asyncio.open_connection(address, port, limit=HEAD_LIMIT), CONNECT_TIMEOUT)
                    break
                except (OSError, asyncio.TimeoutError):
                    continue
            if up_writer is None:
                if tunnel:
                    writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            up = None
            if tunnel:
                writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            else:       # absolute-form target → origin-form; a request body streams up while the answer comes
                parts = urlsplit(target)
                rest = _closing(head).split(b"\r\n", 1)[1]
                path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
                up_writer.write(f"{method} {path} {_version}".encode("latin-1") + b"\r\n" + rest)
                up = asyncio.ensure_future(_pipe(reader, up_writer))
                while True:     # interim answers (100, 103) pass as they are; the final head is rewritten
                    answer = await up_reader.readuntil(b"\r\n\r\n")
                    code = (answer.split(b" ", 2) + [b""])[1]
                    if code[:1] == b"1" and code != b"101":
                        writer.write(answer)
                        continue
                    writer.write(answer if code == b"101" else _closing(answer))
                    break
            # Until the server or the browser is done: whichever side closes ends both.
            tasks = [up or asyncio.ensure_future(_pipe(reader, up_writer)), asyncio.ensure_future(_pipe(up_reader, writer))]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            for w in (writer, up_writer):
                if w is not None:
                    w.close()
            self._open.discard(writer)
