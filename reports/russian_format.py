"""Numbers, sizes, durations and dates written the Russian way (decimal comma, 12 345, 22.11.2026)."""
from __future__ import annotations

from datetime import datetime

from checklists.russian_numbers import num as format_decimal  # noqa: F401  (decimal comma: 0,6; 0,8333; 1)

NBSP = "\u00a0"


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def format_int(value: int) -> str:
    """Thousands separated by a no-break space: 12 345."""
    return f"{value:,}".replace(",", NBSP)


def format_percent(share: float | None) -> str:
    """0.8333 -> «83,3 %»; None -> «—»."""
    if share is None:
        return "—"
    return f"{format_decimal(share * 100, 1)}{NBSP}%"


def format_bytes(size: int) -> str:
    if size < 1024:
        return f"{size}{NBSP}Б"
    for unit, factor in (("КБ", 1024), ("МБ", 1024 ** 2), ("ГБ", 1024 ** 3)):
        if size < factor * 1024 or unit == "ГБ":
            return f"{format_decimal(size / factor, 1)}{NBSP}{unit}"
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    """75.4 -> «1 мин 15 с»; 3725 -> «1 ч 2 мин 5 с»."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours}{NBSP}ч")
    if minutes:
        parts.append(f"{minutes}{NBSP}мин")
    if secs or not parts:
        parts.append(f"{secs}{NBSP}с")
    return " ".join(parts)


def format_time(iso: str) -> str:
    """ISO 8601 -> «22.11.2026 14:05:03 UTC»; text that is not ISO is returned as is; '' -> «—»."""
    if not iso:
        return "—"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    text = moment.strftime("%d.%m.%Y %H:%M:%S")
    offset = moment.utcoffset()
    if offset is None:
        return text
    if not offset:
        return f"{text} UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text} UTC{sign}{hours:02d}:{mins:02d}"
