"""Which URLs belong to the audited organisation's site."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def host_key(url: str) -> str:
    """The site identity of a URL's host: www/non-www and http/https count as one site.

    A non-default port is part of the identity (two servers on one address are two sites).
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{port}"
    return host


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        return False


def is_private_ip(ip: str) -> bool:
    """Loopback, private, link-local, reserved: addresses an audit must never wander into."""
    addr = ipaddress.ip_address(ip.strip("[]"))
    return not addr.is_global


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
