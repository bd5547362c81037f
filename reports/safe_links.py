"""Which strings from the audited site may become a link or an image in a report: a plain http(s) URL, a
screenshot beside the report; everything else stays text. And URLs and hosts shown readably (IDNA decoded)."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit, urlunsplit

from reports.russian_format import format_time

# A screenshot may become <img src> / <a href> only as a plain file name inside the report's own
# screenshots/ folder: no scheme, no "/" after the folder, no "..", "%", backslash or whitespace tricks.
_SCREENSHOT_PATH = re.compile(r"screenshots/[A-Za-z0-9_.-]+\.png")

# A URL may become a link only if it literally starts with http:// or https:// and holds no
# whitespace or control characters (browsers strip those, which could turn "java\tscript:" into
# a scheme). Anything else (javascript:, data:, vbscript:, relative junk) stays plain text.
_LINKABLE = re.compile(r"https?://[^\s\x00-\x1f\x7f]+\Z", re.IGNORECASE)


def link(url: str | None) -> dict | None:
    """{text, href}: href is None unless the URL is a plain http(s) URL."""
    if not url:
        return None
    href = url if _LINKABLE.match(url) else None
    return {"text": readable_url(url) if href else url, "href": href}


def screenshot(shot: dict) -> dict:
    """{src, caption, path, taken}: src is None unless the path is screenshots/<plain name>.png."""
    path = shot.get("path", "")
    ok = _SCREENSHOT_PATH.fullmatch(path) is not None and ".." not in path
    return {"src": path if ok else None, "path": path, "caption": shot.get("caption", ""),
            "taken": format_time(shot.get("taken_at", ""))}


def readable_host(host: str) -> str:
    """Punycode labels decoded: xn--80aaf.xn--p1ai -> сайт.рф (unchanged when not decodable)."""
    try:
        return ".".join(label.encode("ascii").decode("idna") if label.lower().startswith("xn--") else label
                        for label in host.split("."))
    except UnicodeError:
        return host


def readable_url(url: str) -> str:
    """Percent-encoded Cyrillic paths and punycode hosts shown as people read them (сайт.рф/сведения).

    Only for display: the href keeps the URL exactly as found."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if "xn--" in host:
            parts = parts._replace(netloc=parts.netloc.lower().replace(host, readable_host(host)))
        text = unquote(urlunsplit(parts), errors="replace")
    except (ValueError, UnicodeError):
        return url
    # Decoding must not smuggle in invisible or direction-changing characters (%E2%80%AE, %0A).
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        return url
    return text
