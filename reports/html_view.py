"""The view of report.html: report.json content turned into ready-to-print strings and CSS classes.

Templates render; they never compute. Everything the template shows (Russian labels, formatted
numbers, CSS class names, which URL may become a link) is prepared here.

Every string that comes from the audited site (titles, snippets, URLs, link texts, error
messages) is untrusted. This module never marks anything safe: Jinja2 autoescaping escapes it,
and `link()` lets a URL become an <a href> only when it is a plain http(s) URL.
"""
from __future__ import annotations

import re
import shlex
import unicodedata
from urllib.parse import unquote, urlsplit, urlunsplit

from checklists.model import INDICATORS
from checklists.results import ABSENT, PRESENT, REJECTED, STRONG, UNKNOWN, WEAK
from reports import labels
from reports.russian_format import (format_bytes, format_decimal, format_duration, format_int, format_percent,
                                    format_time)

# How much of a long list the HTML shows; report.json always holds everything.
MAX_EVIDENCE_PER_ITEM = 5
MAX_ERROR_ROWS = 300
MAX_ROBOTS_ROWS = 100

STATUS_CSS = {PRESENT: "st-present", ABSENT: "st-absent", UNKNOWN: "st-unknown"}
CRAWL_STATUS_CSS = {labels.COMPLETE: "crawl-complete", labels.PARTIAL: "crawl-partial",
                    labels.UNREACHABLE: "crawl-unreachable"}
STRENGTH_CSS = {STRONG: "ev-strong", WEAK: "ev-weak", REJECTED: "ev-rejected"}
STRENGTH_ORDER = {STRONG: 0, WEAK: 1, REJECTED: 2}

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


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def build_view(report: dict) -> dict:
    site = report["site"]
    crawl = report["crawl"]
    summary = report["summary"]
    checklist = report["checklist"]
    site_name = site["title"] or readable_url(site["final_url"] or site["start_url"])
    final = site["final_url"] if site["final_url"] and site["final_url"] != site["start_url"] else ""
    return {
        "page_title": f"Аудит сайта для НОК — {site_name}",
        "site": {
            "name": site_name,
            "start": link(site["start_url"]),
            "final": link(final),
            "hosts": ", ".join(readable_host(h) for h in site["hosts"]),
        },
        "generated": format_time(report["generated_at"]),
        "tool": f'{report["tool"]["name"]} {report["tool"]["version"]}',
        "checklist": f'{checklist["name"]} (версия {checklist["version"]})',
        "checklist_source": checklist["source"],
        "command": shlex.join(report["command"]),
        "crawl_status": {
            "css": CRAWL_STATUS_CSS[crawl["status"]],
            "text": capitalized(crawl["status_text"]),
        },
        "cards": _cards(summary),
        "share": _share(summary["site_share_1_1"]),
        "indicator_rows": _indicator_rows(summary["by_indicator"]),
        "groups": _groups(report["items"]),
        "crawl_facts": _crawl_facts(crawl),
        "robots": _robots(report["robots"]),
        "errors": _errors(report["errors"]),
        "traps": [{"pattern": t["pattern"], "dropped": format_int(t["dropped"])} for t in report["traps"]],
        "legend": _legend(),
    }


def _cards(summary: dict) -> list[dict]:
    return [
        {"css": "card-present", "value": str(summary[PRESENT]), "label": labels.STATUS_TEXT[PRESENT]},
        {"css": "card-absent", "value": str(summary[ABSENT]), "label": labels.STATUS_TEXT[ABSENT]},
        {"css": "card-unknown", "value": str(summary[UNKNOWN]), "label": labels.STATUS_TEXT[UNKNOWN]},
        {"css": "card-total", "value": str(summary["total"]), "label": "всего проверено пунктов"},
    ]


def _share(share: dict) -> dict:
    notes = []
    if share["unknown"]:
        notes.append(f'Не удалось проверить пунктов показателя 1.1: {share["unknown"]}. '
                     "Они не засчитаны как размещённые, поэтому фактическая доля может быть выше.")
    if share["share"] is None:
        value, fraction = "—", "нет обязательных пунктов"
    else:
        value = format_percent(share["share"])
        fraction = f'{share["found"]} из {share["norm"]}'
    return {
        "value": value,
        "fraction": fraction,
        "formula": share["formula"],
        "formula_text": share["formula_text"],
        "explanation": labels.SITE_SHARE_EXPLANATION,
        "notes": notes,
    }


def _indicator_rows(by_indicator: dict) -> list[dict]:
    rows = []
    for ind in INDICATORS:
        c = by_indicator[ind]
        if not c["total"]:
            continue
        rows.append({"title": labels.INDICATOR_SHORT[ind], "anchor": _anchor(ind),
                     "present": str(c[PRESENT]), "absent": str(c[ABSENT]), "unknown": str(c[UNKNOWN]),
                     "total": str(c["total"]), "norm": str(c["norm"])})
    return rows


def _anchor(indicator: str) -> str:
    return "ind-" + indicator.replace(".", "-")


def _groups(items: list[dict]) -> list[dict]:
    groups = []
    for ind in INDICATORS:
        of_ind = [it for it in items if it["indicator"] == ind]
        if of_ind:
            groups.append({
                "anchor": _anchor(ind),
                "title": labels.INDICATOR_TITLES[ind],
                "short_title": labels.INDICATOR_SHORT[ind],
                "note": labels.INDICATOR_NOTES[ind],
                "rows": [_item(it, n) for n, it in enumerate(of_ind, 1)],
            })
    return groups


def _item(it: dict, number: int) -> dict:
    evidence = sorted(it["evidence"], key=lambda e: STRENGTH_ORDER.get(e["strength"], 9))
    shown = evidence[:MAX_EVIDENCE_PER_ITEM]
    hidden = len(evidence) - len(shown)
    return {
        "number": str(number),
        "id": it["id"],
        "name": it["name"],
        "legal_basis": it["legal_basis"],
        "unconfirmed": it["unconfirmed"],
        "unconfirmed_mark": labels.UNCONFIRMED_MARK,
        "unconfirmed_hint": labels.CONFIDENCE_TEXT["U"],
        "not_in_norm": "" if it["counts_in_norm"] or it["indicator"] != "1.1" else "не входит в Инорм_сайт",
        "status_css": STATUS_CSS[it["status"]],
        "status_text": it["status_text"],
        "works_text": it.get("works_text", ""),
        "reason": it["reason"],
        "fix": it["fix"] if it["status"] in (ABSENT, UNKNOWN) else "",
        "evidence": [_evidence(e) for e in shown],
        "evidence_more": (f"Ещё подтверждений и упоминаний: {hidden} — полный список в report.json."
                          if hidden else ""),
    }


def _evidence(e: dict) -> dict:
    return {
        "css": STRENGTH_CSS.get(e["strength"], "ev-weak"),
        "strength_text": labels.EVIDENCE_STRENGTH_TEXT.get(e["strength"], e["strength"]),
        "kind_text": e["kind_text"],
        "title": e["title"],
        "link": link(e["url"]),
        "snippet": e["snippet"],
        "note": e["note"],
        "source": link(e["source_url"]),
    }


def _crawl_facts(c: dict) -> list[dict]:
    facts = [
        ("Состояние обхода", c["status_text"]),
        ("Начало", format_time(c["started_at"])),
        ("Окончание", format_time(c["finished_at"])),
        ("Длительность", format_duration(c["duration_s"])),
        ("Загружено страниц", format_int(c["pages"])),
        ("Загружено документов", format_int(c["documents"])),
        ("Объём загруженного", format_bytes(c["bytes"])),
        ("Скорость", "—" if c["pages_per_s"] is None else f'{format_decimal(c["pages_per_s"], 2)} стр./с'),
        ("Причина остановки", c["stop_reason_text"]),
        ("Лимит страниц", format_int(c["max_pages"])),
        ("Предел глубины ссылок", str(c["max_depth"])),
        ("Ссылки, не загруженные из-за лимита", format_int(c["cut_off_links"])),
        ("Ссылки глубже предела", format_int(c["deep_links"])),
        ("Стартовая страница", "загружена" if c["entry_ok"] else f'не загружена: {c["entry_error"] or "причина неизвестна"}'),
        ("Идентификатор робота (User-Agent)", c["user_agent"]),
    ]
    return [{"label": label, "value": value} for label, value in facts]


def _robots(r: dict) -> dict:
    if not r["obeyed"]:
        state = "не учитывался: обход выполнен без его ограничений"
    elif r["status"] is None:
        state = "учитывался, но загрузить его не удалось"
    else:
        state = f'учитывался (получен с ответом HTTP {r["status"]})'
    rows = [{"link": link(d["url"]), "referer": link(d["referer"]), "link_text": d["link_text"],
             "message": d["message"]} for d in r["disallowed"][:MAX_ROBOTS_ROWS]]
    hidden = len(r["disallowed"]) - len(rows)
    return {
        "state": state,
        "file": link(r["url"]),
        "count": format_int(len(r["disallowed"])),
        "rows": rows,
        "more": f"Показаны первые {len(rows)}; всего {len(r['disallowed'])} — полный список в report.json."
                if hidden > 0 else "",
    }


def _errors(errors: list[dict]) -> dict:
    by_kind: dict[str, dict] = {}
    for e in errors:
        row = by_kind.setdefault(e["kind"], {"kind_text": e["kind_text"], "count": 0})
        row["count"] += 1
    kinds = sorted(by_kind.values(), key=lambda r: -r["count"])
    rows = [{
        "link": link(e["url"]),
        "kind_text": e["kind_text"],
        "message": e["message"],
        "what": "документ" if e["is_document"] else "страница",
        "referer": link(e["referer"]),
        "link_text": e["link_text"],
    } for e in errors[:MAX_ERROR_ROWS]]
    hidden = len(errors) - len(rows)
    return {
        "count": format_int(len(errors)),
        "by_kind": [{"kind_text": k["kind_text"], "count": format_int(k["count"])} for k in kinds],
        "rows": rows,
        "more": f"Показаны первые {len(rows)}; всего {len(errors)} — полный список в report.json."
                if hidden > 0 else "",
    }


def _legend() -> list[dict]:
    return [
        {"css": STATUS_CSS[PRESENT], "term": labels.STATUS_TEXT[PRESENT],
         "text": "на сайте найдено подтверждение: страница, раздел или документ с нужными сведениями."},
        {"css": STATUS_CSS[ABSENT], "term": labels.STATUS_TEXT[ABSENT],
         "text": "обход охватил сайт, но сведения не найдены; упоминания в новостях и страницы-заглушки не засчитываются."},
        {"css": STATUS_CSS[UNKNOWN], "term": labels.STATUS_TEXT[UNKNOWN],
         "text": "решить не удалось: сайт недоступен, нужная часть закрыта robots.txt или обход остановлен лимитом. "
                 "Такой пункт нужно проверить вручную; он не означает «не найдено»."},
        {"css": "mark-unconfirmed", "term": labels.UNCONFIRMED_MARK,
         "text": labels.CONFIDENCE_TEXT["U"] + "; перед выводами сверьте его с официальной публикацией акта."},
    ]

