"""The URL helpers every stage shares: one canonical form for the crawl's de-duplication, one comparison key
for evaluation, one site identity of a host. Pure functions on strings (no network)."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
# Query parameters that only mark a campaign or a click: one page is one URL without them.
_TRACKING = r"utm_\w+|fbclid|gclid|yclid|_openstat"
_TRACKING_PAIR = re.compile(rf"(?:^|(?<=&))(?:{_TRACKING})=[^&]*", re.I)
# ... and those that identify a visitor or a view of the page: the crawl drops them too.
_SESSION_PARAM = re.compile(rf"^(phpsessid|sid|sessid|session_?id|jsessionid|s|{_TRACKING}|from|clear_cache"
                            r"|bitrix_include_areas|back_url_admin)$", re.I)
_JSESSION_IN_PATH = re.compile(r";jsessionid=[^/?#]*", re.I)
_INDEX_FILE = re.compile(r"/index\.(?:php|html?|aspx?)$", re.I)


def strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def url_key(url: str) -> str | None:
    """Comparable form of an http(s) URL: host without www, path without trailing slash, query;
    no scheme, no fragment. None for other schemes (mailto:, tel:)."""
    try:
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https"):
            return None
        host = strip_www((parts.hostname or "").lower())
    except ValueError:
        return None
    path = unquote(parts.path or "/")
    path = _INDEX_FILE.sub("/", path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = parts.query
    if query and _TRACKING_PAIR.search(query):
        query = "&".join(q for q in query.split("&") if not _TRACKING_PAIR.match(q))
    return host + path + ("?" + query if query else "")


def canonical_url(url: str) -> str:
    """Drop the fragment and session/tracking parameters; sort the query."""
    parts = urlsplit(url)
    path = _JSESSION_IN_PATH.sub("", parts.path) or "/"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _SESSION_PARAM.match(k)]
    query.sort()
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(query), ""))


def host_key(url: str) -> str:
    """The site identity of a URL's host: www/non-www and http/https count as one site.

    A non-default port is part of the identity (two servers on one address are two sites).
    """
    parts = urlsplit(url)
    host = strip_www((parts.hostname or "").rstrip(".").lower())
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != DEFAULT_PORTS.get(parts.scheme):
        return f"{host}:{port}"
    return host
