"""The operator's inputs for the official NOK scores: what the website cannot tell.

One YAML file per organisation (every section optional; what is missing is reported as
«нужны данные оператора: …», never guessed):

    organisation: ГБУ «КЦСОН Примерного района»
    site: https://kcson.example.ru/        # optional; when given it must be the audited site
    assessed_by: ООО «Оператор НОК»
    date: 2026-10-15
    stands:                                # indicator 1.1, parameter 1.1.1 (information stands)
      found: 18                            # Истенд: required materials found on the stands
      norm: 20                             # Инорм_стенд: materials required on the stands
    survey:                                # share of satisfied respondents, per indicator
      "1.3":                               # stand and site separately (formula 1.3) …
        stand: {satisfied: 90, total: 100}
        site: {satisfied: 80, total: 95}
      "2.3": {satisfied: 95, total: 100}   # … or numerator / denominator,
      "3.3": {share: 0.925}                # … or a share 0…1,
      "4.1": {percent: 97}                 # … or a percentage 0…100
      "4.2": 0.96                          # a bare number: a share 0…1
      "4.3": {satisfied: 40, total: 41}
      "5.1": {satisfied: 92, total: 100}
      "5.2": {satisfied: 93, total: 100}
      "5.3": {satisfied: 94, total: 100}
    waiting_time_2_2: {points: 80}         # only when the methodology applies indicator 2.2
    conditions:                            # conditions confirmed on site visit
      "2.1": [зона отдыха, навигация, питьевая вода, санитарные помещения, транспортная доступность]
      "3.1": [пандусы, стоянка для инвалидов]
      "3.2": [sign_language, staff_assistance, remote_or_home]   # ids of checklists/methodology.yaml
    controls:                              # human control calls / letters (they override the check of the number / address)
      ch_phone: {works: true, date: 2026-10-10, by: Иванова А. А., note: ответили со второго звонка}
      ch_email: {works: false, date: 2026-10-10, by: Иванова А. А., note: ответа за 7 дней не было}

A batch file holds several organisations keyed by site URL or host name:

    organisations:
      kcson.example.ru: { stands: {found: 18, norm: 20}, ... }
      "https://другой-цсо.рф/": { ... }

`load_operator_data(path, site_url)` returns the data of the audited site (None when a batch file
has no entry for it) and raises OperatorDataError with a Russian message on any mistake.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

SURVEY_INDICATORS = ("1.3", "2.3", "3.3", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3")
CONDITION_INDICATORS = ("2.1", "3.1", "3.2")
_TOP_KEYS = ("organisation", "site", "assessed_by", "date", "stands", "survey", "waiting_time_2_2",
             "conditions", "controls")


class OperatorDataError(ValueError):
    """The operator's file is unreadable or inconsistent; the message is Russian and names the place."""


@dataclass
class SurveyValue:
    share: float                      # 0…1
    satisfied: float | None = None    # numerator (Уi), when given
    total: float | None = None        # denominator (Чобщ), when given
    parts: dict[str, "SurveyValue"] = field(default_factory=dict)   # 1.3: {"stand": …, "site": …}


@dataclass
class HumanCheck:
    works: bool
    date: str = ""
    by: str = ""
    note: str = ""


@dataclass
class OperatorData:
    source: str
    organisation: str = ""
    site: str = ""
    assessed_by: str = ""
    date: str = ""
    stand_found: int | None = None    # Истенд
    stand_norm: int | None = None     # Инорм_стенд
    survey: dict[str, SurveyValue] = field(default_factory=dict)
    waiting_2_2: float | None = None
    conditions: dict[str, list[str]] = field(default_factory=dict)   # only the indicators the operator assessed
    controls: dict[str, HumanCheck] = field(default_factory=dict)


def site_key(url_or_host: str) -> str:
    """kcson.example.ru for https://www.KCSON.example.ru/path; punycode decoded (xn--… → кириллица)."""
    text = str(url_or_host).strip()
    host = urlsplit(text if "//" in text else "//" + text).hostname or ""
    host = host.lower().rstrip(".")
    try:
        host = ".".join(p.encode("ascii").decode("idna") if p.startswith("xn--") else p for p in host.split("."))
    except UnicodeError:
        pass
    return host[4:] if host.startswith("www.") else host


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    return str(v).strip()


def _number(v, where: str, *, low: float = 0, high: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise OperatorDataError(f"{where}: нужно число, а указано {v!r}")
    if v < low or (high is not None and v > high):
        limit = f"от {low} до {high}" if high is not None else f"не меньше {low}"
        raise OperatorDataError(f"{where}: значение {v} вне допустимых пределов ({limit})")
    return float(v)


def _count(v, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise OperatorDataError(f"{where}: нужно целое неотрицательное число, а указано {v!r}")
    return v


def _survey_value(raw, where: str) -> SurveyValue:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return SurveyValue(share=_number(raw, where + " (доля)", high=1))
    if not isinstance(raw, dict):
        raise OperatorDataError(f"{where}: укажите {{satisfied: N, total: M}}, {{share: 0…1}} или {{percent: 0…100}}")
    keys = set(raw)
    if keys == {"satisfied", "total"}:
        sat = _number(raw["satisfied"], where + ".satisfied")
        tot = _number(raw["total"], where + ".total")
        if tot <= 0:
            raise OperatorDataError(f"{where}: число опрошенных total должно быть больше нуля")
        if sat > tot:
            raise OperatorDataError(f"{where}: удовлетворённых ({sat:g}) больше, чем опрошенных ({tot:g})")
        return SurveyValue(share=sat / tot, satisfied=sat, total=tot)
    if keys == {"share"}:
        return SurveyValue(share=_number(raw["share"], where + ".share", high=1))
    if keys == {"percent"}:
        return SurveyValue(share=_number(raw["percent"], where + ".percent", high=100) / 100)
    raise OperatorDataError(f"{where}: непонятные поля {sorted(keys)}; укажите satisfied и total, "
                            "или share (доля 0…1), или percent (0…100)")


def _survey(raw, where: str) -> dict[str, SurveyValue]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise OperatorDataError(f"{where}: survey должен быть словарём «показатель: результат опроса»")
    out = {}
    for key, value in raw.items():
        k = _text(key)
        if k not in SURVEY_INDICATORS:
            raise OperatorDataError(f"{where}: survey: неизвестный показатель «{k}» "
                                    f"(допустимы: {', '.join(SURVEY_INDICATORS)})")
        w = f"{where}: survey «{k}»"
        if k == "1.3" and isinstance(value, dict) and set(value) & {"stand", "site"}:
            if set(value) != {"stand", "site"}:
                raise OperatorDataError(f"{w}: для раздельного расчёта укажите и stand, и site")
            parts = {p: _survey_value(value[p], f"{w}.{p}") for p in ("stand", "site")}
            out[k] = SurveyValue(share=0.5 * (parts["stand"].share + parts["site"].share), parts=parts)
        else:
            out[k] = _survey_value(value, w)
    return out


def _conditions(raw, where: str) -> dict[str, list[str]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise OperatorDataError(f"{where}: conditions должен быть словарём «показатель: [условия]»")
    out = {}
    for key, value in raw.items():
        k = _text(key)
        if k not in CONDITION_INDICATORS:
            raise OperatorDataError(f"{where}: conditions: неизвестный показатель «{k}» "
                                    f"(допустимы: {', '.join(CONDITION_INDICATORS)})")
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(c, str) and c.strip() for c in value):
            raise OperatorDataError(f"{where}: conditions «{k}»: нужен список условий (строк); пустой список — "
                                    "условий нет")
        names = [c.strip() for c in value]
        if len(set(names)) != len(names):
            raise OperatorDataError(f"{where}: conditions «{k}»: условие указано дважды")
        out[k] = names
    return out


def _controls(raw, where: str) -> dict[str, HumanCheck]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise OperatorDataError(f"{where}: controls должен быть словарём «id пункта: результат»")
    out = {}
    for key, value in raw.items():
        w = f"{where}: controls «{key}»"
        if not isinstance(value, dict) or not isinstance(value.get("works"), bool):
            raise OperatorDataError(f"{w}: укажите works: true или false (и date, by — дату и проверявшего)")
        unknown = set(value) - {"works", "date", "by", "note"}
        if unknown:
            raise OperatorDataError(f"{w}: неизвестное поле «{sorted(unknown)[0]}» (допустимы: works, date, by, note)")
        out[str(key)] = HumanCheck(works=value["works"], date=_text(value.get("date")), by=_text(value.get("by")),
                                   note=_text(value.get("note")))
    return out


def parse_operator_data(raw: dict, where: str) -> OperatorData:
    if not isinstance(raw, dict):
        raise OperatorDataError(f"{where}: ожидается словарь с полями {', '.join(_TOP_KEYS)}")
    unknown = [k for k in raw if k not in _TOP_KEYS]
    if unknown:
        raise OperatorDataError(f"{where}: неизвестное поле «{unknown[0]}» (допустимы: {', '.join(_TOP_KEYS)})")
    data = OperatorData(source=where, organisation=_text(raw.get("organisation")), site=_text(raw.get("site")),
                        assessed_by=_text(raw.get("assessed_by")), date=_text(raw.get("date")))
    stands = raw.get("stands")
    if stands is not None:
        if not isinstance(stands, dict) or set(stands) - {"found", "norm"} or "found" not in stands:
            raise OperatorDataError(f"{where}: stands: укажите found (Истенд) и norm (Инорм_стенд)")
        data.stand_found = _count(stands["found"], f"{where}: stands.found")
        if stands.get("norm") is not None:
            data.stand_norm = _count(stands["norm"], f"{where}: stands.norm")
            if data.stand_norm == 0:
                raise OperatorDataError(f"{where}: stands.norm (Инорм_стенд) должно быть больше нуля")
            if data.stand_found > data.stand_norm:
                raise OperatorDataError(f"{where}: stands: найдено на стендах ({data.stand_found}) больше, "
                                        f"чем требуется ({data.stand_norm})")
    data.survey = _survey(raw.get("survey"), where)
    waiting = raw.get("waiting_time_2_2")
    if waiting is not None:
        if not isinstance(waiting, dict) or set(waiting) != {"points"}:
            raise OperatorDataError(f"{where}: waiting_time_2_2: укажите {{points: 0…100}}")
        data.waiting_2_2 = _number(waiting["points"], f"{where}: waiting_time_2_2.points", high=100)
    data.conditions = _conditions(raw.get("conditions"), where)
    data.controls = _controls(raw.get("controls"), where)
    return data


def _read(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OperatorDataError(f"файл данных оператора не найден: {path}") from None
    except UnicodeDecodeError:
        raise OperatorDataError(f"{path}: файл должен быть в кодировке UTF-8") from None
    except OSError as e:
        raise OperatorDataError(f"{path}: не удалось прочитать файл: {e.strerror or e}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (строка {mark.line + 1}, столбец {mark.column + 1})" if mark is not None else ""
        raise OperatorDataError(f"{path}: ошибка в разметке YAML{at}: {getattr(e, 'problem', None) or e}") from None


def load_operator_data(path: str | Path, site_url: str) -> OperatorData | None:
    """The operator's data for the audited site; None when a batch file has no entry for it."""
    path = Path(path)
    raw = _read(path)
    wanted = site_key(site_url)
    if isinstance(raw, dict) and "organisations" in raw:
        if set(raw) != {"organisations"} or not isinstance(raw["organisations"], dict):
            raise OperatorDataError(f"{path}: в пакетном файле допускается только поле organisations — "
                                    "словарь «адрес сайта: данные организации»")
        matches = [key for key in raw["organisations"] if site_key(str(key)) == wanted]
        if len(matches) > 1:
            raise OperatorDataError(f"{path}: для сайта {wanted} несколько записей: {', '.join(map(str, matches))}")
        if not matches:
            return None
        data = parse_operator_data(raw["organisations"][matches[0]], f"{path} [{matches[0]}]")
        data.site = data.site or str(matches[0])
        return data
    data = parse_operator_data(raw, str(path))
    if data.site and site_key(data.site) != wanted:
        raise OperatorDataError(f"{path}: данные оператора относятся к сайту {site_key(data.site)}, "
                                f"а проверяется {wanted}")
    return data
