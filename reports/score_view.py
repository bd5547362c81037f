"""The 344н scores and the fix-first list as the HTML report and the terminal show them."""
from __future__ import annotations

from reports import labels
from reports.russian_format import format_decimal

def score_value(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, 2)


def _score(s: dict) -> dict:
    return {
        "key": s["key"],
        "title": s["title"],
        "value": score_value(s["value"]),
        "computed": s["value"] is not None,
        "css": "score-ok" if s["value"] is not None else "score-missing",
        "state": "" if s["value"] is not None else labels.SCORE_NOT_COMPUTED,
        "formula": s["formula"],
        "formula_text": s["formula_text"],
        "missing": list(s["missing"]),
        "notes": list(s["notes"]),
        "unconfirmed": s["confidence"] == "U",
        "confidence_text": s["confidence_text"],
        "band": s.get("band") or "",
    }


def scores_view(scores: dict | None) -> dict | None:
    """Score cards (criteria and the total) and the table of indicators; None for older reports."""
    if scores is None:
        return None
    op = scores["operator_data"]
    if op is None:
        operator = labels.OPERATOR_DATA_NONE
    else:
        parts = [p for p in (op["organisation"], op["assessed_by"], op["date"]) if p]
        operator = labels.OPERATOR_DATA_FROM + "; ".join(parts + [op["source"]])
    m = scores["methodology"]
    return {
        "title": labels.SCORES_TITLE,
        "intro": labels.SCORES_INTRO,
        "operator": operator,
        "methodology": f'{m["name"]} (версия {m["version"]}; файл {m["source"]})',
        "total": _score(scores["total"]),
        "criteria": [_score(s) for s in scores["criteria"]],
        "indicators": [_score(s) for s in scores["indicators"]],
    }


def fix_first_view(fixes: list[dict] | None, unreachable: bool) -> dict | None:
    if fixes is None:
        return None
    markup = any("markup" in f for f in fixes)
    return {
        "title": labels.FIX_FIRST_TITLE,
        "intro": labels.FIX_FIRST_INTRO + (" " + labels.FIX_FIRST_MARKUP if markup else ""),
        "none": labels.FIX_FIRST_UNREACHABLE if unreachable else labels.FIX_FIRST_NONE,
        "rows": [{"anchor": "item-" + f["item_id"], "name": f["name"], "problem": f["problem"],
                  "gain": (labels.FIX_FIRST_MARKUP_GAIN if "markup" in f
                           else "+" + format_decimal(f["gain_total"], 2) + " к итоговой оценке"),
                  "gain_text": f["gain_text"], "fix": f["fix"], "indicator": f["indicator"],
                  "examples": [labels.markup_example(n) for n in f["markup"]["missing"]] if "markup" in f else []}
                 for f in fixes],
    }


def footer_note(scores: dict | None) -> str:
    if scores is not None and scores["total"]["value"] is not None:
        return labels.FOOTER_SCORED.format(methodology=scores["methodology"]["name"])
    return labels.FOOTER_NOT_SCORED


def terminal_score_lines(report: dict) -> list[str]:
    """Plain-text lines for the terminal: the scores and the top fixes (empty for older reports)."""
    scores = report.get("scores")
    if scores is None:
        return []
    lines = ["Баллы НОК (Приказ Минтруда России № 344н):"]
    for s in [scores["total"]] + scores["criteria"] + [x for x in scores["indicators"] if x["key"] in ("1.1", "1.2", "3.2")]:
        head = "Итог" if s["key"] == "total" else s["key"]
        if s["value"] is not None:
            prefix = "" if s["key"].startswith("К") else f"{head}: "      # «К1 = …» names itself
            lines.append(f"  {prefix}{s['formula_text']}" + (f" — {s['band']}" if s.get("band") else ""))
        elif s["key"] == "total":
            lines.append(f"  {head}: {labels.SCORE_NOT_COMPUTED} — не хватает данных для критериев (см. ниже)")
        else:
            site_part = [n for n in s["notes"] if n.startswith(("сайтовая часть", "по сайту засчитано"))]
            lines.append(f"  {head}: {labels.SCORE_NOT_COMPUTED} ({'; '.join(s['missing'] + site_part)})")
    if scores["operator_data"] is None:
        lines.append("  " + labels.OPERATOR_DATA_NONE)
    fixes = report.get("fix_first") or []
    if fixes:
        lines.append(f"{labels.FIX_FIRST_TITLE} (первые {min(len(fixes), labels.TERMINAL_FIX_FIRST)} "
                     f"из {len(fixes)}):")
        for n, f in enumerate(fixes[:labels.TERMINAL_FIX_FIRST], 1):
            lines.append(f"  {n}. {f['name']} — {f['problem']}; {f['gain_text']}")
    return [line.replace("\u00a0", " ") for line in lines]
