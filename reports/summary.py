"""The batch summary over many audit folders: summary.html, summary.csv and summary.xlsx.

    entries, problems = load_reports([dir1, dir2, …])
    summary = build_summary(entries, out_dir)        # plain data: decides ranking, counts, shares
    paths = write_summary(summary, out_dir)          # view + template + exports

`build_summary` is the only place that decides anything (which sites are ranked, by what, the share
of organisations publishing each item). `build_summary_view` only turns that data into ready-to-print
strings, CSS classes and the geometry of the SVG chart; summary.html.j2 only renders the view.

Every string that comes from a report (site titles, URLs, evidence URLs) came from an audited site and
is untrusted: it is autoescaped in HTML, may become a link only through html_view.link(), is never put
inside the page's one script (our own constant file, allowed by its CSP hash), and is written as a plain
string in the exports (reports/exports.py).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
from pathlib import Path
from urllib.parse import quote

from checklists.model.results import ABSENT, NOT_APPLICABLE, PRESENT, STRONG, UNKNOWN
from checklists.sectors import DEFAULT as DEFAULT_SECTOR
from checklists.sectors import TITLES as SECTOR_TITLES
from reports import labels
from reports.atomic_file import write_atomically
from reports.diff import CHANGES_TITLE, total_score
from reports.exports import write_csv, write_xlsx, xlsx_bytes
from reports.html_view import changes_view
from reports.render import template_environment
from reports.russian_format import format_decimal, format_int, format_percent
from reports.safe_links import link, readable_url

JSON_NAME = "report.json"
HTML_NAME = "report.html"
SUMMARY_HTML = "summary.html"
SUMMARY_CSV = "summary.csv"
SUMMARY_XLSX = "summary.xlsx"
SORT_SCRIPT_TEMPLATE = "summary_sort.js"

METRIC_SCORE, METRIC_SHARE = "score", "share"
BUCKETS = 10
class SummaryInputError(ValueError):
    """No usable report among the given folders (the message is Russian)."""


# --------------------------------------------------------------------------------------------------
# Loading


def report_problem(report) -> str:
    """'' when the dict looks like a report.json of nok-audit, else what is wrong (Russian).

    Lenient on purpose, unlike render.validate_report (the schema, for what this version writes): reports read
    back (the summary's folders, --previous) may come from older versions and need only what is used here."""
    if not isinstance(report, dict):
        return "файл не содержит объект отчёта"
    site, crawl, summary, items = (report.get(k) for k in ("site", "crawl", "summary", "items"))
    if not isinstance(site, dict) or not isinstance(site.get("start_url"), str):
        return "нет сведений о сайте (site.start_url)"
    if not isinstance(crawl, dict) or crawl.get("status") not in (labels.COMPLETE, labels.PARTIAL,
                                                                  labels.UNREACHABLE):
        return "нет состояния обхода (crawl.status)"
    if not isinstance(summary, dict) or not isinstance(summary.get("site_share_1_1"), dict):
        return "нет итогов (summary.site_share_1_1)"
    if not isinstance(items, list) or not all(
            isinstance(it, dict) and isinstance(it.get("id"), str) and isinstance(it.get("name"), str)
            and it.get("status") in (PRESENT, ABSENT, UNKNOWN, NOT_APPLICABLE) for it in items):
        return "список пунктов перечня (items) повреждён"
    return ""


def load_reports(folders: list) -> tuple[list[dict], list[str]]:
    """[{folder, report}] for every folder with a usable report.json, plus a Russian message per skipped one."""
    entries, problems, seen = [], [], set()
    for folder in folders:
        folder = Path(folder)
        path = folder / JSON_NAME
        key = os.path.realpath(folder)
        if key in seen:
            problems.append(f"папка {folder} указана повторно — пропущена")
            continue
        seen.add(key)
        if not folder.is_dir():
            problems.append(f"папка {folder} не найдена — пропущена")
            continue
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            problems.append(f"в папке {folder} нет файла {JSON_NAME} — пропущена")
            continue
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(f"файл {path} не прочитан ({type(exc).__name__}: {exc}) — папка пропущена")
            continue
        wrong = report_problem(report)
        if wrong:
            problems.append(f"файл {path} не похож на отчёт nok-audit: {wrong} — папка пропущена")
            continue
        entries.append({"folder": folder, "report": _digest(report)})
    return entries, problems


def _digest(report: dict) -> dict:
    """The part of a report the summary reads: a run of 1 000 sites holds 1 000 of these, not 1 000 reports
    with their evidence, so the summary's memory stays small."""
    crawl = report["crawl"]
    items = []
    for it in report["items"]:
        # the same few dozen item names and statuses in every report: one string object each, not one per site
        kept = {k: sys.intern(it[k]) if isinstance(it[k], str) else it[k]
                for k in ("id", "name", "indicator", "status", "works") if k in it}
        if isinstance(it.get("markup"), dict):
            kept["markup"] = {"level": it["markup"].get("level")}
        strong = _first_strong_url(it)
        kept["evidence"] = [{"strength": STRONG, "url": strong}] if strong else []
        items.append(kept)
    scores = report.get("scores")
    return {"site": report["site"], "summary": report["summary"], "items": items,
            "crawl": {k: crawl[k] for k in ("status", "status_text", "entry_error", "entry_ok") if k in crawl},
            "checklist": report.get("checklist"), "controls": True if report.get("controls") is not None else None,
            "scores": {"total": scores.get("total")} if isinstance(scores, dict) else None,
            "changes": report.get("changes")}


# --------------------------------------------------------------------------------------------------
# Content: what the summary says


def _changes(report: dict) -> dict | None:
    """The report's «Изменения с прошлой проверки» (`changes`, made with --previous), or None. Read defensively:
    a report is an input file here."""
    changes = report.get("changes")
    if not isinstance(changes, dict):
        return None

    def lines(key):
        value = changes.get(key)
        return [str(v) for v in value if v] if isinstance(value, list) else []
    return {"since": str(changes.get("since") or ""), "regressions": lines("regressions"),
            "improvements": lines("improvements")}


def _first_strong_url(item: dict) -> str:
    for e in item.get("evidence") or []:
        if isinstance(e, dict) and e.get("strength") == STRONG and e.get("url"):
            return str(e["url"])
    return ""


def _report_href(folder: Path, out_dir: Path) -> str:
    """Relative URL from the summary folder to the folder's report.html ('' when there is none)."""
    html = folder / HTML_NAME
    if not html.is_file():
        return ""
    rel = os.path.relpath(os.path.abspath(html), os.path.abspath(out_dir))
    return quote(Path(rel).as_posix(), safe="/")


def _organisation(entry: dict, out_dir: Path) -> dict:
    report, folder = entry["report"], entry["folder"]
    site, crawl, summary = report["site"], report["crawl"], report["summary"]
    share = summary["site_share_1_1"]
    url = site.get("final_url") or site["start_url"]
    controls_run = report.get("controls") is not None
    items = {}
    for it in report["items"]:
        items[it["id"]] = {"status": it["status"], "works": it.get("works") if "works" in it else None,
                           "channel": "works" in it, "evidence_url": _first_strong_url(it)}
        markup = it.get("markup")
        if isinstance(markup, dict) and markup.get("level") in labels.MARKUP_TEXT:
            items[it["id"]]["markup"] = markup["level"]
    checklist = report.get("checklist")
    sector = checklist.get("sector") if isinstance(checklist, dict) else None
    return {
        "sector": sector if sector in SECTOR_TITLES else DEFAULT_SECTOR,
        "name": entry.get("name") or site.get("name") or site.get("title") or readable_url(url),   # registry name first
        "start_url": site["start_url"],
        "url": url,
        "folder": str(folder),
        "report_href": _report_href(folder, out_dir),
        "crawl_status": crawl["status"],
        "crawl_status_text": crawl.get("status_text") or crawl["status"],
        "entry_error": crawl.get("entry_error") or "",
        "present": summary.get(PRESENT, 0),
        "absent": summary.get(ABSENT, 0),
        "unknown": summary.get(UNKNOWN, 0),
        "total": summary.get("total", len(report["items"])),
        "found_1_1": share.get("found"),
        "norm_1_1": share.get("norm"),
        "share_1_1": share.get("share"),
        "channels_working": summary.get("channels_working") if controls_run else None,
        "channels_present": summary.get("channels_present"),
        "total_score": total_score(report),
        "changes": _changes(report),
        "items": items,
    }


def _checklist_items(entries: list[dict]) -> list[dict]:
    """Items in the checklist's order (union over the reports, first report's order first)."""
    order, names, indicators = [], {}, {}
    for entry in entries:
        for it in entry["report"]["items"]:
            if it["id"] not in names:
                order.append(it["id"])
                names[it["id"]] = it["name"]
                indicators[it["id"]] = str(it.get("indicator", ""))
    return [{"id": i, "name": names[i], "indicator": indicators[i]} for i in order]


def _metric_value(org: dict, metric: str):
    return org["total_score"] if metric == METRIC_SCORE else org["share_1_1"]


def _rank_key(metric: str):
    def key(org):
        value = _metric_value(org, metric)
        share = org["share_1_1"]
        return (value is None, -(value or 0), share is None, -(share or 0), org["name"].lower(), org["url"])
    return key


def _distribution(orgs: list[dict], metric: str) -> dict:
    """Counts of organisations in BUCKETS equal buckets of the ranking metric."""
    values = [_metric_value(o, metric) for o in orgs]
    values = [v for v in values if v is not None]
    if metric == METRIC_SHARE:
        top = 1.0
    else:
        top = max([100.0, *values])
    width = top / BUCKETS
    counts = [0] * BUCKETS
    for v in values:
        counts[min(BUCKETS - 1, max(0, int(v / width)))] += 1
    return {"top": top, "width": width, "counts": counts, "measured": len(values),
            "not_measured": len(orgs) - len(values)}


def build_summary(entries: list[dict], out_dir) -> dict:
    """The summary as plain data (see the module docstring)."""
    if not entries:
        raise SummaryInputError("нет ни одного пригодного отчёта")
    out_dir = Path(out_dir)
    orgs = [_organisation(e, out_dir) for e in entries]
    audited = [o for o in orgs if o["crawl_status"] != labels.UNREACHABLE]
    unreachable = [o for o in orgs if o["crawl_status"] == labels.UNREACHABLE]
    metric = METRIC_SCORE if any(o["total_score"] is not None for o in audited) else METRIC_SHARE
    # Organisations of different sectors are audited against different checklists: each sector is ranked alone.
    sectors = [s for s in SECTOR_TITLES if any(o["sector"] == s for o in orgs)]
    ranked = []
    for sector in sectors:
        of_sector = sorted((o for o in audited if o["sector"] == sector), key=_rank_key(metric))
        for n, org in enumerate(of_sector, 1):
            org["rank"] = n
        ranked += of_sector
    checklist = _checklist_items(entries)
    item_shares = []
    for pos, it in enumerate(checklist):
        with_item = [o for o in audited if it["id"] in o["items"]]
        present = sum(1 for o in with_item if o["items"][it["id"]]["status"] == PRESENT)
        share = round(present / len(with_item), 4) if with_item else None
        item_shares.append({**it, "present": present, "audited": len(with_item), "share": share, "pos": pos})
    item_shares.sort(key=lambda r: (r["share"] is None, r["share"] or 0, r["pos"]))
    # Organisations compared with their previous audit: most regressions first, then most improvements.
    changed = sorted((o for o in orgs if o["changes"] is not None),
                     key=lambda o: (-len(o["changes"]["regressions"]), -len(o["changes"]["improvements"]),
                                    o["name"].lower(), o["url"]))
    checklists = sorted({f'{e["report"].get("checklist", {}).get("name", "")} '
                         f'(версия {e["report"].get("checklist", {}).get("version", "?")})'.strip()
                         for e in entries})
    return {
        "metric": metric,
        "ranked": ranked,
        "unreachable": sorted(unreachable, key=lambda o: (o["name"].lower(), o["url"])),
        "organisations": ranked + sorted(unreachable, key=lambda o: (o["name"].lower(), o["url"])),
        "checklist": checklist,
        "checklists": checklists,
        "sectors": sectors,
        "checklist_by_sector": {s: _checklist_items([e for e, o in zip(entries, orgs) if o["sector"] == s])
                                for s in sectors},
        "item_shares": item_shares,
        "distribution": _distribution(audited, metric),
        "changes": changed,
    }


# --------------------------------------------------------------------------------------------------
# View: ready-to-print strings for summary.html.j2

CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 640, 240, 24, 44, 36
METRIC_TITLE = {METRIC_SCORE: "итоговый балл", METRIC_SHARE: "доля обязательной информации на сайте (1.1)"}


def _num(value) -> str:
    """data-sort value: a plain number, or '' (sorted last) when unknown."""
    return "" if value is None else repr(float(value))


def _score_text(value) -> str:
    return "—" if value is None else format_decimal(float(value), 2)


def _row(org: dict, show_score: bool) -> dict:
    href = org["report_href"]
    return {
        "sector": SECTOR_TITLES[org["sector"]],
        "rank": str(org.get("rank", "")),
        "name": org["name"],
        "site": link(org["url"]),
        "report": {"href": href, "text": "отчёт"} if href else None,
        "folder": org["folder"],
        "status_text": org["crawl_status_text"],
        "entry_error": org["entry_error"],
        "present": str(org["present"]), "absent": str(org["absent"]), "unknown": str(org["unknown"]),
        "share": format_percent(org["share_1_1"]),
        "share_sort": _num(org["share_1_1"]),
        "fraction": ("" if org["found_1_1"] is None or not org["norm_1_1"]
                     else f'{org["found_1_1"]} из {org["norm_1_1"]}'),
        "channels": ("не проверялось" if org["channels_working"] is None
                     else f'{org["channels_working"]} из {org["channels_present"]}'),
        "channels_sort": _num(org["channels_working"]),
        "score": _score_text(org["total_score"]) if show_score else "",
        "score_sort": _num(org["total_score"]),
    }


def _chart(dist: dict, metric: str) -> dict:
    plot_h = CHART_H - CHART_TOP - CHART_BOTTOM
    plot_w = CHART_W - CHART_LEFT - 8
    slot = plot_w / BUCKETS
    peak = max(dist["counts"]) or 1
    bars = []
    for n, count in enumerate(dist["counts"]):
        lo, hi = n * dist["width"], (n + 1) * dist["width"]
        if metric == METRIC_SHARE:
            label = f"{round(lo * 100)}–{round(hi * 100)}"
        else:
            label = f"{format_decimal(lo, 1)}–{format_decimal(hi, 1)}"
        h = round(plot_h * count / peak, 1)
        x = round(CHART_LEFT + n * slot + 3, 1)
        bars.append({"x": str(x), "y": str(round(CHART_TOP + plot_h - h, 1)), "w": str(round(slot - 6, 1)),
                     "h": str(h), "count": str(count), "label": label,
                     "cx": str(round(x + (slot - 6) / 2, 1)), "count_y": str(round(CHART_TOP + plot_h - h - 5, 1)),
                     "label_y": str(CHART_TOP + plot_h + 16),
                     "title": f"{label}{' %' if metric == METRIC_SHARE else ''}: организаций {count}"})
    axis = "доля 1.1, %" if metric == METRIC_SHARE else "итоговый балл"
    return {"width": str(CHART_W), "height": str(CHART_H), "bars": bars,
            "base_y": str(CHART_TOP + plot_h), "x0": str(CHART_LEFT), "x1": str(CHART_W - 8),
            "axis_label": axis, "axis_x": str(CHART_W // 2), "axis_y": str(CHART_H - 6),
            "caption": (f"Распределение организаций: {METRIC_TITLE[metric]}, {BUCKETS} интервалов. "
                        f"Учтено организаций: {dist['measured']}"
                        + (f"; без значения: {dist['not_measured']}" if dist["not_measured"] else "") + "."),
            "empty": dist["measured"] == 0}


def _changes_section(changed: list[dict]) -> dict | None:
    """«Изменения с прошлой проверки» over the organisations (already ordered by build_summary); None when no
    report was made with --previous."""
    if not changed:
        return None
    worse = sum(1 for o in changed if o["changes"]["regressions"])
    better = sum(1 for o in changed if o["changes"]["improvements"])
    rows = []
    for org in changed:
        view = changes_view(org["changes"])
        href = org["report_href"]
        rows.append({"name": org["name"], "site": link(org["url"]),
                     "report": {"href": href, "text": "отчёт"} if href else None,
                     "since": view["date"] or "—", "regressions": view["regressions"],
                     "improvements": view["improvements"], "none": view["none"],
                     "regressions_title": view["regressions_title"],
                     "improvements_title": view["improvements_title"]})
    return {"title": CHANGES_TITLE,
            "intro": (f"Сравнено с прошлой проверкой организаций: {len(changed)}; с ухудшениями: {worse}; "
                      f"с улучшениями: {better}. Сначала — организации с наибольшим числом ухудшений."),
            "rows": rows}


def build_summary_view(summary: dict, *, generated: str, tool: str, script_hash: str) -> dict:
    show_score = summary["metric"] == METRIC_SCORE
    ranked = summary["ranked"]
    return {
        "page_title": f"Сводка аудита сайтов для НОК — организаций: {len(summary['organisations'])}",
        "generated": generated,
        "tool": tool,
        "csp": f"default-src 'none'; style-src 'unsafe-inline'; script-src '{script_hash}'; "
               "img-src 'none'; base-uri 'none'; form-action 'none'",
        "checklists": ", ".join(summary["checklists"]),
        "counts": [
            {"label": "Отчётов в сводке", "value": format_int(len(summary["organisations"]))},
            {"label": "Сайтов проверено", "value": format_int(len(ranked))},
            {"label": "Не удалось проверить", "value": format_int(len(summary["unreachable"]))},
        ],
        "ranked_by": ("по итоговому баллу (при равенстве — по доле 1.1)" if show_score
                      else "по доле обязательной информации на сайте (показатель 1.1)"),
        "show_score": show_score,
        "by_sector": len(summary.get("sectors") or []) > 1,
        "rows": [_row(o, show_score) for o in ranked],
        "unreachable": [_row(o, False) for o in summary["unreachable"]],
        "chart": _chart(summary["distribution"], summary["metric"]),
        "changes": _changes_section(summary.get("changes") or []),
        "item_rows": [{
            "id": r["id"], "name": r["name"],
            "indicator": labels.INDICATOR_SHORT.get(r["indicator"], r["indicator"]),
            "fraction": f'{r["present"]} из {r["audited"]}',
            "share": format_percent(r["share"]),
            "share_sort": _num(r["share"]),
            "bar": "0" if r["share"] is None else str(round(r["share"] * 100, 1)),
        } for r in summary["item_shares"]],
    }


# --------------------------------------------------------------------------------------------------
# Writing


def sort_script() -> str:
    """The page's only script, exactly as the template includes it (a constant file, no site content)."""
    return template_environment().get_template(SORT_SCRIPT_TEMPLATE).render()


def csp_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def render_summary_html(summary: dict, *, generated: str, tool: str) -> str:
    view = build_summary_view(summary, generated=generated, tool=tool, script_hash=csp_hash(sort_script()))
    return template_environment().get_template("summary.html.j2").render(**view)


def write_summary(summary: dict, out_dir, *, generated: str, tool: str) -> dict[str, Path]:
    """Write summary.html, summary.csv and summary.xlsx into out_dir; returns their paths."""

    html = render_summary_html(summary, generated=generated, tool=tool)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"html": out_dir / SUMMARY_HTML, "csv": out_dir / SUMMARY_CSV, "xlsx": out_dir / SUMMARY_XLSX}
    write_atomically(paths["html"], html)
    write_csv(summary, paths["csv"])
    if len(summary.get("sectors") or []) > 1:         # a file per sector: the columns of that sector's checklist
        for sector in summary["sectors"]:
            paths[f"csv_{sector}"] = out_dir / SUMMARY_CSV.replace(".csv", f"-{sector}.csv")
            write_csv(summary, paths[f"csv_{sector}"], sector)
    write_xlsx(summary, paths["xlsx"])
    return paths


def terminal_lines(summary: dict, paths: dict[str, Path], problems: list[str]) -> list[str]:
    lines = [f"Сводка: отчётов {len(summary['organisations'])}, сайтов проверено {len(summary['ranked'])}, "
             f"не удалось проверить {len(summary['unreachable'])}."]
    if problems:
        lines.append(f"Пропущено папок: {len(problems)} (причины выше).")
    changed = summary.get("changes") or []
    if changed:
        lines.append(f"{CHANGES_TITLE}: сравнено организаций {len(changed)}, с ухудшениями "
                     f"{sum(1 for o in changed if o['changes']['regressions'])}.")
    lines.append("Файлы сводки:")
    lines.extend(f"  {p}" for p in paths.values())
    return lines


def site_xlsx(folder: Path) -> bytes:
    """One audited site's row of summary.xlsx, in the same columns (the self-check page's download): the
    organisation can hand the operator, or compare with, exactly what the region's export will hold."""
    entries, problems = load_reports([folder])
    if not entries:
        raise ValueError("; ".join(problems))
    return xlsx_bytes(build_summary(entries, folder))
