"""The crawl journal: what the crawl did not or could not fetch, and why.

Evaluation reads it to tell `absent` from `unknown`, and reports show it. Every
message a person reads is Russian; `kind` is a stable machine key.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

# Stable problem kinds and their Russian explanations (shown in reports and on the terminal).
PROBLEM_KINDS = {
    "http_error": "сервер ответил ошибкой HTTP",
    "timeout": "сервер не ответил вовремя",
    "dns": "имя сайта не найдено (DNS)",
    "refused": "соединение отклонено: сайт не работает",
    "tls": "ошибка TLS/SSL-соединения",
    "connection": "соединение прервано",
    "too_large": "файл слишком большой, пропущен",
    "redirect_loop": "бесконечный цикл перенаправлений",
    "private_address": "ссылка ведёт на внутренний (частный) адрес, не проверялась",
    "robots": "запрещено файлом robots.txt",
    "robots_unavailable": "robots.txt сайта недоступен: по RFC 9309 обход не выполнялся",
    "rate_limited": "сайт ограничил частоту запросов (HTTP 429/503 с Retry-After), не загружалось",
    "offsite": "перенаправление на другой сайт, не обходился",
    "trap": "похоже на бесконечную ловушку (календарь, параметры), пропущено",
    "bad_response": "сервер ответил некорректными данными",
    "unsupported": "неподдерживаемый тип содержимого",
    "other": "ошибка загрузки",
}


@dataclass
class Problem:
    url: str
    kind: str                # a key of PROBLEM_KINDS
    message: str             # Russian, specific ("HTTP 404", "больше 20 МБ")
    referer: str | None = None
    link_text: str = ""
    is_document: bool = False


@dataclass
class RobotsInfo:
    obeyed: bool
    url: str = ""
    status: int | None = None     # None: robots.txt could not be fetched
    unavailable: str = ""         # Russian reason when RFC 9309 forbade the whole crawl (robots.txt 5xx, timeout)
    disallowed: list[Problem] = field(default_factory=list)


@dataclass
class CrawlJournal:
    start_url: str
    site_hosts: list[str]
    started_at: str
    user_agent: str
    max_pages: int
    max_depth: int
    final_url: str = ""           # where the start URL led after redirects
    finished_at: str = ""
    duration_s: float = 0.0
    entry_ok: bool = False        # the start page was fetched as HTML
    entry_error: str = ""         # Russian reason when it was not
    stop_reason: str = "finished"  # finished | max_pages | time_limit | interrupted | rate_limited
    pages: int = 0
    documents: int = 0
    rendered_pages: int = 0       # pages re-read from Chromium because their menu is built by script
    bytes: int = 0
    cut_off_links: int = 0        # same-site links not fetched because a limit was reached
    deep_links: int = 0           # links beyond --max-depth
    robots: RobotsInfo = field(default_factory=lambda: RobotsInfo(obeyed=True))
    problems: list[Problem] = field(default_factory=list)
    trap_patterns: dict[str, int] = field(default_factory=dict)   # URL pattern -> links dropped

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "CrawlJournal":
        d = dict(d)
        robots = dict(d.get("robots") or {"obeyed": True})
        robots["disallowed"] = [Problem(**p) for p in robots.get("disallowed", [])]
        d["robots"] = RobotsInfo(**robots)
        d["problems"] = [Problem(**p) for p in d.get("problems", [])]
        return cls(**d)
