"""Turning download failures into journal problems with a Russian explanation."""
from __future__ import annotations

from twisted.internet import error as tx
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from scrapy.exceptions import (CannotResolveHostError, DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadFailedError, DownloadTimeoutError, IgnoreRequest, ResponseDataLossError)
from scrapy.spidermiddlewares.httperror import HttpError


class BlockedRequest(IgnoreRequest):
    """A request the audit refused to make; `kind` is a journal problem kind."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def _mentions_tls(exc: BaseException) -> bool:
    text = repr(exc).lower()
    return any(w in text for w in ("ssl", "tls", "certificate", "handshake"))


def classify(failure: Failure) -> tuple[str, str]:
    """(kind, Russian message) for a failed request."""
    exc = failure.value
    if isinstance(exc, BlockedRequest):
        return exc.kind, exc.message
    if isinstance(exc, HttpError):
        status = exc.response.status
        return "http_error", f"HTTP {status}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc)
        if "robots.txt" in text:
            return "robots", "запрещено правилами robots.txt"
        if "redirections" in text:
            return "redirect_loop", "слишком много перенаправлений (цикл)"
        return "other", text or "запрос пропущен"
    if isinstance(exc, DownloadCancelledError) and "max size" in str(exc):
        return "too_large", "размер ответа превышает допустимый предел, загрузка прервана"
    if isinstance(exc, (DownloadTimeoutError, tx.TimeoutError, tx.TCPTimedOutError)):
        return "timeout", "сервер не ответил за отведённое время"
    if isinstance(exc, (CannotResolveHostError, tx.DNSLookupError)):
        return "dns", "доменное имя не найдено (DNS)"
    if isinstance(exc, (DownloadConnectionRefusedError, tx.ConnectionRefusedError)):
        return "refused", "соединение отклонено: на этом адресе сайт не работает"
    if _mentions_tls(exc) or any(_mentions_tls(r.value) for r in getattr(exc, "reasons", []) if hasattr(r, "value")):
        return "tls", "не удалось установить защищённое соединение (TLS/SSL)"
    if isinstance(exc, (ResponseFailed, ResponseNeverReceived, DownloadFailedError, ResponseDataLossError)):
        reasons = " ".join(repr(getattr(r, "value", r)) for r in getattr(exc, "reasons", []))
        if "ParseError" in reasons or "BadStatus" in reasons or "ParseError" in repr(exc):
            return "bad_response", "сервер ответил не по протоколу HTTP (повреждённый ответ)"
        return "connection", "соединение прервано сервером до получения ответа"
    if isinstance(exc, (tx.ConnectionLost, tx.ConnectionDone, tx.ConnectError)):
        return "connection", "соединение прервано"
    return "other", f"ошибка загрузки: {type(exc).__name__}"
