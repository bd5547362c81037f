"""Which URLs belong to the audited organisation's site, and which typed start URLs are one at all."""
from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import unicodedata
from urllib.parse import urlsplit, urlunsplit

import idna
from w3lib.url import safe_url_string

from checklists.urls import DEFAULT_PORTS, host_key

# "htp:/bad", "mailto:x@y.ru", "http:/x": a scheme was typed; "kcson.ru:8080/x" is a bare host with a port.
_TYPED_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(?![0-9])")
_ASCII_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_TOP_LABEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
# Unicode categories a host name or URL typed by a person must not contain: spaces, controls, invisible
# format characters (a zero-width space pasted from a document is as wrong as a visible one).
_INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


class InvalidURL(ValueError):
    """A start URL that is not a well-formed http(s) address of a real host; the message is Russian."""


def _shown(raw: str) -> str:
    """The typed text for a message: invisible characters made visible (\\uXXXX), long text shortened."""
    text = "".join(ch if unicodedata.category(ch) not in _INVISIBLE or ch == " " else f"\\u{ord(ch):04x}"
                   for ch in raw[:200])
    return text + ("…" if len(raw) > 200 else "")


def _ascii_host(host: str, shown: str) -> str:
    """The host name as sent on the wire (IDNA for Cyrillic domains), or InvalidURL."""
    if is_ip_literal(host):
        if "%" in host:
            raise InvalidURL(f"адрес «{shown}»: IPv6-адрес с указанием интерфейса (%) не поддерживается")
        return host
    if host.replace(".", "").isdigit():
        raise InvalidURL(f"адрес «{shown}»: «{host}» — не IP-адрес и не имя сайта")
    labels = host.split(".")
    if "" in labels:
        raise InvalidURL(f"адрес «{shown}»: в имени сайта «{host}» пустая часть между точками")
    out = []
    for label in labels:
        if label.isascii() and not label.startswith("xn--"):
            if not _ASCII_LABEL.match(label):
                raise InvalidURL(f"адрес «{shown}»: имя сайта «{host}» содержит недопустимые символы "
                                 "(разрешены буквы, цифры, дефис и точка)")
            out.append(label)
            continue
        try:
            out.append(idna.encode(label, uts46=True).decode("ascii"))
        except (idna.IDNAError, UnicodeError):
            raise InvalidURL(f"адрес «{shown}»: «{label}» — недопустимая часть доменного имени") from None
    ascii_host = ".".join(out)
    if len(ascii_host) > 253:
        raise InvalidURL(f"адрес «{shown}»: имя сайта длиннее 253 символов")
    if len(out) < 2 and ascii_host != "localhost":
        raise InvalidURL(f"адрес «{shown}»: в имени сайта «{host}» нет точки — укажите полное имя, "
                         "например kcson.ru")
    if len(out) >= 2 and not _TOP_LABEL.match(out[-1]):
        raise InvalidURL(f"адрес «{shown}»: «{out[-1]}» не может быть доменом верхнего уровня")
    return ascii_host


def parse_start_url(raw: str) -> tuple[str, bool]:
    """(url, http_fallback) for a start URL a person typed (command line, registry row), or InvalidURL.

    Accepted: a well-formed http(s) URL of a real host (a name with a dot, `localhost` or an IP address;
    Cyrillic names IDNA-encoded), or a bare host name, optionally with a port and path (`kcson.ru`,
    `www.kcson.ru/path`): https is used, and http tried when https does not answer (http_fallback).
    Rejected, never guessed at: another or misspelt scheme (`htp:/bad`), a broken authority
    (`http://[127.0.0.1/`, a bad port, user:password@), a host without a dot, spaces and control or
    invisible characters."""
    raw = raw.strip() if isinstance(raw, str) else ""
    if not raw:
        raise InvalidURL("не указан адрес сайта")
    shown = _shown(raw)
    if any(unicodedata.category(ch) in _INVISIBLE for ch in raw):
        raise InvalidURL(f"адрес «{shown}» содержит пробел или управляющий (невидимый) символ")
    typed = _TYPED_SCHEME.match(raw)
    fallback = typed is None
    if typed:
        scheme = typed.group(1).lower()
        if scheme not in ("http", "https"):
            if "." in scheme:       # "kcson.ru:abc": a host with a broken port, not a scheme
                raise InvalidURL(f"адрес «{shown}» некорректен: порт указан неверно")
            raise InvalidURL(f"адрес «{shown}»: схема «{typed.group(1)}:» не поддерживается — "
                             "поддерживаются только http:// и https://")
        if not raw[typed.end():].startswith("//"):
            raise InvalidURL(f"адрес «{shown}»: после «{typed.group(1)}:» должно идти «//» (например https://kcson.ru)")
    url = raw if typed else f"https://{raw}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        reason = "порт указан неверно" if "port" in str(exc).lower() else "нарушена запись имени сайта"
        raise InvalidURL(f"адрес «{shown}» некорректен: {reason}") from None
    if "@" in parts.netloc:
        raise InvalidURL(f"адрес «{shown}» содержит имя пользователя или пароль (часть до «@») — "
                         "укажите адрес сайта без них")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidURL(f"адрес «{shown}» некорректен: не удалось выделить имя сайта")
    if port == 0:
        raise InvalidURL(f"адрес «{shown}» некорректен: порт должен быть от 1 до 65535")
    ascii_host = _ascii_host(host, shown)
    netloc = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    if port is not None:
        netloc += f":{port}"
    url = safe_url_string(urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, parts.fragment)))
    return url, fallback


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address really reaches (mapped ::ffff:a.b.c.d, 6to4, NAT64), if any."""
    if addr.ipv4_mapped or addr.sixtofour:
        return addr.ipv4_mapped or addr.sixtofour
    if addr in _NAT64:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def is_private_ip(ip: str) -> bool:
    """Loopback, private, link-local (169.254.0.0/16, the cloud metadata address), CGNAT (100.64.0.0/10),
    multicast, unspecified, reserved, and their IPv6 forms: addresses an audit must never wander into."""
    addr = ipaddress.ip_address(ip.strip("[]").split("%")[0])
    inner = _embedded_v4(addr) if addr.version == 6 else None
    if inner is not None and is_private_ip(str(inner)):
        return True
    return not addr.is_global or addr.is_multicast


def _address_kind_ru(ip: str) -> str:
    addr = ipaddress.ip_address(ip.strip("[]").split("%")[0])
    addr = (_embedded_v4(addr) or addr) if addr.version == 6 else addr
    if addr.is_loopback:
        return "сам компьютер проверяющего (loopback)"
    if addr.is_link_local:
        return "локальный сегмент сети, link-local, в том числе адрес метаданных облака"
    if addr.version == 4 and addr in _CGNAT:
        return "сеть оператора связи (CGNAT)"
    if addr.is_multicast:
        return "групповая рассылка (multicast)"
    if addr.is_unspecified:
        return "неопределённый адрес"
    if addr.is_private:
        return "частная сеть"
    return "зарезервированный адрес"


def private_refusal(host: str, ip: str) -> str:
    """Why a request to `host` (at `ip`) is refused, in Russian."""
    where = f"адрес {host}" if host.strip("[]") == ip.strip("[]") else f"адрес {host} ({ip})"
    return (f"{where} ведёт во внутреннюю сеть — {_address_kind_ru(ip)}; не проверялся "
            "(используйте --allow-private, если это нужно)")


class AddressGuard:
    """The private-address rule, the same for the crawl, the browser stage and the registry: a host is refused
    when it is (or resolves to) an address of is_private_ip, unless --allow-private or the user named it (the
    audited host, --extra-host, a --resolve pin)."""

    def __init__(self, allow_private: bool = False, named: list[str] | tuple[str, ...] | set[str] = (),
                 pins: dict[str, str] | None = None):
        self.allow_private = allow_private
        self.named = {host_key(h if "://" in h else f"http://{h}") for h in named}
        self.pins = {k.lower(): v for k, v in (pins or {}).items()}

    def trusted(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return self.allow_private or host_key(url) in self.named or host in self.pins

    def refusal_for(self, url: str, ips: list[str]) -> str | None:
        """The refusal (Russian) when `url`, whose host has the addresses `ips`, may not be contacted."""
        if self.trusted(url):
            return None
        host = urlsplit(url).hostname or ""
        bad = next((ip for ip in ips if is_private_ip(ip)), None)
        return private_refusal(host, bad) if bad else None

    def literal_refusal(self, url: str) -> str | None:
        """The same without DNS: only an IP literal, or localhost (always loopback, RFC 6761), can be judged."""
        host = urlsplit(url).hostname or ""
        if host == "localhost" or host.endswith(".localhost"):
            return self.refusal_for(url, ["127.0.0.1"])
        return self.refusal_for(url, [host]) if is_ip_literal(host) else None

    def _addresses(self, url: str) -> tuple[str, int] | None:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if not host or is_ip_literal(host):
            return None
        try:
            port = parts.port or DEFAULT_PORTS.get(parts.scheme, 80)
        except ValueError:
            port = 80
        return self.pins.get(host, host), port

    async def refusal(self, url: str) -> str | None:
        """refusal_blocking() without blocking the event loop (the look-up runs in a thread, as
        loop.getaddrinfo does)."""
        return await asyncio.to_thread(self.refusal_blocking, url)

    def refusal_blocking(self, url: str) -> str | None:
        """literal_refusal, or for a host name the addresses it resolves to (a failed look-up is not refused:
        the request then fails on its own, as the crawl's does)."""
        return self.lookup(url)[0]

    def lookup(self, url: str) -> tuple[str | None, list[str]]:
        """(refusal_blocking's answer, the addresses the host name resolved to): a caller that connects itself
        uses exactly these, so DNS cannot re-point the name between the check and the connection. No addresses
        when nothing was looked up (a trusted host, an IP literal) or the look-up failed."""
        if self.trusted(url):
            return None, []
        target = self._addresses(url)
        if target is None:
            return self.literal_refusal(url), []
        try:
            infos = socket.getaddrinfo(*target, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return None, []
        ips = list(dict.fromkeys(i[4][0] for i in infos))
        return self.refusal_for(url, ips), ips


class SiteScope:
    """The hosts of one organisation's site: the start host, extra hosts, hosts its entry redirected to."""

    def __init__(self, start_url: str, extra_hosts: list[str] | tuple[str, ...] = ()):
        self.start_key = host_key(start_url)
        self.keys: set[str] = {self.start_key}
        # Hosts the user named explicitly: trusted even when they resolve to a private address.
        self.named: set[str] = {self.start_key}
        for h in extra_hosts:
            key = host_key(h if "://" in h else f"http://{h}")
            self.keys.add(key)
            self.named.add(key)

    def contains(self, url: str) -> bool:
        return host_key(url) in self.keys

    def is_named(self, url: str) -> bool:
        return host_key(url) in self.named

    def adopt(self, url: str) -> None:
        """The start URL redirected here: the organisation's site lives on this host too."""
        self.keys.add(host_key(url))

    @property
    def hosts(self) -> list[str]:
        return sorted(self.keys)
