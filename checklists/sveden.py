"""The education section «Сведения об образовательной организации»: its second verdict, the markup.

A checklist whose settings have a `sveden` block (checklists/education.yaml) gets, after evaluation:

  * for every subsection item (sv_common …) and document item (sv_charter …) a `markup` verdict —
    complete | partial | none, the required itemprops missing, the page it was judged on — over the
    pages of its subsection (paths of МР v9, Госвеб and the 831 layout) plus their `addRef` pages;
    a value «отсутствует» / «нет» inside the marked-up element is a value like any other;
  * `sveden_section` absent when the section exists but is not one click from the main page or its
    page has no menu over the subsections (reason says which);
  * `sv_edu_standards` not_applicable instead of absent (the subsection is conditional);
  * `sv_accreditation` judged in «Основные сведения» before the switch date and in «Образование» from it,
    by the audit date.

checklists/assess.py turns the markup verdicts of published items into entries of the fix-first list.

It reads the page snapshots' itemprops (name -> values, recorded by the crawl), never raw HTML.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from checklists.compile import ChecklistError
from checklists.model.results import ABSENT, NOT_APPLICABLE, PRESENT, UNKNOWN, Finding

COMPLETE, PARTIAL, NONE = "complete", "partial", "none"
SECTION_ITEM = "sveden_section"
CONDITIONAL_ITEM = "sv_edu_standards"


@dataclass(frozen=True)
class Subsection:
    key: str
    item: str
    paths: tuple[str, ...]        # lower-case substrings of a page's path
    required: tuple[str, ...]
    optional: tuple[str, ...]


@dataclass(frozen=True)
class DocumentRule:
    item: str
    subsection: str | tuple[str, str]     # key, or (before, from) the switch date
    required: tuple[str, ...]


@dataclass(frozen=True)
class SvedenRules:
    roots: tuple[str, ...]
    min_menu: int
    switch_date: date
    subsections: dict[str, Subsection]
    documents: dict[str, DocumentRule]


def _names(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise ChecklistError(f"settings.sveden.{where}: нужен список строк")
    return tuple(x.strip() for x in value)


def rules_of(settings: dict, item_ids: set[str]) -> SvedenRules | None:
    """The `sveden` settings block, validated (ChecklistError, Russian), or None when there is none."""
    raw = settings.get("sveden")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ChecklistError("settings.sveden должен быть словарём")
    try:
        switch = date.fromisoformat(str(raw.get("accreditation_switch_date", "2026-03-01")))
    except ValueError:
        raise ChecklistError("settings.sveden.accreditation_switch_date: нужна дата ГГГГ-ММ-ДД") from None
    min_menu = raw.get("min_menu_subsections", 8)
    if not isinstance(min_menu, int) or isinstance(min_menu, bool) or min_menu < 0:
        raise ChecklistError("settings.sveden.min_menu_subsections: нужно целое число ≥ 0")
    subs = {}
    for key, s in (raw.get("subsections") or {}).items():
        if not isinstance(s, dict) or s.get("item") not in item_ids:
            raise ChecklistError(f"settings.sveden.subsections.{key}: нужен item — id пункта чек-листа")
        subs[key] = Subsection(key, s["item"], tuple(p.lower() for p in _names(s.get("paths"), f"{key}.paths")),
                               _names(s.get("required"), f"{key}.required"), _names(s.get("optional"), f"{key}.optional"))
    docs = {}
    for iid, d in (raw.get("documents") or {}).items():
        if iid not in item_ids or not isinstance(d, dict):
            raise ChecklistError(f"settings.sveden.documents.{iid}: нет такого пункта в чек-листе")
        sub = d.get("subsection")
        if isinstance(sub, dict):
            sub = (sub.get("before"), sub.get("from"))
        for k in (sub if isinstance(sub, tuple) else (sub,)):
            if k not in subs:
                raise ChecklistError(f"settings.sveden.documents.{iid}: неизвестный подраздел «{k}»")
        docs[iid] = DocumentRule(iid, sub, _names(d.get("required"), f"documents.{iid}.required"))
    return SvedenRules(tuple(r.lower().rstrip("/") for r in _names(raw.get("roots"), "roots")), min_menu, switch,
                       subs, docs)


def _audit_date(view) -> date:
    stamp = view.journal.started_at or ""
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return date.today()


def _subsection_pages(view, rules: SvedenRules) -> dict[str, list]:
    """Subsection key -> its fetched pages (by path), then the pages its pages link with addRef."""
    pages = [u for u in view.page_units if not u.failed]
    out: dict[str, list] = {}
    for key, sub in rules.subsections.items():
        own = [u for u in pages if any(p in u.path for p in sub.paths)]
        seen = {u.url for u in own}
        for u in list(own):
            for ref in u.page.itemprops.get("addRef", ()):
                extra = view.pages_by_key.get(view.key(ref) or "")
                if extra is not None and not extra.failed and extra.url not in seen:
                    seen.add(extra.url)
                    own.append(extra)
        out[key] = own
    return out


def _markup(pages: list, required: tuple[str, ...], optional: tuple[str, ...]) -> dict:
    found = {name for u in pages for name, values in u.page.itemprops.items() if any(v.strip() for v in values)}
    missing = [n for n in required if n not in found]
    marked = [n for n in required + optional if n in found]
    level = NONE if not marked else PARTIAL if missing else COMPLETE
    evidence = next((u.url for u in pages if set(u.page.itemprops) & set(required + optional)),
                    pages[0].url if pages else "")
    return {"level": level, "missing": missing, "evidence": evidence}


def _section_check(view, rules: SvedenRules) -> str:
    """'' when the section is one click from the main page and has a menu; else the Russian reason."""
    def path(url: str) -> str:
        return view.host_path(url)[1].lower()

    def in_section(url: str) -> bool:
        p = path(url).rstrip("/")
        return any(p == r or p.startswith(r + "/") for r in rules.roots)

    start = view.start_unit
    if start is None or not any(in_section(link.url) for link in start.page.links):
        return ("Раздел есть, но на главной странице нет ссылки на него (раздел должен открываться с главной "
                "страницы одним щелчком).")
    best = 0
    for u in view.page_units:
        if not u.failed and in_section(u.url):
            paths = [path(link.url) for link in u.page.links]
            best = max(best, sum(1 for sub in rules.subsections.values()
                                 if any(s in p for p in paths for s in sub.paths)))
    if best < rules.min_menu:
        return (f"Раздел есть, но ни на одной его странице нет меню подразделов (найдено ссылок на подразделы: "
                f"{best}, нужно не меньше {rules.min_menu}).")
    return ""


def judge(findings: list[Finding], view, rules: SvedenRules) -> list[Finding]:
    """Findings with the markup verdicts and the section's own rules applied (see the module docstring)."""
    by_sub = _subsection_pages(view, rules)
    by_item = {f.item_id: f for f in findings}
    on = _audit_date(view)
    judged = [(sub.item, key, sub.required, sub.optional) for key, sub in rules.subsections.items()]
    for iid, doc in rules.documents.items():
        key = doc.subsection
        if isinstance(key, tuple):
            key = key[0] if on < rules.switch_date else key[1]
        judged.append((iid, key, doc.required, ()))
    titles = {"common": "«Основные сведения»", "education": "«Образование»"}
    for iid, key, required, optional in judged:
        f = by_item.get(iid)
        # A subsection the crawl could not reach is no evidence of missing markup: no second verdict then.
        if f is None or (f.status == UNKNOWN and not by_sub[key]):
            continue
        f.markup = _markup(by_sub[key], required, optional)
        if iid in rules.documents:
            f.markup["subsection"] = key
            place = rules.documents[iid].subsection
            other = place[0] if isinstance(place, tuple) and key == place[1] else None
            if f.markup["missing"] and other and _markup(by_sub[other], required, ())["level"] != NONE:
                f.markup["note"] = (f"разметка есть в подразделе {titles.get(other, other)}, но с "
                                    f"{rules.switch_date:%d.%m.%Y} сведения должны быть в {titles.get(key, key)}")
    section = by_item.get(SECTION_ITEM)
    if section is not None and section.status == PRESENT:
        why = _section_check(view, rules)
        if why:
            section.status, section.reason = ABSENT, why
    cond = by_item.get(CONDITIONAL_ITEM)
    if cond is not None and cond.status == ABSENT:
        cond.status = NOT_APPLICABLE
        cond.reason = ("Подраздел не найден; он обязателен, только если организация применяет собственные "
                       "образовательные стандарты или требования. " + cond.reason)
    return findings
