"""Loopback HTTP server for the realistic test sites under tests/sites/.

Each site folder is served by its own real HTTP/1.1 server (stdlib
``ThreadingHTTPServer``, keep-alive, every response has a Content-Length) bound
to its own loopback address 127.0.0.N on an ephemeral port, so a crawler sees
every site as a separate host.

API
---
``start_site(folder, ip, other_base_url=None, port=0) -> SiteServer``
    Serve one folder in a daemon thread. ``SiteServer.base_url`` is like
    ``"http://127.0.0.7:41234"`` (no trailing slash); ``.url(path)`` joins a
    path; ``.stop()`` shuts it down (also usable as a context manager);
    ``.requests`` records every request as ``Hit(method, path, headers, at, body)`` (path
    with query string, ``at`` its monotonic arrival time), so tests can check what
    a crawler did or did not fetch, and when. ``.config`` (the parsed
    ``_server.json``) may be changed while serving.
``start_all(sites_root, first_octet_start=10) -> dict[str, SiteServer]``
    Start every site folder under ``sites_root`` (sorted by name; folders whose
    name starts with ``_`` or ``.`` and folders without files are skipped) on
    127.0.0.10, .11, ... Sites whose ``_server.json`` has ``other_site`` are
    started last, with that sibling's base URL as ``other_base_url``.
``dead_url(ip) -> str``
    An http URL on ``ip`` where nothing listens (connections are refused).

Serving rules
-------------
* Static files from the folder; a directory path serves its ``index.html``; a
  directory path without the trailing slash is redirected (301) to it, as
  Apache/nginx do. The query string is ignored when looking up files (so
  ``/?special=Y`` or ``?PHPSESSID=...`` serve the same page).
* Files and folders whose name starts with ``_`` (``_server.json``,
  ``_expected.json``) are never served (404), nor is anything outside the folder.
* Content-Type by extension: ``.html``/``.htm``/``.php`` -> ``text/html;
  charset=utf-8`` (see ``charset_header``), ``.pdf`` -> ``application/pdf``,
  ``.docx``, ``.doc``, ``.xlsx``, ``.xls``, ``.odt``, ``.rtf``, ``.jpg``, ``.png``,
  ``.gif``, ``.svg``, ``.css``, ``.js``, ``.txt``, ``.xml``, ``.json``, ``.ico``;
  anything else ``application/octet-stream``.
* ``robots.txt`` in the folder is served as-is (``text/plain``); without one,
  ``/robots.txt`` is a plain 404.
* GET and HEAD are served; any other method answers 405, except POST to a path listed in ``post``.

``_server.json`` keys (all optional)
------------------------------------
``"charset_header": "utf-8"``
    Charset sent in the Content-Type of HTML files whatever their real encoding
    (to simulate a windows-1251 site whose header wrongly says utf-8).
    ``null`` sends ``text/html`` with no charset at all. Default ``"utf-8"``.
``"redirects": {"/old/": "/new/", "/": "{{OTHER}}/"}``
    301 redirects by exact path (query ignored). A target may be a path or an
    absolute URL; ``{{OTHER}}`` in a target is replaced by the
    ``other_base_url`` argument of ``start_site`` (ValueError when it is
    needed and not given).
``"browser_redirects": {"/anketa/": "http://localhost:8080/anketa/"}``
    302 redirects only for a browser's page navigations (requests with ``Upgrade-Insecure-Requests: 1``,
    which crawlers and API clients do not send): the crawl sees the page, the browser is sent elsewhere.
``"other_site": "kcson_moved_target"``
    Only read by ``start_all``: the sibling site whose base URL replaces
    ``{{OTHER}}``.
``"redirect_loop": ["/loop-a", "/loop-b"]``
    Each path redirects (302) to the next one, the last to the first.
``"status": {"/broken/": 500, "/gone/": 404}``
    Answer these paths with that HTTP status and a small Russian HTML error page.
``"calendar": "/calendar/"``
    An endless calendar under that prefix: ``<prefix>?month=YYYY-MM`` pages (the
    bare prefix shows 2025-01), each linking to the previous and next month and
    to every day ``<prefix>YYYY/MM/DD/``; day pages link to the previous and next
    day and back to their month. Nothing needs to exist on disk.
``"session_ids": true`` or ``["/novosti/", ...]``
    At serve time, append ``?PHPSESSID=<fresh random hex>`` (``&`` when the link
    already has a query) to every same-site ``<a>``/``<area>`` href in HTML
    pages (``true``, as PHP's trans-sid does),
    or only to links whose path starts with one of the listed prefixes. A new
    id is made for every response: a crawler that does not drop session ids
    sees endless new URLs.
``"big": {"/big.html": 52428800}``
    Stream that many bytes of generated HTML (never stored), with the exact
    Content-Length.
``"garbage": ["/garbage"]``
    Answer with bytes that are not HTTP at all, then close the connection.
``"slow": {"/slow/": 20}``
    Sleep that many seconds before answering (each request has its own thread,
    other requests are not blocked; ``stop()`` ends the wait early).
``"gzip": true``
    Gzip text responses (HTML, CSS, JS, XML, JSON, SVG, error pages; not
    documents, images or ``big`` streams) when the request's Accept-Encoding
    allows gzip; adds ``Content-Encoding: gzip`` and ``Vary: Accept-Encoding``.
``"binary_as_html": ["/fake.html"]``
    Serve 64 KiB of random binary bytes as ``text/html; charset=utf-8``.
``"retry_after": {"/uslugi/": {"status": 429, "value": "3600", "times": 1}}``
    The first ``times`` requests of that path (default: all) answer ``status``
    (default 429) with ``Retry-After: value``; ``"date+N"`` sends an HTTP-date
    N seconds after the moment of the answer. Later requests are served normally.
    ``.refused_at`` lists when each such answer had been sent.
``"post": {"/priemnaya/send/": 200}``
    Accept POST on these paths (a form's endpoint): below 400 a small «обращение зарегистрировано» page
    (``[200, "text"]``: that text instead, e.g. an error message on a 200 page), else an error page. The body is recorded in ``Hit.body``. GET of the same path is served
    as usual (combine with ``status`` for an endpoint that answers GET with 404/405/400). Tests may
    change ``SiteServer.config["post"]`` / ``["status"]`` between runs: the config is read per request.

Special paths are checked in this order: garbage, slow (then continues),
retry_after, redirect_loop, browser_redirects, redirects, status, big, binary_as_html, calendar,
static files. (``"status": {"/robots.txt": 500}`` makes robots.txt fail.)

By hand: ``python tests/sitesrv.py tests/sites/kcson_full 127.0.0.10 [--port N]
[--other http://127.0.0.11:8000]`` serves one site until Ctrl-C.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import secrets
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".php": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".doc": "application/msword",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xls": "application/vnd.ms-excel",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".rtf": "application/rtf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".json": "application/json",
}
HTML_EXTENSIONS = {".html", ".htm", ".php"}
GARBAGE = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 \xff\xfe\x00 this is not HTTP at all \x00\x01\x02\r\n\r\n"
DEFAULT_CALENDAR_MONTH = date(2025, 1, 1)
_HREF = re.compile(rb"""(<(?:a|area)\b[^>]*?\bhref\s*=\s*)(["'])([^"']*)\2""", re.I)
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")


@dataclass
class Hit:
    method: str
    path: str                 # path with query string, as requested
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)    # when the request arrived (monotonic clock)
    body: str = ""            # a POST body (decoded as UTF-8), for ``post`` paths


def _load_config(folder: Path, other_base_url: str | None) -> dict:
    cfg_file = folder / "_server.json"
    cfg = json.loads(cfg_file.read_text(encoding="utf-8")) if cfg_file.exists() else {}
    redirects = {}
    for src, target in (cfg.get("redirects") or {}).items():
        if "{{OTHER}}" in target:
            if not other_base_url:
                raise ValueError(f"{cfg_file}: redirect {src} needs other_base_url for {{{{OTHER}}}}")
            target = target.replace("{{OTHER}}", other_base_url.rstrip("/"))
        redirects[src] = target
    cfg["redirects"] = redirects
    return cfg


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that resets the connection (a crawler aborting a big download) is normal here.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class SiteServer:
    """One site folder served on ip:port in a daemon thread."""

    def __init__(self, folder: Path, ip: str, other_base_url: str | None = None, port: int = 0):
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise FileNotFoundError(self.folder)
        self.name = self.folder.name
        self.config = _load_config(self.folder, other_base_url)
        self.requests: list[Hit] = []
        self.refused: dict[str, int] = {}                # path -> requests answered by `retry_after`
        self.refused_at: list[float] = []                # when each such answer had been sent (monotonic)
        self.stopping = threading.Event()
        self.connections: set[socket.socket] = set()     # open client connections, closed by stop()
        self._lock = threading.Lock()
        self.verbose = False
        handler = type("Handler", (_Handler,), {"site": self})
        self.httpd = _HTTPServer((ip, port), handler)
        self.ip = ip
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://{ip}:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"sitesrv-{self.name}",
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def stop(self) -> None:
        """Stop serving: wakes `slow` sleepers, ends `big` streams and closes kept-alive connections."""
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        with self._lock:
            conns = list(self.connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.thread.join(timeout=5)

    def __enter__(self) -> "SiteServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SiteServer({self.name!r}, {self.base_url})"


class _Handler(BaseHTTPRequestHandler):
    site: SiteServer
    protocol_version = "HTTP/1.1"
    server_version = "Apache/2.4.41"

    def version_string(self) -> str:
        return self.server_version

    timeout = 60    # an idle kept-alive connection is closed after this many seconds

    def setup(self):
        super().setup()
        with self.site._lock:
            self.site.connections.add(self.connection)

    def finish(self):
        with self.site._lock:
            self.site.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        if self.site.verbose:
            sys.stderr.write(f"[{self.site.name}] {self.address_string()} {format % args}\n")

    # ---- entry points
    def do_GET(self):
        self._serve(head=False)

    def do_HEAD(self):
        self._serve(head=True)

    def _not_allowed(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.site.requests.append(Hit(self.command, self.path, dict(self.headers), body=body.decode("utf-8", "replace")))
        status = (self.site.config.get("post") or {}).get(unquote(urlsplit(self.path).path))
        if self.command == "POST" and status:
            status, text = (int(status[0]), status[1]) if isinstance(status, list) else (int(status), "")
            page = (_page("Обращение", f"<p>{text or 'Спасибо! Ваше обращение зарегистрировано.'}</p>") if status < 400
                    else _error_page(status, "Ошибка сервера" if status >= 500 else "Страница не найдена"))
            return self._send(status, page, "text/html; charset=utf-8")
        self._send(405, _error_page(405, "Метод не поддерживается"), "text/html; charset=utf-8",
                   extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    # ---- helpers
    def _send(self, status: int, body: bytes, ctype: str | None, head: bool = False,
              extra: dict | None = None, compressible: bool = True) -> None:
        cfg = self.site.config
        headers = dict(extra or {})
        if (compressible and cfg.get("gzip") and body and ctype and ctype.startswith(_COMPRESSIBLE)
                and "gzip" in (self.headers.get("Accept-Encoding") or "").lower()):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _redirect(self, status: int, target: str, head: bool) -> None:
        body = (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Перемещено</title></head>'
                f'<body><p>Документ перемещён: <a href="{target}">{target}</a></p></body></html>').encode()
        self._send(status, body, "text/html; charset=utf-8", head, extra={"Location": target})

    def _html_type(self) -> str:
        cfg = self.site.config
        if "charset_header" in cfg:
            cs = cfg["charset_header"]
            return f"text/html; charset={cs}" if cs else "text/html"
        return "text/html; charset=utf-8"

    def _serve(self, head: bool) -> None:
        site = self.site
        cfg = site.config
        site.requests.append(Hit(self.command, self.path, dict(self.headers)))
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        try:
            if path in (cfg.get("garbage") or []):
                self.wfile.write(GARBAGE)
                self.wfile.flush()
                self.close_connection = True
                return
            delay = (cfg.get("slow") or {}).get(path)
            if delay:
                if site.stopping.wait(float(delay)):
                    self.close_connection = True
                    return
            refusal = (cfg.get("retry_after") or {}).get(path)
            if refusal and self._refuse(path, refusal, head):
                return
            loop = cfg.get("redirect_loop") or []
            if path in loop:
                return self._redirect(302, loop[(loop.index(path) + 1) % len(loop)], head)
            if path in (cfg.get("browser_redirects") or {}) and self.headers.get("Upgrade-Insecure-Requests") == "1":
                return self._redirect(302, cfg["browser_redirects"][path], head)
            if path in cfg["redirects"]:
                return self._redirect(301, cfg["redirects"][path], head)
            status = (cfg.get("status") or {}).get(path)
            if status:
                return self._send(int(status), _error_page(int(status), "Ошибка сервера" if int(status) >= 500
                                                           else "Страница не найдена"),
                                  "text/html; charset=utf-8", head)
            size = (cfg.get("big") or {}).get(path)
            if size:
                return self._stream_big(int(size), head)
            if path in (cfg.get("binary_as_html") or []):
                body = random.Random(path).randbytes(65536)
                return self._send(200, body, "text/html; charset=utf-8", head, compressible=False)
            cal = cfg.get("calendar")
            if cal and path.startswith(cal):
                return self._calendar(cal, path, parts.query, head)
            self._static(path, head)
        except OSError:            # client went away, or stop() closed the connection
            self.close_connection = True

    def _refuse(self, path: str, rule: dict, head: bool) -> bool:
        with self.site._lock:
            n = self.site.refused[path] = self.site.refused.get(path, 0) + 1
        if rule.get("times") is not None and n > int(rule["times"]):
            return False
        value = str(rule.get("value", "1"))
        if value.startswith("date+"):
            value = formatdate(time.time() + float(value[5:]), usegmt=True)
        status = int(rule.get("status", 429))
        self._send(status, _error_page(status, "Слишком много запросов"), "text/html; charset=utf-8", head,
                   extra={"Retry-After": value})
        self.wfile.flush()
        with self.site._lock:
            self.site.refused_at.append(time.monotonic())
        return True

    def _static(self, path: str, head: bool) -> None:
        root = self.site.folder
        rel = path.lstrip("/")
        target = (root / rel).resolve()
        hidden = any(p.startswith("_") for p in Path(rel).parts)
        if hidden or (target != root and root not in target.parents):
            return self._not_found(head)
        if target.is_dir():
            if not path.endswith("/"):
                return self._redirect(301, path + "/", head)
            target = target / "index.html"
        if not target.is_file():
            return self._not_found(head)
        ext = target.suffix.lower()
        body = target.read_bytes()
        if ext in HTML_EXTENSIONS:
            ctype = self._html_type()
            body = self._add_session_ids(body)
        else:
            ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
        self._send(200, body, ctype, head)

    def _not_found(self, head: bool) -> None:
        self._send(404, _error_page(404, "Страница не найдена"), "text/html; charset=utf-8", head)

    def _add_session_ids(self, body: bytes) -> bytes:
        rule = self.site.config.get("session_ids")
        if not rule:
            return body
        prefixes = None if rule is True else [p.encode() for p in rule]

        def repl(m: re.Match) -> bytes:
            href = m.group(3)
            low = href.lower()
            if low.startswith((b"http:", b"https:", b"mailto:", b"tel:", b"javascript:", b"#", b"//", b"data:")):
                return m.group(0)
            if b"#" in href:
                href, frag = href.split(b"#", 1)
                frag = b"#" + frag
            else:
                frag = b""
            if prefixes is not None and not any(href.startswith(p) for p in prefixes):
                return m.group(0)
            sep = b"&" if b"?" in href else b"?"
            sid = secrets.token_hex(13).encode()
            return m.group(1) + m.group(2) + href + sep + b"PHPSESSID=" + sid + frag + m.group(2)

        return _HREF.sub(repl, body)

    def _stream_big(self, size: int, head: bool) -> None:
        start = (b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>\xd0\x9e\xd1\x87\xd0\xb5\xd0\xbd\xd1\x8c '
                 b'\xd0\xb1\xd0\xbe\xd0\xbb\xd1\x8c\xd1\x88\xd0\xb0\xd1\x8f \xd1\x81\xd1\x82\xd1\x80\xd0\xb0\xd0\xbd\xd0\xb8\xd1\x86\xd0\xb0'
                 b'</title></head><body>\n')
        end = b"\n</body></html>\n"
        para = "<p>Фотоархив: строка с описанием фотографии, повторяется много раз.</p>\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if head:
            return
        if size < len(start) + len(end):
            self.wfile.write((start + end)[:size])
            return
        self.wfile.write(start)
        remaining = size - len(start) - len(end)
        chunk = para * (65536 // len(para))
        while remaining > 0:
            if self.site.stopping.is_set():
                self.close_connection = True
                return
            piece = chunk[:remaining]
            if len(piece) < len(chunk):      # pad the last piece with spaces, exact length
                piece = b" " * len(piece)
            self.wfile.write(piece)
            remaining -= len(piece)
        self.wfile.write(end)

    def _calendar(self, prefix: str, path: str, query: str, head: bool) -> None:
        rest = path[len(prefix):].strip("/")
        m = re.fullmatch(r"(\d{4})/(\d{2})/(\d{2})", rest)
        if m:
            try:
                day = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return self._not_found(head)
            prev_d, next_d = day - timedelta(days=1), day + timedelta(days=1)
            body = _page(f"Афиша на {day:%d.%m.%Y}",
                         f"<p>Мероприятий на {day:%d.%m.%Y} не запланировано.</p>"
                         f'<p><a href="{prefix}{prev_d:%Y/%m/%d}/">← {prev_d:%d.%m.%Y}</a> | '
                         f'<a href="{prefix}{next_d:%Y/%m/%d}/">{next_d:%d.%m.%Y} →</a> | '
                         f'<a href="{prefix}?month={day:%Y-%m}">Весь месяц</a></p>')
            return self._send(200, body, "text/html; charset=utf-8", head)
        if rest:
            return self._not_found(head)
        month = (parse_qs(query).get("month") or [""])[0]
        mm = re.fullmatch(r"(\d{4})-(\d{2})", month)
        try:
            first = date(int(mm[1]), int(mm[2]), 1) if mm else DEFAULT_CALENDAR_MONTH
        except ValueError:
            first = DEFAULT_CALENDAR_MONTH
        prev_m = (first - timedelta(days=1)).replace(day=1)
        next_m = (first + timedelta(days=32)).replace(day=1)
        days = []
        d = first
        while d.month == first.month:
            days.append(f'<a href="{prefix}{d:%Y/%m/%d}/">{d.day}</a>')
            d += timedelta(days=1)
        body = _page(f"Календарь мероприятий: {first:%m.%Y}",
                     f'<p><a href="{prefix}?month={prev_m:%Y-%m}">« Предыдущий месяц</a> | '
                     f'<a href="{prefix}?month={next_m:%Y-%m}">Следующий месяц »</a></p>'
                     f'<div class="calendar-days">{" ".join(days)}</div>')
        self._send(200, body, "text/html; charset=utf-8", head)


def _page(title: str, content: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><main><h1>{title}</h1>{content}</main></body></html>').encode()


def _error_page(status: int, text: str) -> bytes:
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{status} {text}</title></head>'
            f'<body><h1>{status}</h1><p>{text}</p></body></html>').encode()


def start_site(folder: Path, ip: str, other_base_url: str | None = None, port: int = 0) -> SiteServer:
    """Serve `folder` on http://ip:<ephemeral port> in a daemon thread."""
    return SiteServer(Path(folder), ip, other_base_url=other_base_url, port=port)


def _site_folders(sites_root: Path) -> list[Path]:
    return sorted(p for p in Path(sites_root).iterdir()
                  if p.is_dir() and not p.name.startswith(("_", ".")) and any(p.iterdir()))


def start_all(sites_root: Path, first_octet_start: int = 10) -> dict[str, SiteServer]:
    """Start every site under `sites_root` on 127.0.0.<first_octet_start>, +1, ... (sorted by name).

    Sites with ``other_site`` in their _server.json start after the others and get that
    sibling's base URL for ``{{OTHER}}``. The address of a site depends only on its
    position in the sorted list, not on start order."""
    folders = _site_folders(sites_root)
    ips = {f.name: f"127.0.0.{first_octet_start + i}" for i, f in enumerate(folders)}
    if first_octet_start + len(folders) - 1 > 254:
        raise ValueError("too many sites for the 127.0.0.x range")
    deferred, servers = [], {}
    try:
        for f in folders:
            cfg_file = f / "_server.json"
            cfg = json.loads(cfg_file.read_text(encoding="utf-8")) if cfg_file.exists() else {}
            if cfg.get("other_site"):
                deferred.append((f, cfg["other_site"]))
            else:
                servers[f.name] = start_site(f, ips[f.name])
        for f, other in deferred:
            if other not in servers:
                raise ValueError(f"{f.name}: other_site {other!r} is not a started site")
            servers[f.name] = start_site(f, ips[f.name], other_base_url=servers[other].base_url)
    except BaseException:
        for s in servers.values():
            s.stop()
        raise
    return {f.name: servers[f.name] for f in folders}


def dead_url(ip: str = "127.0.0.1") -> str:
    """An http URL on `ip` where nothing listens: bind an ephemeral port, close it, return it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ip, 0))
        port = s.getsockname()[1]
    return f"http://{ip}:{port}/"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Serve one test site folder on a loopback address.")
    ap.add_argument("folder", type=Path)
    ap.add_argument("ip", nargs="?", default="127.0.0.10")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--other", default=None, help="base URL that replaces {{OTHER}} in redirects")
    ap.add_argument("-q", "--quiet", action="store_true", help="do not log requests")
    args = ap.parse_args(argv)
    other = args.other
    if other is None and (args.folder / "_server.json").exists():
        if "{{OTHER}}" in (args.folder / "_server.json").read_text(encoding="utf-8"):
            other = "http://127.0.0.1:9"
            print(f"note: {{{{OTHER}}}} replaced by {other}; pass --other URL", file=sys.stderr)
    srv = start_site(args.folder, args.ip, other_base_url=other, port=args.port)
    srv.verbose = not args.quiet
    print(f"serving {args.folder} at {srv.base_url}/  (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
