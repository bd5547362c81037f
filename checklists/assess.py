"""Findings + control results → the Assessment of a site (checklists/model/assessment.py): which items count,
which channels work, the 344н scores (checklists/scoring.py) and what to fix first. Reports only render it."""
from __future__ import annotations

from checklists import scoring
from checklists.sveden import COMPLETE, NONE
from checklists.methodology import Methodology
from checklists.model.assessment import (AssessedItem, Assessment, Channel, Fix, SiteCondition, SiteShare)
from checklists.model.checklist import INDICATORS, Checklist, Item
from checklists.model.control import BROWSER, HTTP, VALIDATED, ControlResult
from checklists.model.results import ABSENT, NOT_APPLICABLE, PRESENT, UNKNOWN, Finding
from checklists.operator_data import OperatorData
from checklists.russian_numbers import num, points_word
from checklists.scoring import CRITERIA, INDICATOR_KEYS, SYMBOLS, round_points

STATUSES = (PRESENT, ABSENT, UNKNOWN, NOT_APPLICABLE)
CONTROL_METHODS = (BROWSER, VALIDATED, HTTP)
# Items whose channel or feature must also be shown to WORK, not only to be published: indicator 1.2 says
# «…и их функционирование»; 3.2 condition 4 is an alternative version that works.
WORKS_CHECKED_INDICATORS = ("1.2",)
WORKS_CHECKED_ITEMS = ("acc_alt_version",)
SURVEY_INDICATORS_ORDER = ("1.3", "2.3", "3.3", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3")


class AssessmentInputError(ValueError):
    """Findings, control results and checklist do not fit together (a bug in an earlier stage)."""


def assess(checklist: Checklist, findings: list[Finding], methodology: Methodology, *,
           controls: list[ControlResult] | None = None, operator: OperatorData | None = None,
           fix_first_list: bool = True) -> Assessment:
    """`controls`: None when the control stage did not run (not the same as an empty list). `fix_first_list`:
    False for an unreachable site, which has nothing to fix item by item (every item is merely undecided)."""
    results = _controls_by_item(controls)
    items = [AssessedItem(item, finding, results.get(item.id) if results is not None else None,
                          works_checked=needs_works_check(item) or (results is not None and item.id in results))
             for item, finding in _pair(checklist, findings)]
    a = score(items, methodology, operator, controls_run=controls is not None)
    if fix_first_list:
        # Markup defects earn no points: they follow every item that does.
        a.fix_first = fix_first(a, methodology) + markup_fixes(a.items)
    return a


def needs_works_check(item: Item) -> bool:
    return item.indicator in WORKS_CHECKED_INDICATORS or item.id in WORKS_CHECKED_ITEMS


def _pair(checklist: Checklist, findings: list[Finding]) -> list[tuple[Item, Finding]]:
    """Findings in checklist order, each with its item. Refuses findings that do not fit."""
    by_id: dict[str, Finding] = {}
    for f in findings:
        if f.item_id in by_id:
            raise AssessmentInputError(f"two findings for checklist item {f.item_id!r}")
        by_id[f.item_id] = f
    known = {it.id for it in checklist.items}
    stray = sorted(set(by_id) - known)
    if stray:
        raise AssessmentInputError(f"findings for items that are not in checklist {checklist.id!r}: {stray}")
    # An enabled item without a finding would silently shrink Инорм_сайт: refuse it.
    missing = [it.id for it in checklist.items if it.enabled and it.id not in by_id]
    if missing:
        raise AssessmentInputError(f"no finding for enabled checklist items: {missing}")
    pairs = [(it, by_id[it.id]) for it in checklist.items if it.id in by_id]
    for item, finding in pairs:
        if item.indicator not in INDICATORS:
            raise AssessmentInputError(f"item {item.id!r} has unknown indicator {item.indicator!r}")
        if finding.status not in STATUSES:
            raise AssessmentInputError(f"finding for {item.id!r} has unknown status {finding.status!r}")
    return pairs


def _controls_by_item(controls: list[ControlResult] | None) -> dict[str, ControlResult] | None:
    """Control results by item id; None when the control stage did not run. Refuses duplicates."""
    if controls is None:
        return None
    by_id: dict[str, ControlResult] = {}
    for r in controls:
        if r.item_id in by_id:
            raise AssessmentInputError(f"two control results for checklist item {r.item_id!r}")
        if r.method not in CONTROL_METHODS:
            raise AssessmentInputError(f"control result for {r.item_id!r} has unknown method {r.method!r}")
        by_id[r.item_id] = r
    # Results for items that are not in this checklist (controls.json of another checklist) are ignored.
    return by_id


def criterion_of(indicator: str) -> str:
    return "К" + indicator.split(".")[0]


def site_share(items: list[AssessedItem]) -> SiteShare:
    norm = [it for it in items if it.in_norm_1_1]
    return SiteShare(found=sum(1 for it in norm if it.status == PRESENT),
                     norm=len(norm), unknown=sum(1 for it in norm if it.status == UNKNOWN))


def _channel_state(it: AssessedItem, operator) -> tuple[bool | None, str]:
    """(works, source) of a 1.2 channel: the operator's human check overrides the control stage."""
    human = operator.controls.get(it.id) if operator is not None else None
    if human is not None:
        who = ", ".join(x for x in (human.date, human.by) if x)
        return human.works, "данные оператора" + (f" ({who})" if who else "")
    return it.works, "контрольная проверка"


def channel_states(items: list[AssessedItem], operator=None) -> list[Channel]:
    """Indicator 1.2 channels with the effective `works` and whether they count in Сдист."""
    out = []
    for it in items:
        if it.item.indicator != "1.2":
            continue
        works, source = _channel_state(it, operator)
        present = it.status == PRESENT
        out.append(Channel(id=it.id, name=it.item.name, present=present, works=works, source=source,
                           counted=present and works is True, undecided=present and works is None))
    return out


def site_conditions_3_2(items: list[AssessedItem], methodology: Methodology) -> list[SiteCondition]:
    """Checklist items that establish a 3.2 condition from the site: counted when present and working."""
    mapping = methodology.indicator("3.2").get("site_conditions") or {}
    out = []
    for it in items:
        if it.id in mapping:
            works = it.works if it.works_checked else True
            out.append(SiteCondition(id=it.id, name=it.item.name, condition=mapping[it.id], status=it.status,
                                     works=it.works, counted=it.status == PRESENT and works is True))
    return out


def score(items: list[AssessedItem], methodology: Methodology, operator=None, *, controls_run: bool) -> Assessment:
    """All indicators, criteria and the total for a site's assessed items and the operator's data."""
    m = methodology
    op = operator
    share = site_share(items)
    stand_norm = (op.stand_norm if op is not None and op.stand_norm is not None
                  else m.indicator("1.1").get("stand_norm"))
    stand_found = op.stand_found if op is not None else None
    ind: dict[str, scoring.Score] = {}
    ind["1.1"] = scoring.indicator_1_1(share.found, share.norm, stand_found, stand_norm, site_unknown=share.unknown,
                                       confidence=m.confidence("1.1"))
    channels = channel_states(items, op)
    human = op is not None and any(c.id in op.controls for c in channels)
    p12 = m.indicator("1.2")
    ind["1.2"] = scoring.indicator_1_2(sum(c.counted for c in channels) if (controls_run or human) else None,
                                       undecided=sum(c.undecided for c in channels),
                                       points_per_channel=p12.get("points_per_channel", 30), cap=p12.get("cap", 100),
                                       confidence=m.confidence("1.2"))
    for c in channels:
        if op is not None and c.id in op.controls:
            state = {True: "работает", False: "не работает"}[c.works]
            ind["1.2"].notes.append(f"{c.name}: {state} — {c.source}")
    for key in SURVEY_INDICATORS_ORDER:
        ind[key] = scoring.indicator_survey(key, op.survey.get(key) if op is not None else None,
                                            confidence=m.confidence(key))
    for key in ("2.1", "3.1"):
        p = m.indicator(key)
        ind[key] = scoring.indicator_by_conditions(key, op.conditions.get(key) if op is not None else None,
                                                   points_per_condition=p.get("points_per_condition", 20),
                                                   cap=p.get("cap", 100), confidence=m.confidence(key))
    p32 = m.indicator("3.2")
    site32 = site_conditions_3_2(items, m)
    ind["3.2"] = scoring.indicator_3_2(op.conditions.get("3.2") if op is not None else None,
                                       site_conditions=[s.condition for s in site32 if s.counted],
                                       points_per_condition=p32.get("points_per_condition", 20),
                                       cap=p32.get("cap", 100), known=p32.get("conditions") or {},
                                       confidence=m.confidence("3.2"))
    if m.use_2_2:
        ind["2.2"] = scoring.indicator_2_2(op.waiting_2_2 if op is not None else None, confidence=m.confidence("2.2"))
    crits = [scoring.criterion(k, m.data["criteria"][k].get("name", k), m.weights(k), ind, m.confidence(k))
             for k in CRITERIA]
    total = scoring.total(crits, m.confidence("total"))
    return Assessment(items=items, controls_run=controls_run, site_share=share, channels=channels, site_3_2=site32,
                      indicators=[ind[k] for k in INDICATOR_KEYS if k in ind], criteria=crits, total=total,
                      band=scoring.band(total.value, m.bands))


def fix_first(a: Assessment, methodology: Methodology) -> list[Fix]:
    """What to fix first: every scored item not present / not working, with the points it would gain
    (zero-gain fixes last).

    1.1: ΔПинф = 0,5 × 100 / Инорм_сайт per missing material; 1.2: +30 per channel until the cap;
    3.2 (site conditions): +20 per condition until the cap. Gains in the criterion = weight × Δ,
    in the total = that / 5. Sorted by the gain in the total, then checklist order.
    """
    m = methodology
    out = []
    order = {it.id: n for n, it in enumerate(a.items)}
    by_id = {it.id: it for it in a.items}
    norm_items = [it for it in a.items if it.in_norm_1_1]
    if norm_items:
        per_item = 0.5 * 100 / len(norm_items)
        for it in norm_items:
            if it.status != PRESENT:
                out.append(_fix(it, "1.1", per_item, m, problem=_problem(it)))
    p12 = m.indicator("1.2")
    n = sum(c.counted or c.undecided for c in a.channels)
    for c in a.channels:
        if c.counted or c.undecided:
            continue
        gain = _step(p12.get("points_per_channel", 30), p12.get("cap", 100), n)
        n += 1
        it = by_id[c.id]
        problem = _problem(it) if not c.present else f"не работает ({c.source})"
        out.append(_fix(it, "1.2", gain, m, problem=problem, works=c.works))
    p32 = m.indicator("3.2")
    ind32 = a.indicator("3.2")
    n = ind32.inputs["N"] if ind32.inputs.get("N") is not None else ind32.inputs["N_site"]
    for s in a.site_3_2:
        if s.counted or (s.status == PRESENT and s.works is None):
            continue
        gain = _step(p32.get("points_per_condition", 20), p32.get("cap", 100), n)
        n += 1
        it = by_id[s.id]
        out.append(_fix(it, "3.2", gain, m, problem=_problem(it) if s.status != PRESENT else "не работает"))
    # Fixes that gain nothing now (a cap reached, counting undecided channels as working) stay listed, last:
    # the gains are never overstated, and the missing item is never hidden.
    out.sort(key=lambda f: (-f.gain_total, order[f.item_id]))
    return out


def _step(points: float, cap: float, n: int) -> float:
    return min(points * (n + 1), cap) - min(points * n, cap)


def _problem(it: AssessedItem) -> str:
    return {ABSENT: "не найдено на сайте", UNKNOWN: "не удалось проверить — возможно, уже размещено"}.get(
        it.status, "не работает")


_ITEM_WORKS = object()     # `works` of the fix: the item's own (1.1, 3.2) unless a channel's effective one is given


def _fix(it: AssessedItem, indicator: str, gain: float, m: Methodology, *, problem: str, works=_ITEM_WORKS) -> Fix:
    crit = criterion_of(indicator)
    weight = m.weights(crit).get(indicator, 0.0)
    g_crit = weight * gain
    g_total = g_crit / len(CRITERIA)
    if gain > 0:
        text = (f"+{num(gain)} {points_word(gain)} показателя {indicator} ({SYMBOLS[indicator]}); "
                f"+{num(g_crit)} {points_word(g_crit)} {crit} (вес {num(weight)}); "
                f"+{num(g_total)} {points_word(g_total)} итоговой оценки")
    else:
        text = (f"баллов показателя {indicator} не прибавит, если непроверенные каналы работают "
                "(предел показателя уже достигнут); исправить всё равно стоит")
    return Fix(item_id=it.id, name=it.item.name, indicator=indicator, criterion=crit, status=it.status,
               works=it.works if works is _ITEM_WORKS else works, problem=problem,
               gain_indicator=round_points(gain), gain_criterion=round_points(g_crit), gain_total=round(g_total, 4), gain_text=text,
               fix=it.item.fix, confidence=m.confidence(indicator))


def markup_fixes(items: list[AssessedItem]) -> list[Fix]:
    """Fix-first entries for published items whose markup is partial or none (education subsections,
    checklists/sveden.py), in checklist order. Markup earns no НОК points (Рособрнадзор's monitoring reads it),
    so every gain is 0."""
    out = []
    for it in items:
        mk = it.finding.markup
        if it.status != PRESENT or not mk or mk["level"] == COMPLETE or not mk["missing"]:
            continue
        names = ", ".join(mk["missing"])
        problem = ("размещено, но без микроразметки" if mk["level"] == NONE
                   else "размещено, но микроразметка неполная") + f" (нет itemprop: {names})"
        if mk.get("note"):
            problem += f"; {mk['note']}"
        where = f"на странице {mk['evidence']}" if mk["evidence"] else "на странице подраздела"
        out.append(Fix(item_id=it.id, name=it.item.name, indicator=it.item.indicator,
                       criterion=criterion_of(it.item.indicator), status=it.status, works=None, problem=problem,
                       gain_indicator=0, gain_criterion=0, gain_total=0,
                       gain_text=("баллов НОК не прибавит: микроразметку по методическим рекомендациям Рособрнадзора "
                                  "читает его автоматический мониторинг сайта; исправить всё равно стоит"),
                       fix=f"Добавьте {where} микроразметку itemprop: {names} (МР Рособрнадзора v9).",
                       confidence=it.item.confidence,
                       markup={"level": mk["level"], "missing": list(mk["missing"]), "evidence": mk["evidence"]}))
    return out
