"""The web server's gate: the access token on every request, CSRF on every form, one log line per request.

The token may come as `Authorization: Bearer …`, as the `nok_token` cookie, or once as `?token=…` in the
address the operator was given (then it is moved into an HttpOnly cookie and the address cleaned, so it
never stays in the browser history or the log). CSRF uses a double-submit cookie: a form's hidden `csrf`
field must equal the `nok_csrf` cookie, which another site can neither read nor set.
"""
from __future__ import annotations

import hmac
import logging
import secrets
import time
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse

log = logging.getLogger("nok_audit.web")

TOKEN_COOKIE = "nok_token"
CSRF_COOKIE = "nok_csrf"
CSRF_FIELD = "csrf"


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


class Gate:
    """Pure ASGI middleware (streams SSE unbuffered): token check and the request log line."""

    def __init__(self, app, token: str):
        self.app = app
        self.token = token

    def _presented(self, request: Request) -> str:
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return request.cookies.get(TOKEN_COOKIE, "")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.monotonic()
        status = [0]

        async def send_logged(message):
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        request = Request(scope)
        try:
            if self.token and not _same(self._presented(request), self.token):
                query = dict(parse_qsl(request.url.query))
                if request.method == "GET" and _same(query.pop("token", ""), self.token):
                    clean = request.url.path + (f"?{urlencode(query)}" if query else "")
                    response = RedirectResponse(clean, status_code=303)
                    response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
                else:
                    response = PlainTextResponse("Нужен ключ доступа: откройте адрес с ?token=…, выданный при "
                                                 "запуске сервера, или передайте заголовок Authorization: "
                                                 "Bearer …", status_code=401,
                                                 headers={"WWW-Authenticate": "Bearer"})
                return await response(scope, receive, send_logged)
            await self.app(scope, receive, send_logged)
        finally:
            # The path only: a query string may carry the token.
            client = scope.get("client") or ("-", 0)
            log.info('%s "%s %s" %s %.0f ms', client[0], request.method, request.url.path, status[0],
                     (time.monotonic() - start) * 1000)


def csrf_token(request: Request) -> str:
    """The token for the page's forms: the browser's cookie, or a new one (set by `remember_csrf`)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", "")
    if not token:
        token = request.state.new_csrf = secrets.token_urlsafe(24)
    return token


def remember_csrf(request: Request, response) -> None:
    new = getattr(request.state, "new_csrf", "")
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="strict")


def csrf_ok(request: Request, form) -> bool:
    return _same(str(form.get(CSRF_FIELD, "")), request.cookies.get(CSRF_COOKIE, ""))
