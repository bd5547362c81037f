"""The content of report.json: a stored crawl, a checklist and its findings, as plain data.

`build_report()` serialises the Assessment of the site (checklists/assess.py: statuses, the 1.1 share, working
channels, scores, fix-first list) with the crawl's facts and Russian texts. The HTML view and the terminal
summary only re-present this dict, so report.json and report.html can never disagree.
"""
from __future__ import annotations

from datetime import datetime, timezone

import functools

from checklists.assess import CONTROL_METHODS, assess
from checklists.methodology import Methodology, load_methodology
from checklists.model.assessment import AssessedItem, Assessment, Score, SiteShare
from checklists.model.checklist import INDICATORS, Checklist, Item
from checklists.model.control import HTTP, VALIDATED, AccessibilityResult, ControlResult
from checklists.model.crawl import StoredCrawl
from checklists.model.journal import PROBLEM_KINDS, CrawlJournal, Problem
from checklists.model.results import ABSENT, EVIDENCE_KINDS, UNKNOWN, Evidence, Finding
from checklists.operator_data import OperatorData
from checklists.scoring import ACT
from reports import labels
from reports.accessibility_text import summarise_ru
from reports.diff import diff_reports
from reports.russian_format import format_decimal
from reports.site_name import site_name

SCHEMA_VERSION = "1.0"
TOOL_NAME = "nok-audit"

CHANNELS_INDICATOR = "1.2"
# Keys of one axe-core violation in AccessibilityResult.violations (crawler/control/accessibility.py),
# with defaults: report.json keeps exactly these, so the schema can stay strict.
VIOLATION_FIELDS = {"id": "", "impact": "minor", "help_ru": "", "help_en": "", "nodes": 0, "targets": [],
                    "help_url": "", "wcag": [], "best_practice": False}


def build_report(crawl: StoredCrawl, checklist: Checklist, findings: list[Finding], *,
                 command: list[str], tool_version: str, generated_at: str | None = None,
                 controls: list[ControlResult] | None = None,
                 accessibility: list[AccessibilityResult] | None = None,
                 methodology: Methodology | None = None,
                 operator_data: OperatorData | None = None, previous: dict | None = None,
                 name: str = "") -> dict:
    """Return the content of report.json (see reports/report.schema.json).

    `controls` / `accessibility`: results of the control stage; None when it did not run (a report
    without a browser), which is not the same as an empty list (it ran and checked nothing).
    `methodology`: weights and points of the official scores (None → checklists/methodology.yaml);
    `operator_data`: the operator's inputs (stands, surveys, on-site conditions, control calls); None →
    every score that needs them is null with «нужны данные оператора: …».
    `previous`: the report.json of the previous audit of the same organisation; `changes` then says what
    changed since (reports.diff), else `changes` is null.
    `name`: the organisation's name from the registry; '' → the name the site gives itself.
    """
    journal = crawl.journal
    titles = _titles_by_url(crawl)
    methodology = methodology or default_methodology()
    # An unreachable site has nothing to fix item by item: every item is merely undecided.
    assessment = assess(checklist, findings, methodology, controls=controls, operator=operator_data,
                        fix_first_list=journal.entry_ok)
    items = [_item_entry(it, titles, controls_run=assessment.controls_run) for it in assessment.items]
    own_name = "" if name else site_name(crawl.pages, journal.final_url or journal.start_url)
    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "generated_at": generated_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [str(a) for a in command],
        "site": {
            "start_url": journal.start_url,
            "final_url": journal.final_url,
            "hosts": list(journal.site_hosts),
            "title": titles.get(journal.final_url) or titles.get(journal.start_url) or "",
            "name": name or own_name,
            "name_source": "registry" if name else ("site" if own_name else ""),
        },
        "checklist": {
            "id": checklist.id,
            "version": checklist.version,
            "name": checklist.name,
            "sector": checklist.sector,
            "source": checklist.source,
        },
        "crawl": _crawl_entry(journal),
        "robots": {
            "obeyed": journal.robots.obeyed,
            "url": journal.robots.url,
            "status": journal.robots.status,
            "unavailable": journal.robots.unavailable,
            "disallowed": [{"url": p.url, "referer": p.referer, "link_text": p.link_text,
                            "message": p.message} for p in journal.robots.disallowed],
            "closed_sections": _closed_sections(journal, findings),
        },
        "errors": [_error_entry(p) for p in journal.problems],
        "traps": [{"pattern": pattern, "dropped": dropped}
                  for pattern, dropped in sorted(journal.trap_patterns.items(), key=lambda kv: (-kv[1], kv[0]))],
        "items": items,
        "summary": _summary(items, assessment),
        "controls": _controls_entry(controls, items),
        "accessibility": _accessibility_entry(accessibility),
        "scores": _scores_entry(assessment, methodology, operator_data),
        # Markup defects (education) earn no points: they follow every item that does.
        "fix_first": [f.to_dict() for f in assessment.fix_first],
    }
    report["changes"] = changes_entry(previous, report)
    return report


def _closed_sections(journal: CrawlJournal, findings: list[Finding]) -> list[dict]:
    """The robots.txt-closed links (sections, documents) that left items «не удалось проверить», with those items."""
    texts = {p.url: p.link_text for p in journal.robots.disallowed}
    out: dict[str, dict] = {}
    for f in findings:
        for url in f.closed_sections:
            entry = out.setdefault(url, {"url": url, "link_text": texts.get(url, ""), "items": []})
            entry["items"].append(f.item_id)
    return list(out.values())


def changes_entry(previous: dict | None, report: dict) -> dict | None:
    """«Изменения с прошлой проверки»: the lines of reports.diff between the previous report and this one,
    regressions first; None without a previous report."""
    if previous is None:
        return None
    d = diff_reports(report["site"]["name"] or report["site"]["title"], previous, report)
    tool = previous.get("tool") if isinstance(previous.get("tool"), dict) else {}
    checklist = previous.get("checklist") if isinstance(previous.get("checklist"), dict) else {}
    return {
        "since": str(previous.get("generated_at") or ""),
        "previous_tool": {"name": str(tool.get("name") or ""), "version": str(tool.get("version") or "")},
        "previous_checklist": {"id": str(checklist.get("id") or ""), "version": str(checklist.get("version") or "")},
        "regressions": list(d.regressions),
        "improvements": list(d.improvements),
    }


@functools.lru_cache(maxsize=1)
def default_methodology() -> Methodology:
    return load_methodology()


def _scores_entry(a: Assessment, methodology: Methodology, operator: OperatorData | None) -> dict:
    """The official scores of 344н: every indicator and criterion with its formula, inputs, missing data."""
    total = a.total.to_dict()
    total["band"] = a.band
    op = None
    if operator is not None:
        op = {"source": operator.source, "organisation": operator.organisation, "assessed_by": operator.assessed_by,
              "date": operator.date}
    return {
        "act": ACT,
        "methodology": {"id": methodology.id, "version": methodology.version, "name": methodology.name,
                        "source": methodology.source, "use_waiting_time_2_2": methodology.use_2_2,
                        "bands": [{"min": b["min"], "label": b["label"]} for b in methodology.bands]},
        "operator_data": op,
        "indicators": [s.to_dict() for s in a.indicators],
        "criteria": [s.to_dict() for s in a.criteria],
        "total": total,
    }


def _titles_by_url(crawl: StoredCrawl) -> dict[str, str]:
    titles: dict[str, str] = {}
    for doc in crawl.documents:
        if doc.title or doc.link_text:
            titles[doc.url] = doc.title or doc.link_text
    for page in crawl.pages:
        if page.title:
            titles[page.url] = page.title
            titles.setdefault(page.requested_url, page.title)
    return titles


def _item_entry(it: AssessedItem, titles: dict[str, str], *, controls_run: bool) -> dict:
    item, finding = it.item, it.finding
    entry = {
        "id": item.id,
        "name": item.name,
        "indicator": item.indicator,
        "legal_basis": item.legal_basis,
        "confidence": item.confidence,
        "unconfirmed": item.confidence == "U",
        "counts_in_norm": item.counts_in_norm,
        "status": finding.status,
        "status_text": labels.STATUS_TEXT[finding.status],
        "reason": finding.reason,
        "fix": item.fix,
        "evidence": [_evidence_entry(e, titles) for e in finding.evidence],
    }
    if finding.markup is not None:
        entry["markup"] = {**finding.markup, "level_text": labels.MARKUP_TEXT[finding.markup["level"]]}
    if it.control is not None:
        entry["works"] = it.control.works
        entry["works_text"] = works_text(item.id, it.control)
        entry["control"] = _control_entry(it.control)
    elif it.works_checked:
        entry["works"] = None
        entry["works_text"] = _works_text_without_result(item, finding, controls_run=controls_run)
    return entry


def _works_text_without_result(item: Item, finding: Finding, *, controls_run: bool) -> str:
    if not controls_run:
        return labels.WORKS_NOT_CHECKED
    if finding.status == ABSENT:
        return labels.WORKS_NOT_FOUND_ALT_VERSION if item.id == "acc_alt_version" else labels.WORKS_NOT_FOUND
    if finding.status == UNKNOWN:
        return labels.WORKS_NOT_ESTABLISHED
    return labels.WORKS_NO_RESULT


def _clause(reason: str) -> str:
    """A Russian sentence as the tail of «не работает: …»: no final full stop, first letter lowered
    unless the first word is an abbreviation (HTTP, DNS, ПОС)."""
    text = " ".join(reason.split()).rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _with_reason(head: str, reason: str) -> str:
    tail = _clause(reason)
    return f"{head}: {tail}" if tail else head


def works_text(item_id: str, r: ControlResult) -> str:
    """Russian: what the control check established. VALIDATED never claims a call or a letter."""
    if r.works is None:
        if r.reason.startswith("не удалось проверить"):          # the reason already says it
            return r.reason
        return _with_reason("не удалось проверить", r.reason)
    if r.method == VALIDATED:
        if r.works:
            return labels.WORKS_VALIDATED_TRUE.get(item_id, labels.WORKS_VALIDATED_TRUE_OTHER)
        return _with_reason("опубликован, но некорректен", r.reason)
    if r.method == HTTP:
        return labels.WORKS_HTTP_TRUE if r.works else _with_reason("ссылка не открывается", r.reason)
    return labels.WORKS_BROWSER_TRUE if r.works else _with_reason("не работает", r.reason)


def _control_entry(r: ControlResult) -> dict:
    return {
        "method": r.method,
        "method_text": labels.CONTROL_METHOD_TEXT[r.method],
        "reason": r.reason,
        "url": r.url,
        "final_url": r.final_url,
        "status": r.status,
        "steps": [str(s) for s in r.steps],
        "details": dict(r.details),
        "submitted": bool(r.submitted),
        "screenshots": [{"path": s.path, "caption": s.caption, "taken_at": s.taken_at} for s in r.screenshots],
    }


def _evidence_entry(e: Evidence, titles: dict[str, str]) -> dict:
    return {
        "url": e.url,
        "title": titles.get(e.url, ""),
        "kind": e.kind,
        "kind_text": EVIDENCE_KINDS.get(e.kind, e.kind),   # the schema rejects unknown kinds
        "snippet": e.snippet,
        "strength": e.strength,
        "note": e.note,
        "source_url": e.source_url,
    }


def _error_entry(p: Problem) -> dict:
    return {
        "url": p.url,
        "kind": p.kind,
        "kind_text": PROBLEM_KINDS.get(p.kind, p.kind),     # the schema rejects unknown kinds
        "message": p.message,
        "referer": p.referer,
        "link_text": p.link_text,
        "is_document": p.is_document,
    }


def crawl_status(journal: CrawlJournal) -> tuple[str, str]:
    """(status, Russian explanation). `complete` means `absent` can be trusted as "not published"."""
    if journal.robots.unavailable:
        return labels.UNREACHABLE, f"не удалось проверить: {journal.robots.unavailable}; все пункты — «не удалось проверить»"
    if not journal.entry_ok:
        reason = journal.entry_error or "стартовая страница не загрузилась"
        return labels.UNREACHABLE, f"сайт недоступен: {reason}; все пункты — «не удалось проверить»"
    gaps = []
    if journal.stop_reason != "finished":
        text = labels.STOP_REASON_TEXT.get(journal.stop_reason, f"обход остановлен ({journal.stop_reason})")
        if journal.stop_reason == "max_pages":
            text += f" ({journal.max_pages})"
        gaps.append(text)
    if journal.cut_off_links:
        gaps.append(f"из-за лимита не загружено ссылок: {journal.cut_off_links}")
    if journal.deep_links:
        gaps.append(f"ссылок глубже предела глубины ({journal.max_depth}): {journal.deep_links}")
    if journal.problems:
        gaps.append(f"ошибок загрузки: {len(journal.problems)}")
    if journal.robots.disallowed:
        gaps.append(f"адресов, закрытых файлом robots.txt: {len(journal.robots.disallowed)}")
    if gaps:
        return labels.PARTIAL, "обход неполный: " + "; ".join(gaps)
    return labels.COMPLETE, "обход полный: загружены все найденные страницы и документы сайта"


def _crawl_entry(j: CrawlJournal) -> dict:
    status, status_text = crawl_status(j)
    return {
        "started_at": j.started_at,
        "finished_at": j.finished_at,
        "duration_s": round(j.duration_s, 1),
        "pages": j.pages,
        "documents": j.documents,
        "bytes": j.bytes,
        "pages_per_s": round(j.pages / j.duration_s, 2) if j.duration_s > 0 else None,
        "stop_reason": j.stop_reason,
        "stop_reason_text": labels.STOP_REASON_TEXT.get(j.stop_reason, j.stop_reason),
        "max_pages": j.max_pages,
        "max_depth": j.max_depth,
        "rendered_pages": j.rendered_pages,
        "user_agent": j.user_agent,
        "cut_off_links": j.cut_off_links,
        "deep_links": j.deep_links,
        "entry_ok": j.entry_ok,
        "entry_error": j.entry_error,
        "status": status,
        "status_text": status_text,
    }


def _counts(items: list[dict]) -> dict:
    c = {s: sum(1 for it in items if it["status"] == s) for s in labels.STATUSES}
    c["total"] = len(items)
    return c


def _summary(items: list[dict], a: Assessment) -> dict:
    by_indicator = {}
    for ind in INDICATORS:
        of_ind = [it for it in items if it["indicator"] == ind]
        by_indicator[ind] = {**_counts(of_ind), "norm": sum(1 for it in of_ind if it["counts_in_norm"])}
    channels = a.channels                   # `works` as scored: the operator's calls / letters override
    return {**_counts(items), "by_indicator": by_indicator, "site_share_1_1": site_share_1_1(a.site_share),
            "channels_present": sum(1 for c in channels if c.present),
            "channels_working": sum(1 for c in channels if c.counted),
            "dist_preview_1_2": dist_preview_1_2(a.indicator(CHANNELS_INDICATOR))}


def dist_preview_1_2(score: Score) -> dict:
    """Indicator 1.2 as shown in the summary: the same Score as in `scores` (checklists/scoring.py,
    formula (1.2) of Приказ Минтруда России № 344н: Пдист = 30 × Сдист, at most 100).

    Сдист counts channels that are found on the site AND work. Without the operator's calls and letters
    the phone and the e-mail count when their published number/address is valid.
    """
    working = score.inputs["Сдист"]
    undecided = score.inputs["undecided"]
    if score.value is None:
        return {"formula": labels.DIST_FORMULA, "channels": 0, "undecided": undecided, "points": None,
                "text": labels.DIST_NOT_COMPUTED, "label": labels.DIST_PREVIEW_LABEL}
    text = f"{labels.DIST_FORMULA}: {score.inputs['calculation']}"
    if undecided:
        text += f" (не удалось проверить найденных каналов: {undecided}; они не учтены)"
    return {"formula": labels.DIST_FORMULA, "channels": working, "undecided": undecided,
            "points": int(round(score.value)), "text": text, "label": labels.DIST_PREVIEW_LABEL}


def _controls_entry(controls: list[ControlResult] | None, items: list[dict]) -> dict | None:
    """What the control stage did, and what it never does (calls, letters; forms unless asked)."""
    if controls is None:
        return None
    checked = [it for it in items if "control" in it]
    submitted = [it for it in checked if it["control"]["submitted"]]
    if submitted:
        forms_text = labels.FORMS_SUBMITTED + ", ".join(f"«{it['name']}»" for it in submitted)
    else:
        forms_text = labels.FORMS_NOT_SUBMITTED
    return {
        "checked": len(checked),
        "working": sum(1 for it in checked if it["works"] is True),
        "not_working": sum(1 for it in checked if it["works"] is False),
        "undecided": sum(1 for it in checked if it["works"] is None),
        "by_method": {m: sum(1 for it in checked if it["control"]["method"] == m) for m in CONTROL_METHODS},
        "forms_submitted": bool(submitted),
        "notes": [forms_text, labels.CALLS_NOT_MADE],
    }


def _accessibility_entry(results: list[AccessibilityResult] | None) -> dict | None:
    """Supplementary axe-core and 200 % zoom results: shown, never scored."""
    if results is None:
        return None
    entries = []
    for r in results:
        d = r.to_dict()
        d["violations"] = [{key: v.get(key, default) for key, default in VIOLATION_FIELDS.items()}
                           for v in r.violations]
        entries.append(d)
    return {"results": entries, "summary": summarise_ru(results)}


def site_share_1_1(s: SiteShare) -> dict:
    """Исайт / Инорм_сайт: the site part of formula (1.1), Приказ Минтруда России № 344н (checklists/assess.py)."""
    found, norm, unknown, share = s.found, s.norm, s.unknown, s.share
    if share is None:
        text = f"{labels.SITE_SHARE_FORMULA}: в перечне нет обязательных материалов показателя 1.1"
    else:
        text = f"{labels.SITE_SHARE_FORMULA} = {found} / {norm} = {format_decimal(share, 4)}"
    return {"found": found, "norm": norm, "unknown": unknown, "share": share,
            "formula": labels.SITE_SHARE_FORMULA, "formula_text": text}

