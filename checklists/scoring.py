"""Official NOK scores: Единый порядок расчёта показателей, Приказ Минтруда России от 31.05.2018 № 344н.

Pure functions: each takes numbers and returns a Score with the value (None when it
cannot be assessed — never a silent 0 or 100), the formula with the numbers plugged in (Russian), the
inputs, what operator data is missing, and the confidence mark of the rule (regulations.md §0, §1).

Weights, points and caps come from the methodology (checklists/methodology.py); checklists/assess.py
feeds the formulas from a site's findings and control results.
"""
from __future__ import annotations

from checklists.model.assessment import Score
from checklists.russian_numbers import num

CRITERIA = ("К1", "К2", "К3", "К4", "К5")
INDICATOR_KEYS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3",
                  "5.1", "5.2", "5.3")
ACT = "Приказ Минтруда России от 31.05.2018 № 344н"
OPERATOR_NEEDED = "нужны данные оператора: "

INDICATOR_TITLES = {
    "1.1": "Соответствие информации на стендах и сайте требованиям",
    "1.2": "Дистанционные способы обратной связи и их функционирование",
    "1.3": "Доля удовлетворённых открытостью и доступностью информации",
    "2.1": "Комфортные условия предоставления услуг",
    "2.2": "Время ожидания предоставления услуги",
    "2.3": "Доля удовлетворённых комфортностью условий",
    "3.1": "Оборудование помещений и территории с учётом доступности для инвалидов",
    "3.2": "Условия доступности, позволяющие инвалидам получать услуги наравне с другими",
    "3.3": "Доля удовлетворённых доступностью услуг для инвалидов",
    "4.1": "Доброжелательность работников при первичном контакте",
    "4.2": "Доброжелательность работников, оказывающих услугу",
    "4.3": "Доброжелательность при дистанционном взаимодействии",
    "5.1": "Доля готовых рекомендовать организацию",
    "5.2": "Доля удовлетворённых организационными условиями",
    "5.3": "Доля удовлетворённых условиями оказания услуг в целом",
}
# Symbols of the indicators as in 344н / operators' practice.
SYMBOLS = {"1.1": "Пинф", "1.2": "Пдист", "1.3": "Поткруд", "2.1": "Пкомф.усл", "2.2": "Пожид", "2.3": "Пкомф.уд",
           "3.1": "Поргдост", "3.2": "Пуслугдост", "3.3": "Пдост.уд", "4.1": "Пперв.конт.уд",
           "4.2": "Пок.усл.уд", "4.3": "Пвежл.дист", "5.1": "Преком", "5.2": "Порг.усл", "5.3": "Пуд"}
MISSING_WHAT = {
    "1.1": "сведения об информационных стендах (Истенд, Инорм_стенд)",
    "1.3": "результаты опроса по показателю 1.3",
    "2.1": "перечень комфортных условий (показатель 2.1)",
    "2.2": "баллы показателя 2.2 (время ожидания)",
    "2.3": "результаты опроса по показателю 2.3",
    "3.1": "перечень оборудования для инвалидов (показатель 3.1)",
    "3.2": "условия доступности в помещениях (показатель 3.2)",
    "3.3": "результаты опроса по показателю 3.3",
    "4.1": "результаты опроса по показателю 4.1",
    "4.2": "результаты опроса по показателю 4.2",
    "4.3": "результаты опроса по показателю 4.3",
    "5.1": "результаты опроса по показателю 5.1",
    "5.2": "результаты опроса по показателю 5.2",
    "5.3": "результаты опроса по показателю 5.3",
}


def round_points(x: float) -> float:
    return round(x + 0.0, 2)


# ---------------------------------------------------------------- indicators

def indicator_1_1(site_found: int, site_norm: int, stand_found: int | None = None, stand_norm: int | None = None,
                  *, site_unknown: int = 0, confidence: str = "P") -> Score:
    """Formula (1.1) of 344н: Пинф = 0,5 × (Истенд / Инорм_стенд + Исайт / Инорм_сайт) × 100.

    Without stand data the value is None (the site alone gives at most 50 of 100 points); the site
    share and the site's contribution 0,5 × Исайт / Инорм_сайт × 100 are shown as inputs.
    """
    formula = "Пинф = 0,5 × (Истенд / Инорм_стенд + Исайт / Инорм_сайт) × 100"
    inputs: dict = {"Исайт": site_found, "Инорм_сайт": site_norm, "Истенд": stand_found, "Инорм_стенд": stand_norm}
    notes, missing = [], []
    if site_unknown:
        notes.append(f"не удалось проверить пунктов на сайте: {site_unknown} — они не засчитаны, "
                     "балл может быть занижен")
    site = f"{site_found}/{site_norm}" if site_norm else "Исайт/Инорм_сайт"
    if site_norm:
        share = site_found / site_norm
        inputs["site_share"] = round(share, 4)
        inputs["site_points"] = round_points(50 * share)
    else:
        missing.append("в перечне нет обязательных материалов показателя 1.1 (Инорм_сайт = 0)")
    if stand_found is None or not stand_norm:
        missing.append(OPERATOR_NEEDED + MISSING_WHAT["1.1"])
        notes.append("стендовая часть не оценивалась")
        if site_norm:
            notes.append(f"сайтовая часть: 0,5 × {site} × 100 = {num(50 * site_found / site_norm)} из 50 баллов")
        text = f"Пинф = 0,5 × (Истенд/Инорм_стенд + {site}) × 100 — не рассчитан"
        return Score("1.1", INDICATOR_TITLES["1.1"], None, formula, text, inputs, missing, notes, confidence)
    if not site_norm:
        text = f"Пинф = 0,5 × ({stand_found}/{stand_norm} + Исайт/Инорм_сайт) × 100 — не рассчитан"
        return Score("1.1", INDICATOR_TITLES["1.1"], None, formula, text, inputs, missing, notes, confidence)
    value = round_points(0.5 * (stand_found / stand_norm + site_found / site_norm) * 100)
    text = f"Пинф = 0,5 × ({stand_found}/{stand_norm} + {site}) × 100 = {num(value)}"
    return Score("1.1", INDICATOR_TITLES["1.1"], value, formula, text, inputs, missing, notes, confidence)


def _capped(points: float, count: int, cap: float) -> tuple[float, str]:
    """min(points × count, cap) and its calculation «30 × 5 = 150, учитывается 100»."""
    raw = points * count
    value = min(raw, cap)
    calc = f"{num(points)} × {count} = {num(raw)}"
    if raw > cap:
        calc += f", учитывается {num(cap)}"
    return value, calc


def indicator_1_2(channels_working: int | None, *, undecided: int = 0, points_per_channel: float = 30,
                  cap: float = 100, confidence: str = "P") -> Score:
    """Formula (1.2) of 344н: Пдист = Тдист × Сдист, Тдист = 30, at most 100 (4 or more channels → 100).

    Сдист counts channels present on the site AND working (a human control call / letter of the
    operator overrides the check of the published number / address). None = not checked.
    """
    formula = f"Пдист = {num(points_per_channel)} × Сдист (не более {num(cap)})"
    inputs = {"Сдист": channels_working, "Тдист": points_per_channel, "undecided": undecided}
    if channels_working is None:
        return Score("1.2", INDICATOR_TITLES["1.2"], None, formula,
                     "Пдист не рассчитан: работоспособность каналов не проверялась (проверка без браузера)",
                     inputs, ["нужна проверка работоспособности каналов (контрольные проверки или данные оператора)"],
                     [], confidence)
    value, calc = _capped(points_per_channel, channels_working, cap)
    inputs["calculation"] = calc
    notes = []
    if undecided:
        notes.append(f"не удалось проверить найденных каналов: {undecided}; они не учтены")
    return Score("1.2", INDICATOR_TITLES["1.2"], round_points(value), formula, f"Пдист = {calc}", inputs, [], notes, confidence)


def indicator_by_conditions(key: str, conditions: list[str] | None, *, points_per_condition: float = 20,
                            cap: float = 100, confidence: str = "P") -> Score:
    """Indicators 2.1 and 3.1 of 344н: П = 20 × N (N conditions present), at most 100. None = not assessed."""
    symbol = SYMBOLS[key]
    formula = f"{symbol} = {num(points_per_condition)} × N (не более {num(cap)})"
    if conditions is None:
        return Score(key, INDICATOR_TITLES[key], None, formula, f"{symbol} не рассчитан: нет данных оператора",
                     {"N": None}, [OPERATOR_NEEDED + MISSING_WHAT[key]], [], confidence)
    n = len(set(conditions))
    value, calc = _capped(points_per_condition, n, cap)
    return Score(key, INDICATOR_TITLES[key], round_points(value), formula, f"{symbol} = {calc}", {"N": n}, [], [], confidence)


def indicator_3_2(conditions: list[str] | None, *, site_conditions: list[str] = (), points_per_condition: float = 20,
                  cap: float = 100, known: dict[str, str] | None = None, confidence: str = "P") -> Score:
    """Indicator 3.2 of 344н: Пуслугдост = 20 × N, N of the six conditions met, at most 100 (5 or more → 100).

    `conditions`: the conditions the operator confirmed on site (None = not assessed, value None);
    `site_conditions`: those established from the website (the alternative version that works).
    A condition counts once however it was established.
    """
    formula = f"Пуслугдост = {num(points_per_condition)} × N (не более {num(cap)})"
    site = list(dict.fromkeys(site_conditions))
    site_value, site_calc = _capped(points_per_condition, len(site), cap)
    inputs: dict = {"N": None, "N_site": len(site), "site_points": round_points(site_value)}
    names = known or {}
    notes = [f"по сайту: {names.get(c, c)}" for c in site]
    if conditions is None:
        notes.append(f"по сайту засчитано условий: {len(site)} ({site_calc}); остальные условия проверяются в помещениях")
        return Score("3.2", INDICATOR_TITLES["3.2"], None, formula,
                     "Пуслугдост не рассчитан: условия доступности в помещениях не оценивались",
                     inputs, [OPERATOR_NEEDED + MISSING_WHAT["3.2"]], notes, confidence)
    unknown = [c for c in conditions if known is not None and c not in known]
    if unknown:
        notes.append("неизвестные условия не учтены: " + ", ".join(unknown))
    counted = list(dict.fromkeys(site + [c for c in conditions if c not in unknown]))
    value, calc = _capped(points_per_condition, len(counted), cap)
    inputs["N"] = len(counted)
    return Score("3.2", INDICATOR_TITLES["3.2"], round_points(value), formula, f"Пуслугдост = {calc}", inputs, [], notes,
                 confidence)


def indicator_survey(key: str, survey, *, confidence: str = "P") -> Score:
    """Survey indicators (1.3, 2.3, 3.3, 4.x, 5.x): П = Уi / Чобщ × 100; for 1.3 stand and site separately:
    Поткруд = 0,5 × (Устенд / Чобщ_стенд + Усайт / Чобщ_сайт) × 100. `survey`: operator_data.SurveyValue or None."""
    symbol = SYMBOLS[key]
    if key == "1.3":
        formula = "Поткруд = 0,5 × (Устенд / Чобщ_стенд + Усайт / Чобщ_сайт) × 100"
    else:
        formula = f"{symbol} = Уi / Чобщ × 100"
    if survey is None:
        return Score(key, INDICATOR_TITLES[key], None, formula, f"{symbol} не рассчитан: нет результатов опроса",
                     {}, [OPERATOR_NEEDED + MISSING_WHAT[key]], [], confidence)
    value = round_points(survey.share * 100)

    def part(s) -> str:
        return f"{num(s.satisfied)}/{num(s.total)}" if s.total else num(s.share, 4)

    if survey.parts:
        st, si = survey.parts["stand"], survey.parts["site"]
        text = f"{symbol} = 0,5 × ({part(st)} + {part(si)}) × 100 = {num(value)}"
    elif survey.total:
        text = f"{symbol} = {part(survey)} × 100 = {num(value)}"
    else:
        text = f"{symbol} = {num(value)} (доля удовлетворённых по данным оператора)"
    inputs = {"share": round(survey.share, 4), "satisfied": survey.satisfied, "total": survey.total}
    return Score(key, INDICATOR_TITLES[key], value, formula, text, inputs, [], [], confidence)


def indicator_2_2(points: float | None, *, confidence: str = "U") -> Score:
    """Indicator 2.2 «время ожидания»: points 0…100 given by the operator (its formula is unconfirmed, §1.4)."""
    formula = "Пожид — по данным оператора"
    if points is None:
        return Score("2.2", INDICATOR_TITLES["2.2"], None, formula, "Пожид не рассчитан: нет данных оператора",
                     {}, [OPERATOR_NEEDED + MISSING_WHAT["2.2"]], [], confidence)
    return Score("2.2", INDICATOR_TITLES["2.2"], round_points(points), formula, f"Пожид = {num(points)} (данные оператора)",
                 {"points": points}, [], [], confidence)


# ---------------------------------------------------------------- criteria, total, bands

def _merge_missing(scores) -> list[str]:
    """«нужны данные оператора: a; b» once, other missing lines as they are."""
    operator, other = [], []
    for s in scores:
        for m in s.missing:
            if m.startswith(OPERATOR_NEEDED):
                what = m[len(OPERATOR_NEEDED):]
                if what not in operator:
                    operator.append(what)
            elif m not in other:
                other.append(m)
    return ([OPERATOR_NEEDED + "; ".join(operator)] if operator else []) + other


def criterion(key: str, name: str, weights: dict[str, float], indicators: dict[str, Score],
              confidence: str = "P") -> Score:
    """К = Σ weight_i × П_i over the criterion's indicators (weights sum to 1). None if any indicator is None."""
    parts = list(weights.items())
    formula = f"{key} = " + " + ".join(f"{num(w)} × П{k}" for k, w in parts)
    used = [indicators[k] for k, _ in parts]
    inputs = {f"П{k}": indicators[k].value for k, _ in parts}
    plugged = " + ".join(f"{num(w)} × {'?' if indicators[k].value is None else num(indicators[k].value)}"
                         for k, w in parts)
    if any(s.value is None for s in used):
        return Score(key, name, None, formula, f"{key} = {plugged} — не рассчитан", inputs, _merge_missing(used),
                     [], confidence)
    value = round_points(sum(w * indicators[k].value for k, w in parts))
    return Score(key, name, value, formula, f"{key} = {plugged} = {num(value)}", inputs, [], [], confidence)


def criterion_1(i11: Score, i12: Score, i13: Score, weights=None, confidence: str = "P") -> Score:
    """К1 = 0,3 × Пинф + 0,3 × Пдист + 0,4 × Поткруд (344н; weights P)."""
    weights = weights or {"1.1": 0.3, "1.2": 0.3, "1.3": 0.4}
    return criterion("К1", "Открытость и доступность информации об организации", weights,
                     {"1.1": i11, "1.2": i12, "1.3": i13}, confidence)


def criterion_3(i31: Score, i32: Score, i33: Score, weights=None, confidence: str = "P") -> Score:
    """К3 = 0,3 × Поргдост + 0,4 × Пуслугдост + 0,3 × Пдост.уд (344н; weights P)."""
    weights = weights or {"3.1": 0.3, "3.2": 0.4, "3.3": 0.3}
    return criterion("К3", "Доступность услуг для инвалидов", weights, {"3.1": i31, "3.2": i32, "3.3": i33},
                     confidence)


def total(criteria: list[Score], confidence: str = "P") -> Score:
    """S = (К1 + К2 + К3 + К4 + К5) / 5 (344н; P). None, with the missing data listed, if any criterion is None."""
    formula = "S = (К1 + К2 + К3 + К4 + К5) / 5"
    inputs = {c.key: c.value for c in criteria}
    plugged = " + ".join("?" if c.value is None else num(c.value) for c in criteria)
    title = "Итоговый балл организации"
    if any(c.value is None for c in criteria):
        return Score("total", title, None, formula, f"S = ({plugged}) / {len(criteria)} — не рассчитан",
                     inputs, _merge_missing(criteria), [], confidence)
    value = round_points(sum(c.value for c in criteria) / len(criteria))
    return Score("total", title, value, formula, f"S = ({plugged}) / {len(criteria)} = {num(value)}", inputs, [], [],
                 confidence)


def band(value: float | None, bands: list[dict]) -> str | None:
    """The label of the highest band whose `min` ≤ value; None without bands or value (bands are U, §1.7)."""
    if value is None:
        return None
    for b in sorted(bands, key=lambda b: -b["min"]):
        if value >= b["min"]:
            return b["label"]
    return None
