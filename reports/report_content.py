"""The content of report.json: a stored crawl, a checklist and its findings, as plain data.

`build_report()` is the only place where the report stage decides anything (statuses of the
crawl, counts, the site share of indicator 1.1). The HTML view and the terminal summary only
re-present this dict, so report.json and report.html can never disagree.
"""
from __future__ import annotations

from datetime import datetime, timezone

from checklists.model import INDICATORS, Checklist, Item
from checklists.results import EVIDENCE_KINDS, PRESENT, Evidence, Finding
from crawler.crawlstore import StoredCrawl
from crawler.journal import PROBLEM_KINDS, CrawlJournal, Problem
from reports import labels
from reports.russian_format import format_decimal

SCHEMA_VERSION = "1.0"
TOOL_NAME = "nok-audit"

# Items whose channel or feature must also be shown to WORK, not only to be published. This stage
# only knows publication, so they get `works: null`; the control stage fills it in.
# Indicator 1.2 says «…и их функционирование»; 3.2 condition 4 is an alternative version that works.
WORKS_CHECKED_LATER_INDICATORS = ("1.2",)
WORKS_CHECKED_LATER_ITEMS = ("acc_alt_version",)


class ReportInputError(ValueError):
    """Findings and checklist do not fit together (a bug in an earlier stage)."""


def build_report(crawl: StoredCrawl, checklist: Checklist, findings: list[Finding], *,
                 command: list[str], tool_version: str, generated_at: str | None = None) -> dict:
    """Return the content of report.json (see reports/report.schema.json)."""
    journal = crawl.journal
    titles = _titles_by_url(crawl)
    items = [_item_entry(item, finding, titles) for item, finding in _pair(checklist, findings)]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "generated_at": generated_at or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": [str(a) for a in command],
        "site": {
            "start_url": journal.start_url,
            "final_url": journal.final_url,
            "hosts": list(journal.site_hosts),
            "title": titles.get(journal.final_url) or titles.get(journal.start_url) or "",
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
            "disallowed": [{"url": p.url, "referer": p.referer, "link_text": p.link_text,
                            "message": p.message} for p in journal.robots.disallowed],
        },
        "errors": [_error_entry(p) for p in journal.problems],
        "traps": [{"pattern": pattern, "dropped": dropped}
                  for pattern, dropped in sorted(journal.trap_patterns.items(), key=lambda kv: (-kv[1], kv[0]))],
        "items": items,
        "summary": _summary(items),
    }


def _pair(checklist: Checklist, findings: list[Finding]) -> list[tuple[Item, Finding]]:
    """Findings in checklist order, each with its item. Refuses findings that do not fit."""
    by_id: dict[str, Finding] = {}
    for f in findings:
        if f.item_id in by_id:
            raise ReportInputError(f"two findings for checklist item {f.item_id!r}")
        by_id[f.item_id] = f
    known = {it.id for it in checklist.items}
    stray = sorted(set(by_id) - known)
    if stray:
        raise ReportInputError(f"findings for items that are not in checklist {checklist.id!r}: {stray}")
    # An enabled item without a finding would silently shrink Инорм_сайт: refuse it.
    missing = [it.id for it in checklist.items if it.enabled and it.id not in by_id]
    if missing:
        raise ReportInputError(f"no finding for enabled checklist items: {missing}")
    return [(it, by_id[it.id]) for it in checklist.items if it.id in by_id]


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


def needs_works_check(item: Item) -> bool:
    return item.indicator in WORKS_CHECKED_LATER_INDICATORS or item.id in WORKS_CHECKED_LATER_ITEMS


def _item_entry(item: Item, finding: Finding, titles: dict[str, str]) -> dict:
    if item.indicator not in INDICATORS:
        raise ReportInputError(f"item {item.id!r} has unknown indicator {item.indicator!r}")
    if finding.status not in labels.STATUSES:
        raise ReportInputError(f"finding for {item.id!r} has unknown status {finding.status!r}")
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
    if needs_works_check(item):
        entry["works"] = None
        entry["works_text"] = labels.WORKS_NOT_CHECKED
    return entry


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


def _summary(items: list[dict]) -> dict:
    by_indicator = {}
    for ind in INDICATORS:
        of_ind = [it for it in items if it["indicator"] == ind]
        by_indicator[ind] = {**_counts(of_ind), "norm": sum(1 for it in of_ind if it["counts_in_norm"])}
    return {**_counts(items), "by_indicator": by_indicator, "site_share_1_1": site_share_1_1(items)}


def site_share_1_1(items: list[dict]) -> dict:
    """Исайт / Инорм_сайт: the site part of formula (1.1), Приказ Минтруда России № 344н.

    Инорм_сайт = items of indicator 1.1 that count in the norm; Исайт = those of them present.
    `unknown` items are not counted as found, so with unknowns the share is a lower bound.
    """
    norm_items = [it for it in items if it["indicator"] == "1.1" and it["counts_in_norm"]]
    found = sum(1 for it in norm_items if it["status"] == PRESENT)
    unknown = sum(1 for it in norm_items if it["status"] == labels.UNKNOWN)
    norm = len(norm_items)
    share = round(found / norm, 4) if norm else None
    if share is None:
        text = f"{labels.SITE_SHARE_FORMULA}: в перечне нет обязательных материалов показателя 1.1"
    else:
        text = f"{labels.SITE_SHARE_FORMULA} = {found} / {norm} = {format_decimal(share, 4)}"
    return {"found": found, "norm": norm, "unknown": unknown, "share": share,
            "formula": labels.SITE_SHARE_FORMULA, "formula_text": text}

