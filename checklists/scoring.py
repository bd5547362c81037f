"""Official NOK scores: Единый порядок расчёта показателей, Приказ Минтруда России от 31.05.2018 № 344н.

Pure functions: each takes numbers (or report items) and returns a Score with the value (None when it
cannot be assessed — never a silent 0 or 100), the formula with the numbers plugged in (Russian), the
inputs, what operator data is missing, and the confidence mark of the rule (regulations.md §0, §1).

Weights, points and caps come from the methodology (checklists/methodology.yaml, `load_methodology`);
which items count in Инорм_сайт comes from the checklist (`Item.counts_in_norm`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from checklists.loading import deep_merge

DEFAULT_METHODOLOGY = Path(__file__).with_name("methodology.yaml")
CRITERIA = ("К1", "К2", "К3", "К4", "К5")
INDICATOR_KEYS = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3",
                  "5.1", "5.2", "5.3")
CONFIDENCE = ("C", "P", "U")
CONFIDENCE_TEXT = {
    "C": "правило подтверждено по тексту Приказа № 344н",
    "P": "правило подтверждено косвенно (реализация оператора НОК), сверьте с текстом приказа",
    "U": "правило не подтверждено: сверьте с официальным текстом перед использованием",
}
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


class MethodologyError(ValueError):
    """The methodology file is unreadable or inconsistent; the message is Russian."""


# ---------------------------------------------------------------- numbers, the Russian way

def num(x: float, places: int = 2) -> str:
    """Decimal comma, trailing zeros of the fraction dropped: 88.75 → «88,75»; 90.0 → «90»; 0.3 → «0,3»;
    10 with no places → «10». The one number formatter of scores and reports."""
    text = f"{round(x, places):.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text.replace(".", ",")


def points_word(x: float) -> str:
    """«балл» in the right form: 1 балл, 2,5 балла, 30 баллов."""
    if round(x, 2) != int(round(x, 2)):
        return "балла"
    n = abs(int(round(x))) % 100
    if 11 <= n % 100 <= 14:
        return "баллов"
    return {1: "балл", 2: "балла", 3: "балла", 4: "балла"}.get(n % 10, "баллов")


def _r(x: float) -> float:
    return round(x + 0.0, 2)


# ---------------------------------------------------------------- result object

@dataclass
class Score:
    key: str                       # "1.1", "К1", "total"
    title: str
    value: float | None            # 0…100, None = not assessed
    formula: str                   # the formula with symbols
    formula_text: str              # the same with the numbers plugged in (or why it is not computed)
    inputs: dict = field(default_factory=dict)     # scalars: numbers, strings, booleans, null
    missing: list[str] = field(default_factory=list)   # Russian: what operator data is needed
    notes: list[str] = field(default_factory=list)
    confidence: str = "P"

    def to_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "value": self.value, "formula": self.formula,
                "formula_text": self.formula_text, "inputs": dict(self.inputs), "missing": list(self.missing),
                "notes": list(self.notes), "confidence": self.confidence,
                "confidence_text": CONFIDENCE_TEXT[self.confidence]}


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
        inputs["site_points"] = _r(50 * share)
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
    value = _r(0.5 * (stand_found / stand_norm + site_found / site_norm) * 100)
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
    return Score("1.2", INDICATOR_TITLES["1.2"], _r(value), formula, f"Пдист = {calc}", inputs, [], notes, confidence)


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
    return Score(key, INDICATOR_TITLES[key], _r(value), formula, f"{symbol} = {calc}", {"N": n}, [], [], confidence)


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
    inputs: dict = {"N": None, "N_site": len(site), "site_points": _r(site_value)}
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
    return Score("3.2", INDICATOR_TITLES["3.2"], _r(value), formula, f"Пуслугдост = {calc}", inputs, [], notes,
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
    value = _r(survey.share * 100)

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
    return Score("2.2", INDICATOR_TITLES["2.2"], _r(points), formula, f"Пожид = {num(points)} (данные оператора)",
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
    value = _r(sum(w * indicators[k].value for k, w in parts))
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
    value = _r(sum(c.value for c in criteria) / len(criteria))
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


# ---------------------------------------------------------------- methodology

@dataclass
class Methodology:
    id: str
    version: str
    name: str
    source: str
    data: dict

    @property
    def use_2_2(self) -> bool:
        return bool(self.data.get("use_waiting_time_2_2"))

    def weights(self, criterion_key: str) -> dict[str, float]:
        c = self.data["criteria"][criterion_key]
        if criterion_key == "К2" and not self.use_2_2:
            return dict(c["weights_without_2_2"])
        return dict(c["weights"])

    def indicator(self, key: str) -> dict:
        return self.data.get("indicators", {}).get(key) or {}

    def confidence(self, key: str) -> str:
        if key in CRITERIA:
            return self.data["criteria"][key].get("confidence", "P")
        if key == "total":
            return (self.data.get("total") or {}).get("confidence", "P")
        return self.indicator(key).get("confidence", "P")

    @property
    def bands(self) -> list[dict]:
        return list(self.data.get("bands") or [])


_TOP_KEYS = {"id", "version", "name", "use_waiting_time_2_2", "criteria", "indicators", "total", "bands"}


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MethodologyError(f"файл методики не найден: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MethodologyError(f"{path}: не удалось прочитать файл: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (строка {mark.line + 1}, столбец {mark.column + 1})" if mark is not None else ""
        raise MethodologyError(f"{path}: ошибка в разметке YAML{at}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(raw, dict):
        raise MethodologyError(f"{path}: ожидается словарь (id, criteria, indicators, bands… или extends)")
    return raw


def _normalise_keys(raw: dict) -> dict:
    """Latin K1 → Cyrillic К1 in criteria keys (easy to mistype)."""
    crit = raw.get("criteria")
    if isinstance(crit, dict):
        raw = dict(raw)
        raw["criteria"] = {str(k).replace("K", "К"): v for k, v in crit.items()}
    return raw


def _load_raw(path: Path, chain: tuple[Path, ...]) -> tuple[dict, list[str]]:
    if path.resolve() in chain:
        raise MethodologyError(f"{path}: циклическое наследование методик через extends")
    raw = _normalise_keys(_read_yaml(path))
    ref = raw.pop("extends", None)
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise MethodologyError(f"{path}: неизвестное поле «{unknown[0]}» "
                               f"(допустимы: extends, {', '.join(sorted(_TOP_KEYS))})")
    if ref is None:
        return raw, [str(path)]
    if ref == "default":
        base_path = DEFAULT_METHODOLOGY
    else:
        base_path = Path(str(ref)).expanduser()
        if not base_path.is_absolute():
            base_path = path.parent / base_path
    base, files = _load_raw(base_path, chain + (path.resolve(),))
    return deep_merge(base, raw), files + [str(path)]


def _check_weights(where: str, weights, keys_allowed: set[str]) -> None:
    if not isinstance(weights, dict) or not weights:
        raise MethodologyError(f"{where}: веса должны быть словарём «показатель: вес»")
    for k, w in weights.items():
        if str(k) not in keys_allowed:
            raise MethodologyError(f"{where}: показатель «{k}» не относится к этому критерию "
                                   f"(допустимы: {', '.join(sorted(keys_allowed))})")
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0:
            raise MethodologyError(f"{where}: вес показателя «{k}» должен быть неотрицательным числом")
    if not math.isclose(sum(weights.values()), 1.0, abs_tol=1e-6):
        raise MethodologyError(f"{where}: сумма весов должна быть равна 1, а равна {num(sum(weights.values()), 4)}")


def _validate(data: dict, where: str) -> None:
    if not isinstance(data.get("use_waiting_time_2_2", False), bool):
        raise MethodologyError(f"{where}: use_waiting_time_2_2 должно быть true или false")
    crit = data.get("criteria")
    if not isinstance(crit, dict) or set(crit) != set(CRITERIA):
        raise MethodologyError(f"{where}: criteria должно содержать ровно критерии {', '.join(CRITERIA)}")
    for key in CRITERIA:
        c = crit[key]
        if not isinstance(c, dict):
            raise MethodologyError(f"{where}: критерий {key} должен быть словарём (name, weights, confidence)")
        allowed = {k for k in INDICATOR_KEYS if k.startswith(key[1] + ".")}
        _check_weights(f"{where}: критерий {key}", {str(k): v for k, v in (c.get("weights") or {}).items()}, allowed)
        c["weights"] = {str(k): v for k, v in c["weights"].items()}
        if key == "К2":
            wo = {str(k): v for k, v in (c.get("weights_without_2_2") or {}).items()}
            _check_weights(f"{where}: критерий К2 (weights_without_2_2)", wo, allowed - {"2.2"})
            c["weights_without_2_2"] = wo
        if c.get("confidence", "P") not in CONFIDENCE:
            raise MethodologyError(f"{where}: критерий {key}: confidence должно быть C, P или U")
    inds = data.get("indicators") or {}
    if not isinstance(inds, dict):
        raise MethodologyError(f"{where}: indicators должно быть словарём")
    data["indicators"] = inds = {str(k): (v or {}) for k, v in inds.items()}
    for key, ind in inds.items():
        if key not in INDICATOR_KEYS:
            raise MethodologyError(f"{where}: неизвестный показатель «{key}» в indicators")
        if ind.get("confidence", "P") not in CONFIDENCE:
            raise MethodologyError(f"{where}: показатель {key}: confidence должно быть C, P или U")
        for param in ("points_per_channel", "points_per_condition", "cap"):
            if param in ind:
                v = ind[param]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
                    raise MethodologyError(f"{where}: показатель {key}: {param} должно быть положительным числом")
        norm = ind.get("stand_norm")
        if norm is not None and (isinstance(norm, bool) or not isinstance(norm, int) or norm <= 0):
            raise MethodologyError(f"{where}: показатель 1.1: stand_norm (Инорм_стенд) — целое число больше нуля "
                                   "или null")
    sc = inds.get("3.2", {}).get("site_conditions") or {}
    known = inds.get("3.2", {}).get("conditions") or {}
    for item_id, cond in sc.items():
        if cond not in known:
            raise MethodologyError(f"{where}: показатель 3.2: site_conditions «{item_id}» ссылается на неизвестное "
                                   f"условие «{cond}» (допустимы: {', '.join(known)})")
    bands = data.get("bands") or []
    if not isinstance(bands, list):
        raise MethodologyError(f"{where}: bands должно быть списком {{min: число, label: текст}}")
    for b in bands:
        if (not isinstance(b, dict) or set(b) != {"min", "label"} or isinstance(b["min"], bool)
                or not isinstance(b["min"], (int, float)) or not isinstance(b["label"], str) or not b["label"].strip()):
            raise MethodologyError(f"{where}: каждая градация в bands — {{min: число, label: текст}}, а указано {b!r}")
    if len({b["min"] for b in bands}) != len(bands):
        raise MethodologyError(f"{where}: в bands две градации с одинаковым min")


def load_methodology(path: str | Path | None = None) -> Methodology:
    """None or "default" → checklists/methodology.yaml; otherwise a YAML file (may `extends: default`)."""
    p = DEFAULT_METHODOLOGY if path in (None, "default") else Path(path)
    data, files = _load_raw(p, ())
    where = files[-1]
    _validate(data, where)
    for k in ("id", "version", "name"):
        if not isinstance(data.get(k), (str, int, float)) or not str(data.get(k)).strip():
            raise MethodologyError(f"{where}: не указано поле «{k}» методики")
    shown = ["checklists/methodology.yaml" if Path(f) == DEFAULT_METHODOLOGY else f for f in files]
    return Methodology(id=str(data["id"]), version=str(data["version"]), name=str(data["name"]),
                       source=" + ".join(shown), data=data)


# ---------------------------------------------------------------- a report's scores

def criterion_of(indicator: str) -> str:
    return "К" + indicator.split(".")[0]


def _channel_state(it: dict, operator) -> tuple[bool | None, str]:
    """(works, source) of a 1.2 channel: the operator's human check overrides the control stage."""
    human = operator.controls.get(it["id"]) if operator is not None else None
    if human is not None:
        who = ", ".join(x for x in (human.date, human.by) if x)
        return human.works, "данные оператора" + (f" ({who})" if who else "")
    return it.get("works"), "контрольная проверка"


def channel_states(items: list[dict], operator=None) -> list[dict]:
    """Indicator 1.2 channels with the effective `works` and whether they count in Сдист."""
    out = []
    for it in items:
        if it["indicator"] != "1.2":
            continue
        works, source = _channel_state(it, operator)
        present = it["status"] == "present"
        out.append({"id": it["id"], "name": it["name"], "present": present, "works": works, "source": source,
                    "counted": present and works is True, "undecided": present and works is None})
    return out


def site_conditions_3_2(items: list[dict], methodology: Methodology) -> list[dict]:
    """Checklist items that establish a 3.2 condition from the site: counted when present and working."""
    mapping = methodology.indicator("3.2").get("site_conditions") or {}
    out = []
    for it in items:
        if it["id"] in mapping:
            works = it.get("works", True) if "works" in it else True
            out.append({"id": it["id"], "name": it["name"], "condition": mapping[it["id"]],
                        "status": it["status"], "works": it.get("works"),
                        "counted": it["status"] == "present" and works is True})
    return out


def score_items(items: list[dict], methodology: Methodology, operator=None, *, controls_run: bool) -> dict:
    """All indicators, criteria and the total for a report's items and the operator's data."""
    m = methodology
    op = operator
    norm_items = [it for it in items if it["indicator"] == "1.1" and it["counts_in_norm"]]
    found = sum(1 for it in norm_items if it["status"] == "present")
    unknown = sum(1 for it in norm_items if it["status"] == "unknown")
    stand_norm = (op.stand_norm if op is not None and op.stand_norm is not None
                  else m.indicator("1.1").get("stand_norm"))
    stand_found = op.stand_found if op is not None else None
    ind: dict[str, Score] = {}
    ind["1.1"] = indicator_1_1(found, len(norm_items), stand_found, stand_norm, site_unknown=unknown,
                               confidence=m.confidence("1.1"))
    channels = channel_states(items, op)
    human = op is not None and any(c["id"] in op.controls for c in channels)
    p12 = m.indicator("1.2")
    ind["1.2"] = indicator_1_2(sum(c["counted"] for c in channels) if (controls_run or human) else None,
                               undecided=sum(c["undecided"] for c in channels),
                               points_per_channel=p12.get("points_per_channel", 30), cap=p12.get("cap", 100),
                               confidence=m.confidence("1.2"))
    for c in channels:
        if op is not None and c["id"] in op.controls:
            state = {True: "работает", False: "не работает"}[c["works"]]
            ind["1.2"].notes.append(f"{c['name']}: {state} — {c['source']}")
    for key in SURVEY_INDICATORS_ORDER:
        ind[key] = indicator_survey(key, op.survey.get(key) if op is not None else None, confidence=m.confidence(key))
    for key in ("2.1", "3.1"):
        p = m.indicator(key)
        ind[key] = indicator_by_conditions(key, op.conditions.get(key) if op is not None else None,
                                           points_per_condition=p.get("points_per_condition", 20),
                                           cap=p.get("cap", 100), confidence=m.confidence(key))
    p32 = m.indicator("3.2")
    site32 = site_conditions_3_2(items, m)
    ind["3.2"] = indicator_3_2(op.conditions.get("3.2") if op is not None else None,
                               site_conditions=[s["condition"] for s in site32 if s["counted"]],
                               points_per_condition=p32.get("points_per_condition", 20), cap=p32.get("cap", 100),
                               known=p32.get("conditions") or {}, confidence=m.confidence("3.2"))
    if m.use_2_2:
        ind["2.2"] = indicator_2_2(op.waiting_2_2 if op is not None else None, confidence=m.confidence("2.2"))
    crits = [criterion(k, m.data["criteria"][k].get("name", k), m.weights(k), ind, m.confidence(k)) for k in CRITERIA]
    s = total(crits, m.confidence("total"))
    return {"indicators": [ind[k] for k in INDICATOR_KEYS if k in ind], "criteria": crits, "total": s,
            "band": band(s.value, m.bands), "channels": channels, "site_3_2": site32}


SURVEY_INDICATORS_ORDER = ("1.3", "2.3", "3.3", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3")


def fix_first(items: list[dict], methodology: Methodology, scored: dict) -> list[dict]:
    """What to fix first: every scored item not present / not working, with the points it would gain
    (zero-gain fixes last).

    1.1: ΔПинф = 0,5 × 100 / Инорм_сайт per missing material; 1.2: +30 per channel until the cap;
    3.2 (site conditions): +20 per condition until the cap. Gains in the criterion = weight × Δ,
    in the total = that / 5. Sorted by the gain in the total, then checklist order.
    """
    m = methodology
    out = []
    order = {it["id"]: n for n, it in enumerate(items)}
    by_id = {it["id"]: it for it in items}
    norm_items = [it for it in items if it["indicator"] == "1.1" and it["counts_in_norm"]]
    if norm_items:
        per_item = 0.5 * 100 / len(norm_items)
        for it in norm_items:
            if it["status"] != "present":
                out.append(_fix(it, "1.1", per_item, m, problem=_problem(it)))
    p12 = m.indicator("1.2")
    channels = scored["channels"]
    n = sum(c["counted"] or c["undecided"] for c in channels)
    for c in channels:
        if c["counted"] or c["undecided"]:
            continue
        gain = _step(p12.get("points_per_channel", 30), p12.get("cap", 100), n)
        n += 1
        it = by_id[c["id"]]
        problem = _problem(it) if not c["present"] else f"не работает ({c['source']})"
        out.append(_fix(it, "1.2", gain, m, problem=problem, works=c["works"]))
    p32 = m.indicator("3.2")
    ind32 = next(s for s in scored["indicators"] if s.key == "3.2")
    n = ind32.inputs["N"] if ind32.inputs.get("N") is not None else ind32.inputs["N_site"]
    for s in scored["site_3_2"]:
        if s["counted"] or (s["status"] == "present" and s["works"] is None):
            continue
        gain = _step(p32.get("points_per_condition", 20), p32.get("cap", 100), n)
        n += 1
        it = by_id[s["id"]]
        out.append(_fix(it, "3.2", gain, m, problem=_problem(it) if s["status"] != "present" else "не работает"))
    # Fixes that gain nothing now (a cap reached, counting undecided channels as working) stay listed, last:
    # the gains are never overstated, and the missing item is never hidden.
    out.sort(key=lambda f: (-f["gain_total"], order[f["item_id"]]))
    return out


def _step(points: float, cap: float, n: int) -> float:
    return min(points * (n + 1), cap) - min(points * n, cap)


def _problem(it: dict) -> str:
    return {"absent": "не найдено на сайте", "unknown": "не удалось проверить — возможно, уже размещено"}.get(
        it["status"], "не работает")


def _fix(it: dict, indicator: str, gain: float, m: Methodology, *, problem: str, works="item") -> dict:
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
    return {"item_id": it["id"], "name": it["name"], "indicator": indicator, "criterion": crit,
            "status": it["status"], "works": it.get("works") if works == "item" else works, "problem": problem,
            "gain_indicator": _r(gain), "gain_criterion": _r(g_crit), "gain_total": round(g_total, 4),
            "gain_text": text, "fix": it["fix"], "confidence": m.confidence(indicator)}
