"""The view of report.html: report.json content turned into ready-to-print strings and CSS classes.

Templates render; they never compute. Everything the template shows (Russian labels, formatted
numbers, CSS class names, which URL may become a link) is prepared here.

Every string that comes from the audited site (titles, snippets, URLs, link texts, error
messages) is untrusted. This module never marks anything safe: Jinja2 autoescaping escapes it,
`link()` (reports/safe_links.py) lets a URL become an <a href> only when it is a plain http(s) URL, and `screenshot()` lets
a screenshot path become <img src> only as screenshots/<plain name>.png beside the report.
"""
from __future__ import annotations

import shlex
from datetime import datetime

from checklists.model.checklist import INDICATORS
from checklists.model.control import IMPACTS
from checklists.model.results import ABSENT, NOT_APPLICABLE, PRESENT, REJECTED, STRONG, UNKNOWN, WEAK
from reports import labels
from reports.diff import CHANGES_TITLE, IMPROVEMENTS_TITLE, NO_CHANGES, REGRESSIONS_TITLE
from reports.russian_format import (capitalized, format_bytes, format_decimal, format_duration, format_int, format_percent,
                                    format_time)
from reports.safe_links import link, readable_host, readable_url, screenshot
from reports.score_view import fix_first_view, footer_note, scores_view

# How much of a long list the HTML shows; report.json always holds everything.
MAX_EVIDENCE_PER_ITEM = 5
MAX_ERROR_ROWS = 300
MAX_ROBOTS_ROWS = 100

STATUS_CSS = {PRESENT: "st-present", ABSENT: "st-absent", UNKNOWN: "st-unknown", NOT_APPLICABLE: "st-unknown"}
CRAWL_STATUS_CSS = {labels.COMPLETE: "crawl-complete", labels.PARTIAL: "crawl-partial",
                    labels.UNREACHABLE: "crawl-unreachable"}
STRENGTH_CSS = {STRONG: "ev-strong", WEAK: "ev-weak", REJECTED: "ev-rejected"}
STRENGTH_ORDER = {STRONG: 0, WEAK: 1, REJECTED: 2}
WORKS_CSS = {True: "works-yes", False: "works-no", None: "works-unknown"}
IMPACT_CSS = {"critical": "imp-critical", "serious": "imp-serious", "moderate": "imp-moderate", "minor": "imp-minor"}
IMPACT_ORDER = {imp: n for n, imp in enumerate(IMPACTS)}
MAX_STEPS = 50
MAX_VIOLATION_ROWS = 100
THUMBNAIL_WIDTH = "160"


def build_view(report: dict) -> dict:
    site = report["site"]
    crawl = report["crawl"]
    summary = report["summary"]
    checklist = report["checklist"]
    site_name = site.get("name") or site["title"] or readable_url(site["final_url"] or site["start_url"])
    final = site["final_url"] if site["final_url"] and site["final_url"] != site["start_url"] else ""
    sveden = [{**row, "css": STATUS_CSS[row["status"]], "link": link(row["evidence"] or None)}
              for row in labels.sveden_rows(report["items"])]
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
        "changes": changes_view(report.get("changes"), checklist),
        "share": _share(summary["site_share_1_1"]),
        "dist": _dist(summary.get("dist_preview_1_2"), summary),
        "indicator_rows": _indicator_rows(summary["by_indicator"]),
        **_ordered_groups(report["items"], sveden),
        "sveden": sveden,
        "sveden_title": labels.SVEDEN_TITLE, "sveden_header": labels.SVEDEN_HEADER,
        "crawl_facts": _crawl_facts(crawl),
        "robots": _robots(report["robots"], report["items"]),
        "errors": _errors(report["errors"]),
        "traps": [{"pattern": t["pattern"], "dropped": format_int(t["dropped"])} for t in report["traps"]],
        "controls": _controls(report.get("controls"), report["items"]),
        "accessibility": _accessibility(report.get("accessibility")),
        "legend": _legend(),
        "scores": scores_view(report.get("scores")),
        "fix_first": fix_first_view(report.get("fix_first"), report["crawl"]["status"] == labels.UNREACHABLE),
        "footer_note": footer_note(report.get("scores")),
    }


def format_date(iso: str) -> str:
    """ISO 8601 -> «22.11.2026»; text that is not ISO is returned as is."""
    try:
        return datetime.fromisoformat(iso).strftime("%d.%m.%Y")
    except (TypeError, ValueError):
        return iso or ""


def changes_view(changes: dict | None, checklist: dict | None = None) -> dict | None:
    """«Изменения с прошлой проверки» (report.json `changes`): regressions first; None when the report was
    made without --previous (or before `changes` existed)."""
    if not changes:
        return None
    date = format_date(changes["since"])
    notes = []
    tool = changes.get("previous_tool") or {"name": "", "version": ""}
    if changes["since"]:
        notes.append(f"Сравнение с отчётом от {format_time(changes['since'])}"
                     + (f" ({tool['name']} {tool['version']}".rstrip() + ")" if tool["name"] else "") + ".")
    prev = changes.get("previous_checklist") or {"id": "", "version": ""}
    if checklist is not None and prev["id"] and (prev["id"], prev["version"]) != (checklist["id"],
                                                                                  checklist["version"]):
        notes.append(f"Прежняя проверка — по перечню «{prev['id']}» версии {prev['version'] or '?'}, эта — по "
                     f"«{checklist['id']}» версии {checklist['version']}: сравниваются только пункты, которые "
                     "есть в обоих перечнях.")
    return {
        "title": f"{CHANGES_TITLE} ({date})" if date else CHANGES_TITLE,
        "date": date,
        "notes": notes,
        "regressions_title": f"{REGRESSIONS_TITLE} ({len(changes['regressions'])})",
        "improvements_title": f"{IMPROVEMENTS_TITLE} ({len(changes['improvements'])})",
        "regressions": list(changes["regressions"]),
        "improvements": list(changes["improvements"]),
        "none": "" if changes["regressions"] or changes["improvements"] else NO_CHANGES,
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


def _dist(preview: dict | None, summary: dict) -> dict | None:
    """Indicator 1.2 preview block; None for reports made before the control stage existed."""
    if preview is None:
        return None
    return {
        "value": "—" if preview["points"] is None else str(preview["points"]),
        "fraction": (f'работающих каналов: {summary["channels_working"]} из {summary["channels_present"]} '
                     "найденных на сайте"),
        "text": preview["text"],
        "label": preview["label"],
        "explanation": labels.DIST_EXPLANATION,
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


def _ordered_groups(items: list[dict], sveden: list[dict]) -> dict:
    """The item groups: in an education report the channels (1.2) and the version for the visually impaired
    (3.2) come right after the subsection table (`lead_groups`), before the fixes and scores; the rest after."""
    groups = _groups(items)
    lead = {_anchor("1.2"), _anchor("3.2")} if sveden else set()
    return {"lead_groups": [g for g in groups if g["anchor"] in lead],
            "groups": [g for g in groups if g["anchor"] not in lead]}


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
        "works": "works" in it,
        "works_css": WORKS_CSS.get(it.get("works"), "works-unknown"),
        "works_badge": labels.WORKS_BADGE.get(it.get("works"), labels.WORKS_BADGE[None]),
        "works_text": it.get("works_text", ""),
        "control": _control(it["control"]) if it.get("control") else None,
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


def _control(c: dict) -> dict:
    steps = c["steps"][:MAX_STEPS]
    hidden = len(c["steps"]) - len(steps)
    final = c["final_url"] if c["final_url"] and c["final_url"] != c["url"] else ""
    return {
        "method_text": c["method_text"],
        "reason": c["reason"],
        "page": link(c["url"]),
        "final": link(final),
        "status": "" if c["status"] is None else f'ответ HTTP {c["status"]}',
        "steps_title": f'Ход проверки (шагов: {len(c["steps"])})',
        "steps": steps,
        "steps_more": f"Ещё шагов: {hidden} — полный список в report.json." if hidden else "",
        "submitted": "форма отправлена (запуск с --submit-forms)" if c["submitted"] else "",
        # Every candidate tried (the channel's verdict is the best of them), each with its own result.
        "attempts": [{"text": a.get("text") or "", "page": link(a.get("url") or ""),
                      "works_css": WORKS_CSS.get(a.get("works"), "works-unknown"),
                      "works_badge": labels.WORKS_BADGE.get(a.get("works"), labels.WORKS_BADGE[None]),
                      "reason": a.get("reason") or ""}
                     for a in (c["details"].get("attempts") or []) if isinstance(a, dict)],
        "screenshots": [screenshot(s) for s in c["screenshots"]],
        "thumb_width": THUMBNAIL_WIDTH,
    }


def _controls(controls: dict | None, items: list[dict]) -> dict:
    """The «Контрольные проверки каналов» section: what was checked, how, and what never happens."""
    if controls is None:
        return {"run": False, "intro": labels.CONTROLS_NOT_RUN, "facts": [],
                "notes": [labels.FORMS_NOT_SUBMITTED, labels.CALLS_NOT_MADE], "rows": []}
    by_method = controls["by_method"]
    facts = [
        ("Проверено пунктов", format_int(controls["checked"])),
        ("Работают", format_int(controls["working"])),
        ("Не работают", format_int(controls["not_working"])),
        ("Не удалось проверить", format_int(controls["undecided"])),
        ("Проверено в браузере", format_int(by_method["browser"])),
        ("Проверена корректность номера или адреса (без звонка и письма)", format_int(by_method["validated"])),
        ("Проверено одним HTTP-запросом", format_int(by_method["http"])),
    ]
    rows = [{"anchor": "item-" + it["id"], "name": it["name"], "works_css": WORKS_CSS.get(it["works"], "works-unknown"),
             "works_badge": labels.WORKS_BADGE.get(it["works"], labels.WORKS_BADGE[None]),
             "works_text": it["works_text"],
             "method_text": it["control"]["method_text"] if it.get("control") else "не проверялось"}
            for it in items if "works" in it]
    return {"run": True, "intro": "", "facts": [{"label": k, "value": v} for k, v in facts],
            "notes": list(controls["notes"]), "rows": rows}


def _accessibility(a11y: dict | None) -> dict:
    if a11y is None:
        return {"run": False, "summary": [labels.A11Y_NOT_RUN], "results": [], "not_scored": labels.A11Y_NOT_SCORED}
    results = []
    for r in a11y["results"]:
        violations = sorted(r["violations"], key=lambda v: (IMPACT_ORDER.get(v["impact"], 9), -v["nodes"], v["id"]))
        shown = violations[:MAX_VIOLATION_ROWS]
        if r["zoom_200_horizontal_scroll"] is None:
            zoom = "не проверялось"
        elif r["zoom_200_horizontal_scroll"]:
            zoom = "появляется горизонтальная прокрутка (нарушение ПП РФ № 102)"
        else:
            zoom = "горизонтальной прокрутки нет"
        results.append({
            "variant": capitalized(labels.A11Y_VARIANT_TEXT.get(r["variant"], r["variant"])),
            "page": link(r["url"]),
            "axe": f'axe-core {r["axe_version"]}' if r["axe_version"] else "axe-core",
            "error": r["error"],
            "zoom": zoom,
            "by_impact": [{"css": IMPACT_CSS[imp], "text": labels.IMPACT_PLURAL[imp],
                           "count": format_int(r["violations_by_impact"].get(imp, 0))}
                          for imp in IMPACTS if imp in r["violations_by_impact"]],
            "rows": [{"css": IMPACT_CSS.get(v["impact"], "imp-minor"),
                      "impact": labels.IMPACT_TEXT.get(v["impact"], v["impact"]),
                      "help": v["help_ru"] or v["help_en"] or v["id"],
                      "rule": v["id"],
                      "nodes": format_int(v["nodes"])} for v in shown],
            "more": (f"Показаны первые {len(shown)}; всего {len(violations)} — полный список в report.json."
                     if len(violations) > len(shown) else ""),
        })
    return {"run": True, "summary": list(a11y["summary"]), "results": results, "not_scored": labels.A11Y_NOT_SCORED}


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
    if "rendered_pages" in c:
        facts.insert(6, ("Страниц, прочитанных через браузер (меню строится скриптом)",
                         format_int(c["rendered_pages"])))
    return [{"label": label, "value": value} for label, value in facts]


def _robots(r: dict, items: list[dict]) -> dict:
    if not r["obeyed"]:
        state = "не учитывался: обход выполнен без его ограничений"
    elif r.get("unavailable"):
        state = r["unavailable"]
    elif r["status"] is None:
        state = "учитывался, но загрузить его не удалось"
    else:
        state = f'учитывался (получен с ответом HTTP {r["status"]})'
    rows = [{"link": link(d["url"]), "referer": link(d["referer"]), "link_text": d["link_text"],
             "message": d["message"]} for d in r["disallowed"][:MAX_ROBOTS_ROWS]]
    hidden = len(r["disallowed"]) - len(rows)
    names = {it["id"]: it["name"] for it in items}
    sections = [{"link": link(c["url"]), "link_text": c["link_text"],
                 "items": "; ".join(names.get(i, i) for i in c["items"])} for c in r.get("closed_sections", [])]
    return {
        "sections": sections,
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
        {"css": "works-badge " + WORKS_CSS[True], "term": labels.WORKS_BADGE[True],
         "text": "контрольная проверка показала, что способ связи или версия для слабовидящих работает; "
                 "для телефона и почты — что опубликованы корректные номер и адрес (звонок и письмо не выполнялись)."},
        {"css": "works-badge " + WORKS_CSS[False], "term": labels.WORKS_BADGE[False],
         "text": "контрольная проверка показала, что способ связи или версия для слабовидящих не работает; причина указана."},
        {"css": "works-badge " + WORKS_CSS[None], "term": labels.WORKS_BADGE[None],
         "text": "работоспособность не проверялась или проверка не дала ответа; проверьте вручную."},
        {"css": "mark-unconfirmed", "term": labels.UNCONFIRMED_MARK,
         "text": labels.CONFIDENCE_TEXT["U"] + "; перед выводами сверьте его с официальной публикацией акта."},
    ]
