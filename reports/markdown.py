"""report.md: a plain-text / Markdown summary of report.json for terminals and CI logs.

    text = markdown_summary(report)
    write_markdown(report, out_dir)          # out_dir/report.md

Reads report.json with .get() throughout: fields added by later stages are optional here.
"""
from __future__ import annotations

from pathlib import Path

from checklists.model.checklist import INDICATORS
from reports.atomic_file import write_atomically
from reports.diff import CHANGES_TITLE, IMPROVEMENTS_TITLE, NO_CHANGES, REGRESSIONS_TITLE
from reports.labels import FIX_FIRST_TITLE, SVEDEN_HEADER, SVEDEN_TITLE, markup_example, sveden_rows
from reports.russian_format import format_time

MD_NAME = "report.md"
INDICATOR_TITLES = {"1.1": "1.1 — информация на сайте", "1.2": "1.2 — обратная связь",
                    "3.2": "3.2 — доступность для инвалидов", "extra": "дополнительные проверки"}
WORKS_MARK = {True: "работает", False: "не работает", None: "не удалось проверить"}



def _cell(text) -> str:
    """One Markdown table cell: no line breaks, pipes escaped."""
    text = " ".join(str(text if text is not None else "").split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "\\<") or "—"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


def _percent(share) -> str:
    return f"{share * 100:.1f} %".replace(".", ",") if isinstance(share, (int, float)) else "—"


def _changes(changes) -> list[str]:
    """«Изменения с прошлой проверки» (report.json `changes`, made with --previous): regressions first."""
    if not isinstance(changes, dict):
        return []
    since = format_time(str(changes.get("since") or "")) if changes.get("since") else ""
    lines = ["", f"## {CHANGES_TITLE}" + (f" ({_cell(since[:10])})" if since else ""), ""]
    if since:
        lines.append(f"Сравнение с отчётом от {_cell(since)}.")
    regressions = [str(r) for r in changes.get("regressions") or []]
    improvements = [str(r) for r in changes.get("improvements") or []]
    if not regressions and not improvements:
        return lines + ([""] if since else []) + [f"{NO_CHANGES}."]
    for title, rows, mark in ((REGRESSIONS_TITLE, regressions, "−"), (IMPROVEMENTS_TITLE, improvements, "+")):
        if rows:
            lines += ["", f"### {title} ({len(rows)})", ""]
            lines += [f"- {mark} {_cell(r)}" for r in rows]
    return lines


def _channels(report: dict, items: list[dict], summary: dict) -> list[str]:
    """«Каналы обратной связи и версия для слабовидящих»: found, working, the control notes."""
    lines: list[str] = []
    channels = [it for it in items if it.get("indicator") == "1.2"]
    alt = [it for it in items if it.get("id") == "acc_alt_version"]
    if channels or alt:
        lines += ["", "## Каналы обратной связи и версия для слабовидящих", ""]
        controls = report.get("controls", "absent")
        if controls is None:
            lines += ["Контрольные проверки в браузере не выполнялись.", ""]
        elif "channels_working" in summary:
            lines += [f"Работают {summary.get('channels_working')} из {summary.get('channels_present')} "
                      "найденных каналов.", ""]
        lines += _table(["Канал", "На сайте", "Работает", "Результат проверки"],
                        [[it.get("name", it.get("id", "")), it.get("status_text", it.get("status", "")),
                          WORKS_MARK.get(it.get("works"), "—") if "works" in it else "—",
                          it.get("works_text", "")] for it in channels + alt])
        preview = summary.get("dist_preview_1_2")
        if isinstance(preview, dict) and preview.get("text"):
            label = str(preview.get("label") or "показатель 1.2")
            lines += ["", f"{label[:1].upper()}{label[1:]}: {_cell(preview['text'])}"]
        if isinstance(controls, dict):
            lines += [""] + [f"- {_cell(note)}" for note in controls.get("notes") or []]
    return lines


def _fix_first(fixes) -> list[str]:
    """«Что исправить в первую очередь» (report.json `fix_first`): by points, then markup (no points)."""
    if not fixes:
        return []
    lines = ["", f"## {FIX_FIRST_TITLE}", ""]
    for n, f in enumerate(fixes, 1):
        lines.append(f"{n}. {_cell(f.get('name'))} — {_cell(f.get('problem'))}; {_cell(f.get('gain_text'))}")
        if isinstance(f.get("markup"), dict):
            lines.append(f"   Что сделать: {_cell(f.get('fix'))} Пример: "
                         + "; ".join(f"`{markup_example(name)}`" for name in f["markup"].get("missing") or []))
    return lines


def markdown_summary(report: dict) -> str:
    site = report.get("site") or {}
    crawl = report.get("crawl") or {}
    summary = report.get("summary") or {}
    items = report.get("items") or []
    tool = report.get("tool") or {}
    title = site.get("name") or site.get("title") or site.get("start_url") or "сайт"
    lines = [f"# Проверка сайта: {_cell(title)}", ""]
    lines.append(f"- Адрес: {site.get('start_url', '—')}")
    if site.get("final_url") and site.get("final_url") != site.get("start_url"):
        lines.append(f"- Перенаправляет на: {site['final_url']}")
    if report.get("generated_at"):
        lines.append(f"- Отчёт создан: {report['generated_at']}")
    if tool:
        lines.append(f"- Программа: {tool.get('name', 'nok-audit')} {tool.get('version', '')}".rstrip())
    checklist = report.get("checklist") or {}
    if checklist:
        lines.append(f"- Чек-лист: {checklist.get('id', '—')} {checklist.get('version', '')}".rstrip())

    lines += ["", "## Обход сайта", ""]
    if crawl.get("status_text"):
        lines.append(f"- Состояние: {crawl['status_text']}")
    if crawl.get("stop_reason_text"):
        lines.append(f"- Завершение: {crawl['stop_reason_text']}")
    lines.append(f"- Страниц: {crawl.get('pages', 0)}, документов: {crawl.get('documents', 0)}, "
                 f"ошибок загрузки: {len(report.get('errors') or [])}")
    if crawl.get("entry_error"):
        lines.append(f"- Ошибка: {_cell(crawl['entry_error'])}")

    lines += ["", "## Итог", ""]
    lines.append(f"- Пунктов перечня: {summary.get('total', len(items))}; размещено {summary.get('present', 0)}, "
                 f"не найдено {summary.get('absent', 0)}, не удалось проверить {summary.get('unknown', 0)}")
    share = summary.get("site_share_1_1") or {}
    if share.get("share") is not None:
        lines.append(f"- Доля обязательной информации на сайте (1.1): "
                     f"{_cell(share.get('formula_text', ''))} ({_percent(share['share'])})".replace("\u00a0", " "))
    by_indicator = summary.get("by_indicator") or {}
    rows = []
    for key in INDICATORS:
        counts = by_indicator.get(key)
        if isinstance(counts, dict):
            rows.append([INDICATOR_TITLES[key], counts.get("present", "—"), counts.get("absent", "—"),
                         counts.get("unknown", "—")])
    if rows:
        lines.append("")
        lines += _table(["Показатель", "размещено", "не найдено", "не удалось проверить"], rows)

    sveden = sveden_rows(items)
    if sveden:
        lines += ["", f"## {SVEDEN_TITLE}", ""]
        lines += _table(SVEDEN_HEADER, [[r["name"], r["status_text"], r["markup_text"], (r["missing"] + (f" ({r['note']})" if r["note"] else "")) or "—",
                                         r["evidence"] or "—"] for r in sveden])
    # An education report: the subsection table, then channels and the version for the visually impaired,
    # then what to fix (the HTML report's order).
    if sveden:
        lines += _channels(report, items, summary)
    lines += _fix_first(report.get("fix_first"))
    lines += _changes(report.get("changes"))

    absent = [it for it in items if it.get("status") == "absent"]
    unknown = [it for it in items if it.get("status") == "unknown"]
    lines += ["", f"## Не найдено на сайте ({len(absent)})", ""]
    if absent:
        lines += _table(["Показатель", "Пункт", "Что сделать"],
                        [[it.get("indicator", ""), it.get("name", it.get("id", "")), it.get("fix") or it.get("reason")]
                         for it in absent])
    else:
        lines.append("Всё обязательное найдено.")
    if unknown:
        lines += ["", f"## Не удалось проверить — проверьте вручную ({len(unknown)})", ""]
        lines += _table(["Показатель", "Пункт", "Причина"],
                        [[it.get("indicator", ""), it.get("name", it.get("id", "")), it.get("reason")]
                         for it in unknown])
    closed = (report.get("robots") or {}).get("closed_sections") or []
    if closed:
        lines += ["", "Разделы, закрытые для роботов (robots.txt): "
                  + "; ".join(f"«{c['link_text']}» {c['url']}" if c["link_text"] else c["url"] for c in closed)
                  + " — проверьте их вручную или запустите проверку с --ignore-robots, если это ваш сайт."]

    if not sveden:
        lines += _channels(report, items, summary)

    a11y = report.get("accessibility")
    if isinstance(a11y, dict) and a11y.get("summary"):
        lines += ["", "## Доступность (дополнительно, не влияет на баллы НОК)", ""]
        lines += [f"- {_cell(line)}" for line in a11y["summary"]]
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def write_markdown(report: dict, out_dir: Path) -> Path:

    return write_atomically(Path(out_dir) / MD_NAME, markdown_summary(report))
