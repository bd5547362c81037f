"""The report stage: report.json, report.html and the terminal summary.

    report = build_report(crawl, checklist, findings, command=sys.argv, tool_version=__version__)
    json_path, html_path = write_reports(report, out_dir)
    print(terminal_summary(report, json_path, html_path))

`build_report` (reports/report_content.py) makes the data; everything here only presents it.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import jinja2
import jsonschema

from reports import labels
from reports.atomic_file import write_atomically
from reports.html_view import build_view
from reports.report_content import build_report
from reports.russian_format import capitalized, format_percent
from reports.safe_links import readable_url
from reports.score_view import terminal_score_lines

__all__ = ["build_report", "render_html", "write_reports", "terminal_summary", "validate_report",
           "ReportSchemaError", "SCHEMA_PATH"]

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_PATH = PACKAGE_DIR / "report.schema.json"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
JSON_NAME = "report.json"
HTML_NAME = "report.html"


class ReportSchemaError(ValueError):
    """The report dict does not match report.schema.json: a bug in nok-audit, not in the site."""


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def validate_report(report: dict) -> None:
    errors = sorted(_validator().iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  {'/'.join(str(p) for p in e.absolute_path) or '(корень)'}: {e.message}" for e in errors[:10]]
        more = f"\n  … и ещё {len(errors) - 10}" if len(errors) > 10 else ""
        raise ReportSchemaError(
            "внутренняя ошибка nok-audit: данные отчёта не соответствуют схеме "
            f"{SCHEMA_PATH.name} (сообщите разработчикам):\n" + "\n".join(lines) + more)


@functools.lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    # autoescape=True for every template (select_autoescape would skip *.j2): every string from the
    # audited site is untrusted, and nothing in the view is marked safe.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(report: dict) -> str:
    return template_environment().get_template("report.html.j2").render(**build_view(report))


def write_reports(report: dict, out_dir: Path) -> tuple[Path, Path]:
    """Validate, then write out_dir/report.json and out_dir/report.html; returns their paths."""
    validate_report(report)
    text_json = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    text_html = render_html(report)          # render before writing: a failure leaves no half-written pair
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / JSON_NAME, out_dir / HTML_NAME
    write_atomically(json_path, text_json)
    write_atomically(html_path, text_html)
    return json_path, html_path


TERMINAL_NAME_CHARS = 60
TERMINAL_WORKS_CHARS = 100


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _control_lines(report: dict) -> list[str]:
    """Channels of 1.2 and the version for the visually impaired: does each work (control stage)."""
    if "controls" not in report:            # a report made before the control stage existed
        return []
    summary = report["summary"]
    channels = [it for it in report["items"] if it["indicator"] == "1.2" and "works" in it]
    alt = [it for it in report["items"] if it["id"] == "acc_alt_version" and "works" in it]
    if report["controls"] is None:
        lines = [f"{labels.CONTROLS_NOT_RUN}."]
    else:
        lines = [f"Каналы обратной связи (1.2): работают {summary['channels_working']} "
                 f"из {summary['channels_present']} найденных"]
        lines.extend(f"  - {_short(it['name'], TERMINAL_NAME_CHARS)}: {_short(it['works_text'], TERMINAL_WORKS_CHARS)}"
                     for it in channels)
        lines.extend(f"Версия для слабовидящих: {_short(it['works_text'], TERMINAL_WORKS_CHARS)}" for it in alt)
        preview = summary.get("dist_preview_1_2")
        if preview:
            lines.append(f"Показатель 1.2, {preview['label']}: {preview['text']}")
        lines.extend(f"{note}." for note in report["controls"]["notes"])
    a11y = report.get("accessibility")
    if a11y is not None:
        lines.append("Доступность (дополнительно, не влияет на баллы НОК):")
        lines.extend(f"  {line}" for line in a11y["summary"])
    return lines


def terminal_summary(report: dict, json_path, html_path) -> str:
    """A short Russian plain-text summary for the terminal."""
    site, crawl, summary = report["site"], report["crawl"], report["summary"]
    share = summary["site_share_1_1"]
    lines = [f"Сайт: {readable_url(site['start_url'])}"]
    if site["final_url"] and site["final_url"] != site["start_url"]:
        lines.append(f"  перенаправляет на {readable_url(site['final_url'])}")
    lines.append(capitalized(crawl["status_text"]))
    lines.append(f"  страниц: {crawl['pages']}, документов: {crawl['documents']}, "
                 f"ошибок загрузки: {len(report['errors'])}")
    lines.append(f"Пункты перечня ({summary['total']}): размещено {summary['present']}, "
                 f"не найдено {summary['absent']}, не удалось проверить {summary['unknown']}")
    if share["share"] is not None:
        lines.append(f"Доля обязательной информации на сайте (1.1): {share['formula_text']} "
                     f"({format_percent(share['share'])})".replace("\u00a0", " "))
    lines.extend(_control_lines(report))
    lines.extend(terminal_score_lines(report))
    absent = [it for it in report["items"] if it["status"] == "absent"]
    unknown = [it for it in report["items"] if it["status"] == "unknown"]
    if absent:
        lines.append("Не найдено на сайте:")
        lines.extend(f"  - {it['name']}" for it in absent)
    if unknown:
        lines.append("Не удалось проверить (проверьте вручную):")
        lines.extend(f"  - {it['name']}" for it in unknown)
    lines.append("Отчёты:")
    lines.append(f"  {json_path}")
    lines.append(f"  {html_path}")
    return "\n".join(lines)
