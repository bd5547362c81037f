"""Checklist evaluation: a stored crawl + a checklist → one Finding per enabled item.

    load_checklist(path_or_name=None) -> Checklist      (checklists/loading.py)
    evaluate(crawl, checklist) -> list[Finding]

Evaluation is pure: it reads the StoredCrawl (pages, documents, journal) and never fetches.
Every item's rule tree (checklists/checks/, compiled by checklists/compile.py) is run against every page and document; its hits
become Evidence whose strength follows these rules:

  * strong   — the item is published there;
  * weak     — a news item (URL in the news class, or a dated news page) mentions it, unless the
               item has allow_news: true; a link to another site whose content was not checked;
  * rejected — a stub page («страница в разработке», no content once headings are removed),
               or a link that leads to a stub, fails (HTTP error, timeout), was forbidden by
               robots.txt or was not fetched; a text that only promises the item («Устав будет
               размещён», «Скоро» — settings.future; for a heading, its section counts).

The caption of a link whose target answered a definite error (404) is not body or heading text
either (units.PageUnit.dead_captions): «Устав» over a missing file is not the charter.

Status: present when any evidence is strong. Otherwise unknown when the crawl cannot support a
claim of absence — the start page failed (every item unknown), the crawl stopped at a limit, or a
link that might hold the item (its text or URL matches the item's phrases / url_path, or for
robots.txt the section it would live in: item.sections → settings.sections) could not be
opened — and absent when the crawl covered the site. Reasons are Russian and say what was
searched for and what was found instead (e.g. only news mentions).
"""
from __future__ import annotations

from checklists import sveden
from checklists.checks.base import Hit
from checklists.compile import CompiledItem, compiled_for
from checklists.crawl_view import CrawlView, plural
from checklists.units import Unit, definite_failure, http_status_of
from checklists.model.checklist import Checklist, Item
from checklists.model.crawl import StoredCrawl
from checklists.model.results import ABSENT, PRESENT, REJECTED, STRONG, UNKNOWN, WEAK, Evidence, Finding

NOTE_NEWS = "упоминание в новости — не является размещением сведений"
NOTE_STUB = "страница-заглушка: раздел назван, но не заполнен"
NOTE_FUTURE = "сведения только обещаны («будет размещено», «скоро»): пока не опубликованы"
ROBOTS_CLOSED = ("раздел закрыт для роботов (robots.txt): проверьте вручную или запустите с --ignore-robots, "
                 "если это ваш сайт")
_NAMING_KINDS = {"page_title", "heading", "url_path", "page_text"}   # rejected on a stub page
_RANK = {STRONG: 0, WEAK: 1, REJECTED: 2}
_SECTION_CONTEXT = 300     # characters after a heading read as its section (for «будет размещён»)
_SHORT_HIT = 200           # a hit's text up to this long is scanned through the crawl-wide cache of short texts


def _announced(h: Hit, u: Unit, view: CrawlView) -> str:
    """The promise, when the text that carries this hit only promises the information (settings.future);
    for a heading, the text of its section counts too: «Устав» followed by «будет размещён …»."""
    keys = view.comp.future_keys
    if not keys or h.kind not in ("heading", "page_text", "page_title", "link_text"):
        return ""
    text = _text(h.snippet)
    if h.kind == "heading" and u.is_page:
        main = u.page.main_text
        i = main.find(text)
        if i != -1:
            end = i + len(text) + _SECTION_CONTEXT
            later = [main.find(x, i + len(text)) for x in u.page.headings if x != text]
            end = min([end] + [j for j in later if j != -1])
            text = main[i:end]
    # a link text or a title recurs on every page (menus): scanned once per crawl
    scan = view.scan_short(text) if len(text) <= _SHORT_HIT else view.matcher.scan(text)
    key = next((k for k in keys if k in scan.found), None)
    return "" if key is None else view.matcher.snippet(scan, key)


def _dead_note(url: str, note: str, view: CrawlView) -> str:
    """«документ по ссылке не открывается (HTTP 404)» for a document, «ссылка не открывается: …» otherwise."""
    code = http_status_of(note)
    if code and view.doclike(url):
        return f"документ по ссылке не открывается (HTTP {code})"
    return f"ссылка не открывается: {note}" if note else "ссылка не открывается"


def _grade(h: Hit, u: Unit, item: Item, view: CrawlView) -> tuple[str, str, str]:
    """(strength, note, why-unverified) of one hit; why-unverified is non-empty when the hit
    points at something the crawl could not open (it makes the item unknown, not absent)."""
    st = h.state
    if st == "stub" and item.allow_stub:
        st = "ok"                  # a named, empty section is still published (its control says if it works)
    if st == "stub":
        return REJECTED, "ссылка ведёт на страницу-заглушку: раздел назван, но не заполнен", ""
    if st == "failed":
        why = f"не открывается: {h.note}" if h.note else "не открывается"
        return REJECTED, _dead_note(h.url, h.note, view), "" if definite_failure(h.note) else why
    if st == "robots":
        return REJECTED, f"ссылка не проверена: {ROBOTS_CLOSED}", ROBOTS_CLOSED
    if st == "unfetched":
        why = "не загружалась при обходе" + (f" ({h.note})" if h.note else "")
        return REJECTED, f"страница по ссылке {why}", why
    if st == "external":
        return WEAK, f"ссылка ведёт на другой сайт ({h.note}), его содержимое не проверялось", ""
    if st == "news" and not item.allow_news:
        return WEAK, "ссылка ведёт на новость — " + NOTE_NEWS, ""
    note = h.note
    if st == "external_ok":
        note = f"внешний ресурс ({h.note}), его содержимое не проверялось"
    if u.is_page:
        if u.is_news and not item.allow_news:
            return WEAK, ("ссылка найдена только в новости" if h.source_url else NOTE_NEWS), ""
        if not st and u.is_stub and h.kind in _NAMING_KINDS and not item.allow_stub:
            return REJECTED, NOTE_STUB, ""
        promise = _announced(h, u, view)
        if promise:
            return REJECTED, f"{NOTE_FUTURE}: «{promise}»", ""
        return STRONG, note, ""
    ds = u.state
    if not h.source_url:
        if ds == "failed":
            why = f"не открывается: {u.note}" if u.note else "не открывается"
            return REJECTED, _dead_note(u.url, u.note, view), "" if definite_failure(u.note) else why
        if ds == "robots":
            return REJECTED, f"документ не проверен: {ROBOTS_CLOSED}", ROBOTS_CLOSED
        if ds == "unfetched":
            why = "не загружался при обходе" + (f" ({u.note})" if u.note else "")
            return REJECTED, f"документ {why}", why
        note = u.note
    if u.is_news and not item.allow_news:
        return WEAK, "документ приложен только к новостям — это не размещение сведений", ""
    return STRONG, note, ""


class _Collected:
    """Best evidence per URL for one item, and the links that could not be verified."""
    __slots__ = ("best", "unverified", "order", "robots_hits")

    def __init__(self):
        self.best: dict[str, tuple] = {}          # url -> (rank, order, hit, strength, note)
        self.unverified: dict[str, str] = {}      # url -> Russian "why", with the link text
        self.robots_hits: list[Hit] = []          # evidence behind robots.txt (the report lists those sections)
        self.order = 0

    def add(self, h: Hit, u: Unit, item: Item, view: CrawlView) -> None:
        strength, note, why = _grade(h, u, item, view)
        if why and h.url not in self.unverified:
            label = f"ссылка «{h.snippet}»" if h.source_url else f"документ «{_text(h.snippet)}»"
            self.unverified[h.url] = f"{label} ({h.url}) {'— ' if why == ROBOTS_CLOSED else ''}{why}"
            if why == ROBOTS_CLOSED:
                self.robots_hits.append(h)
        if h.source_url:
            target = view.pages_by_key.get(view.key(h.url) or "")
            depth = target.depth if target is not None else u.depth + 1
        else:
            depth = u.depth
        rank = (_RANK[strength], h.chrome, -h.weight, depth, len(h.url), h.kind == "link_text")
        old = self.best.get(h.url)
        if old is None or rank < old[0]:
            self.order += 1
            self.best[h.url] = (rank, self.order, h, strength, note)

    def evidence(self, limit: int) -> list[Evidence]:
        ranked = sorted(self.best.values(), key=lambda t: (t[0], t[1]))[:limit]
        return [Evidence(url=h.url, kind=h.kind, snippet=_text(h.snippet), strength=strength, note=note,
                         source_url=h.source_url) for _, _, h, strength, note in ranked]


def _text(snippet) -> str:
    return snippet if isinstance(snippet, str) else snippet()


def _finding(ci: CompiledItem, col: _Collected, view: CrawlView, limit: int) -> Finding:
    item = ci.item
    evidence = col.evidence(limit)
    if any(e.strength == STRONG for e in evidence):
        return Finding(item.id, PRESENT, "", evidence)

    # Links the crawl saw but could not open, whose text or URL names this item — or, for robots.txt, names
    # the section the item would live in (settings.sections: «Документы» holds the charter).
    unverified = dict(col.unverified)
    closed = [h.url for h in col.robots_hits]
    broken: list[str] = []          # definite failures named by a link the crawl saw
    known = {view.key(u) for u in unverified} | {view.key(e.url) for e in evidence}
    for p in view.blocked_links():
        if p.url in unverified or view.key(p.url) in known:
            continue
        found = view.scan_short(p.link_text).found.keys() if p.link_text else set()
        path = view.host_path(p.url)[1]
        named = bool(ci.probe_keys & found) or any(s in path for s in ci.probe_paths)
        if not named and p.kind == "robots":
            named = bool(ci.section_keys & found) or any(s in path for s in ci.section_paths)
        if named:
            label = f"ссылка «{p.link_text}»" if p.link_text else "ссылка"
            known.add(view.key(p.url))
            if p.kind != "robots" and definite_failure(p.message):
                broken.append(f"{label} ({p.url}) не открывается: {p.message}")
                continue
            if p.kind == "robots":
                closed.append(p.url)
            why = (f"— {ROBOTS_CLOSED}" if p.kind == "robots"
                   else f"не открылась: {p.message}" if p.message else "не открылась")
            unverified[p.url] = f"{label} ({p.url}) {why}"

    found_only = _found_instead(evidence)
    if broken:
        found_only.append("Ссылка на раздел не работает: " + "; ".join(broken[:3]) + ".")
    if unverified or view.cut_off_reason:
        parts = []
        if unverified:
            shown = list(unverified.values())[:3]
            more = len(unverified) - len(shown)
            parts.append("Не найдено на проверенных страницах, но " + "; ".join(shown)
                         + (f" и ещё {more}" if more > 0 else "") + " — сведения могли быть там.")
        if view.cut_off_reason:
            parts.append(("Кроме того, " if parts else "Не найдено, но ") + view.cut_off_reason + ".")
        return Finding(item.id, UNKNOWN, " ".join(parts + found_only), evidence,
                       closed_sections=list(dict.fromkeys(closed)))

    n_pages, n_docs = len(view.page_units), len(view.doc_units)
    scope = (f"{n_pages} {plural(n_pages, 'странице', 'страницах', 'страницах')} и "
             f"{n_docs} {plural(n_docs, 'документе', 'документах', 'документах')}")
    parts = [f"Не найдено на {scope} сайта. Искали: {ci.searched}."] + found_only
    if view.journal.deep_links:
        parts.append(f"Ссылки глубже {view.journal.max_depth} уровней не проверялись "
                     f"({view.journal.deep_links}).")
    return Finding(item.id, ABSENT, " ".join(parts), evidence)


def _found_instead(evidence: list[Evidence]) -> list[str]:
    """Russian sentences about weak / rejected evidence («упоминается только в новостях»)."""
    out = []
    weak = [e for e in evidence if e.strength == WEAK]
    news = [e for e in weak if "новост" in e.note]
    other_weak = [e for e in weak if e not in news]
    rejected = [e for e in evidence if e.strength == REJECTED]
    if news:
        out.append("Упоминается только в новостях (это не размещение сведений): "
                   + ", ".join(e.url for e in news[:3]) + ".")
    if other_weak:
        out.append("Есть только ссылки на другие сайты, их содержимое не проверялось: "
                   + ", ".join(e.url for e in other_weak[:3]) + ".")
    stubs = [e for e in rejected if "заглушк" in e.note]
    if stubs:
        out.append("Раздел назван, но не заполнен (страница-заглушка): "
                   + ", ".join(e.url for e in stubs[:3]) + ".")
    promised = [e for e in rejected if e.note.startswith(NOTE_FUTURE)]
    if promised:
        out.append("Размещение только обещано — сведения пока не опубликованы: "
                   + "; ".join(f"«{e.snippet}» ({e.url}): {e.note.removeprefix(NOTE_FUTURE + ': ')}"
                               for e in promised[:3]) + ".")
    dead = [e for e in rejected if "не открывается" in e.note and definite_failure(e.note)]
    if dead:
        out.append("Ссылка на раздел или документ не работает: "
                   + "; ".join(f"«{e.snippet}» ({e.url}) — {e.note}" for e in dead[:3]) + ".")
    return out


def evaluate(crawl: StoredCrawl, checklist: Checklist) -> list[Finding]:
    """One Finding per enabled item of `checklist`, in checklist order."""
    comp = compiled_for(checklist)
    j = crawl.journal
    if j.robots.unavailable:
        reason = f"Не удалось проверить: {j.robots.unavailable}."
        return [Finding(ci.item.id, UNKNOWN, reason) for ci in comp.items]
    if not j.entry_ok:
        why = j.entry_error or "стартовая страница не загружена"
        reason = f"Сайт не открылся: {why}. Наличие сведений проверить невозможно."
        return [Finding(ci.item.id, UNKNOWN, reason) for ci in comp.items]
    if not crawl.pages:
        reason = "В сохранённом обходе нет ни одной страницы: наличие сведений проверить невозможно."
        return [Finding(ci.item.id, UNKNOWN, reason) for ci in comp.items]

    view = CrawlView(crawl, comp)
    collected = [_Collected() for _ in comp.items]
    on_pages = [(ci, collected[i]) for i, ci in enumerate(comp.items) if ci.rule.on_pages]
    on_docs = [(ci, collected[i]) for i, ci in enumerate(comp.items) if ci.rule.on_docs]
    pages = [u for u in view.page_units if not u.failed]        # an error page holds no information
    for units, items in ((pages, on_pages), (view.doc_units, on_docs)):
        for u in units:
            for ci, col in items:
                hits = ci.rule.run(u, view)
                if hits:
                    for h in hits:
                        col.add(h, u, ci.item, view)
    findings = [_finding(ci, collected[i], view, comp.max_evidence) for i, ci in enumerate(comp.items)]
    rules = sveden.rules_of(checklist.settings or {}, {ci.item.id for ci in comp.items})
    return sveden.judge(findings, view, rules) if rules else findings
