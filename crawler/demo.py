"""Serving the demo organisation site (crawler/demo_site/) on loopback for `nok-audit demo`."""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEMO_SITE = Path(__file__).parent / "demo_site"


class _QuietHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".html": "text/html; charset=utf-8"}

    def log_message(self, format, *args):
        pass


def serve_demo_site(host: str = "127.0.0.1") -> tuple[ThreadingHTTPServer, str]:
    """Start the demo site on an ephemeral loopback port; returns (server, base URL)."""
    handler = functools.partial(_QuietHandler, directory=str(DEMO_SITE))
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}/"
