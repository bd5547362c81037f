"""Official scores of Приказ Минтруда России № 344н: hand-computed examples, methodology and operator data."""
from __future__ import annotations

import textwrap

import pytest

from checklists import methodology, scoring
from checklists.assess import fix_first, score
from checklists.methodology import MethodologyError, load_methodology
from checklists.model.assessment import AssessedItem
from checklists.model.checklist import Item
from checklists.model.control import ControlResult
from checklists.model.results import Finding
from checklists.operator_data import OperatorDataError, load_operator_data, site_key
from checklists.scoring import (criterion_1, criterion_3, indicator_1_1, indicator_1_2, indicator_3_2,
                                indicator_by_conditions, total)

SITE = "https://kcson.example.ru/"


def write(path, text: str):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ---------------------------------------------------------------- indicators

def test_1_1_with_stand_data_plugs_the_numbers_into_the_formula():
    s = indicator_1_1(21, 24, 18, 20)
    assert s.value == 88.75                       # 0,5 × (0,9 + 0,875) × 100
    assert s.formula_text == "Пинф = 0,5 × (18/20 + 21/24) × 100 = 88,75"
    assert s.missing == [] and s.confidence == "P"


def test_1_1_without_stand_data_is_not_a_silent_zero_or_hundred():
    s = indicator_1_1(21, 24)
    assert s.value is None
    assert s.inputs["site_share"] == 0.875 and s.inputs["site_points"] == 43.75
    assert "стендовая часть не оценивалась" in s.notes
    assert s.missing == ["нужны данные оператора: сведения об информационных стендах (Истенд, Инорм_стенд)"]
    assert "не рассчитан" in s.formula_text and "21/24" in s.formula_text


def test_1_1_counts_unknown_items_as_not_found_and_says_so():
    s = indicator_1_1(3, 5, 10, 10, site_unknown=1)
    assert s.value == 80                           # 0,5 × (1 + 0,6) × 100
    assert any("не удалось проверить пунктов на сайте: 1" in n for n in s.notes)


@pytest.mark.parametrize("working, value, text", [
    (0, 0, "Пдист = 30 × 0 = 0"), (1, 30, "Пдист = 30 × 1 = 30"), (3, 90, "Пдист = 30 × 3 = 90"),
    (4, 100, "Пдист = 30 × 4 = 120, учитывается 100"), (5, 100, "Пдист = 30 × 5 = 150, учитывается 100"),
])
def test_1_2_thirty_per_working_channel_capped_at_100(working, value, text):
    s = indicator_1_2(working)
    assert (s.value, s.formula_text) == (value, text)


def test_1_2_not_computed_without_the_works_check():
    s = indicator_1_2(None)
    assert s.value is None and s.missing


def test_3_2_six_conditions_give_100_and_a_condition_counts_once():
    six = ["duplication_sound_visual", "braille", "sign_language", "staff_assistance", "remote_or_home"]
    s = indicator_3_2(six + ["alt_version"], site_conditions=["alt_version"])
    assert s.value == 100 and s.formula_text == "Пуслугдост = 20 × 6 = 120, учитывается 100"
    assert indicator_3_2(["sign_language"], site_conditions=["alt_version"]).value == 40


def test_3_2_without_operator_data_shows_the_site_part_only():
    s = indicator_3_2(None, site_conditions=["alt_version"])
    assert s.value is None and s.inputs["site_points"] == 20
    assert s.missing == ["нужны данные оператора: условия доступности в помещениях (показатель 3.2)"]


def test_conditions_indicator_2_1_caps_at_100():
    assert indicator_by_conditions("2.1", ["a", "b", "c", "d", "e", "f"]).value == 100
    assert indicator_by_conditions("3.1", ["пандусы", "стоянка"]).value == 40
    assert indicator_by_conditions("3.1", None).value is None


def test_criterion_1_with_all_inputs():
    k1 = criterion_1(indicator_1_1(20, 25, 18, 20), indicator_1_2(3),
                     scoring.indicator_survey("1.3", _survey(0.85)))
    assert k1.value == 86.5                        # 0,3 × 85 + 0,3 × 90 + 0,4 × 85
    assert k1.formula_text == "К1 = 0,3 × 85 + 0,3 × 90 + 0,4 × 85 = 86,5"


def test_criterion_3_and_total_are_none_with_missing_operator_data():
    k3 = criterion_3(indicator_by_conditions("3.1", None), indicator_3_2(None, site_conditions=["alt_version"]),
                     scoring.indicator_survey("3.3", None))
    assert k3.value is None
    assert k3.missing[0].startswith("нужны данные оператора: перечень оборудования")
    s = total([k3] * 5)
    assert s.value is None and s.missing == k3.missing


def _survey(share):
    from checklists.operator_data import SurveyValue
    return SurveyValue(share=share)


# ---------------------------------------------------------------- a whole organisation

def _item(id: str, name: str, indicator: str, status: str, fix: str, counts_in_norm: bool = False,
          **works) -> AssessedItem:
    """An assessed item; `works=` gives it a control verdict (True / False / None)."""
    item = Item(id=id, name=name, indicator=indicator, legal_basis="", fix=fix, detect={}, counts_in_norm=counts_in_norm)
    control = ControlResult(id, works["works"], "") if "works" in works else None
    return AssessedItem(item, Finding(id, status), control, works_checked="works" in works)


def _items(**status):
    """Assessed items: 25 items of 1.1 (20 present), 5 channels, the alternative version."""
    items = [_item(f"i{n}", f"материал {n}", "1.1", "present" if n < 20 else "absent", f"Разместите материал {n}.",
                   counts_in_norm=True) for n in range(25)]
    for n, cid in enumerate(("ch_phone", "ch_email", "ch_e_service", "ch_faq", "ch_opinion")):
        items.append(_item(cid, cid, "1.2", "present" if n < 4 else "absent", f"Почините {cid}.",
                           works=True if n < 3 else (False if n == 3 else None)))
    items.append(_item("acc_alt_version", "версия для слабовидящих", "3.2", status.get("alt", "present"),
                       "Сделайте версию для слабовидящих.", works=status.get("alt_works", True)))
    return items


OPERATOR = """\
    organisation: ГБУ «КЦСОН»
    site: https://www.kcson.example.ru
    assessed_by: ООО «Оператор»
    date: 2026-10-15
    stands: {found: 18, norm: 20}
    survey:
      "1.3": {stand: {satisfied: 90, total: 100}, site: {satisfied: 80, total: 100}}
      "2.3": {satisfied: 95, total: 100}
      "3.3": {share: 0.9}
      "4.1": {percent: 97}
      "4.2": 0.96
      "4.3": {satisfied: 40, total: 40}
      "5.1": 0.9
      "5.2": 0.8
      "5.3": 1
    conditions:
      "2.1": [зона отдыха, навигация, питьевая вода, санитарные помещения, транспортная доступность]
      "3.1": [пандусы, стоянка]
      "3.2": [sign_language, staff_assistance]
    controls:
      ch_faq: {works: true, date: 2026-10-10, by: Иванова А. А.}
"""


def test_hand_example_of_a_whole_organisation(tmp_path):
    op = load_operator_data(write(tmp_path / "op.yaml", OPERATOR), SITE)
    scored = score(_items(), load_methodology(), op, controls_run=True)
    ind = {s.key: s.value for s in scored.indicators}
    # 1.1: 0,5 × (18/20 + 20/25) × 100 = 85; 1.2: phone, e-mail, e-service work, FAQ works by the operator's
    # check (overrides works=false) → 4 × 30 = 120 → 100; 1.3: 0,5 × (0,9 + 0,8) × 100 = 85.
    assert (ind["1.1"], ind["1.2"], ind["1.3"]) == (85, 100, 85)
    assert ind["3.2"] == 60                        # alt_version (site) + sign_language + staff_assistance
    crit = {c.key: c.value for c in scored.criteria}
    # К1 = 0,3 × 85 + 0,3 × 100 + 0,4 × 85; К2 = 0,5 × 100 + 0,5 × 95; К3 = 0,3 × 40 + 0,4 × 60 + 0,3 × 90;
    # К4 = 0,4 × 97 + 0,4 × 96 + 0,2 × 100; К5 = 0,3 × 90 + 0,2 × 80 + 0,5 × 100.
    assert crit == {"К1": 89.5, "К2": 97.5, "К3": 63.0, "К4": 97.2, "К5": 93.0}
    # (89,5 + 97,5 + 63 + 97,2 + 93) / 5 = 88,04
    assert scored.total.value == 88.04
    assert scored.total.formula_text == "S = (89,5 + 97,5 + 63 + 97,2 + 93) / 5 = 88,04"
    assert scored.band is None                  # no bands by default
    assert "2.2" not in ind                        # К2 = 0,5 × 2.1 + 0,5 × 2.3 by default
    assert any("данные оператора (2026-10-10, Иванова А. А.)" in n for n in scored.indicators[1].notes)


def test_total_is_none_without_operator_data():
    scored = score(_items(), load_methodology(), None, controls_run=True)
    assert scored.total.value is None
    assert scored.total.missing[0].startswith("нужны данные оператора: сведения об информационных стендах")
    ind = {s.key: s for s in scored.indicators}
    assert ind["1.2"].value == 90 and ind["1.1"].value is None


def test_fix_first_gains_and_order():
    m = load_methodology()
    items = _items(alt="absent", alt_works=None)
    fixes = fix_first(score(items, m, None, controls_run=True), m)
    # ch_faq does not work and ch_opinion is absent: 3 working → +10 then +0 (cap): the zero-gain fix comes last;
    # acc_alt_version: +20 of 3.2 = +8 К3; each 1.1 material: 0,5 × 100 / 25 = +2 Пинф = +0,6 К1.
    assert [f.item_id for f in fixes[:2]] == ["acc_alt_version", "ch_faq"]
    assert fixes[0].gain_indicator == 20 and fixes[0].gain_criterion == 8 and fixes[0].gain_total == 1.6
    assert fixes[1].gain_indicator == 10 and fixes[1].problem.startswith("не работает")
    assert fixes[-1].item_id == "ch_opinion" and fixes[-1].gain_indicator == 0
    assert "не прибавит" in fixes[-1].gain_text
    rest = fixes[2:-1]
    assert [f.item_id for f in rest] == [f"i{n}" for n in range(20, 25)]
    assert all(f.gain_indicator == 2 and f.gain_criterion == 0.6 for f in rest)
    assert rest[0].gain_text == "+2 балла показателя 1.1 (Пинф); +0,6 балла К1 (вес 0,3); +0,12 балла итоговой оценки"


# ---------------------------------------------------------------- methodology files

def test_overridden_weights_and_bands_via_a_methodology_file(tmp_path, ):
    path = write(tmp_path / "m.yaml", """\
        extends: default
        id: perm
        criteria:
          K1: {weights: {"1.1": 0.5, "1.2": 0.5, "1.3": 0}}
        indicators:
          "1.2": {points_per_channel: 25}
        bands:
          - {min: 90, label: отлично}
          - {min: 80, label: хорошо}
          - {min: 0, label: удовлетворительно}
    """)
    m = load_methodology(path)
    assert m.id == "perm" and m.weights("К1") == {"1.1": 0.5, "1.2": 0.5, "1.3": 0}
    assert m.weights("К3") == {"3.1": 0.3, "3.2": 0.4, "3.3": 0.3}        # inherited
    assert m.source == f"checklists/methodology.yaml + {path}"
    assert scoring.band(88.34, m.bands) == "хорошо" and scoring.band(95, m.bands) == "отлично"
    assert scoring.band(10, m.bands) == "удовлетворительно" and scoring.band(None, m.bands) is None
    items = _items()
    scored = score(items, m, None, controls_run=True)
    assert {s.key: s.value for s in scored.indicators}["1.2"] == 75      # 25 × 3


def test_waiting_time_switch_uses_the_three_weights(tmp_path):
    m = load_methodology(write(tmp_path / "m.yaml", "extends: default\nuse_waiting_time_2_2: true\n"))
    assert m.weights("К2") == {"2.1": 0.3, "2.2": 0.4, "2.3": 0.3}
    assert m.confidence("2.2") == "U"
    scored = score(_items(), m, None, controls_run=True)
    assert "2.2" in [s.key for s in scored.indicators]


@pytest.mark.parametrize("text, message", [
    ("extends: default\ncriteria: {К1: {weights: {'1.1': 0.5, '1.2': 0.3, '1.3': 0.4}}}\n", "сумма весов"),
    ("extends: default\ncriteria: {К1: {weights: {'2.1': 1}}}\n", "не относится к этому критерию"),
    ("extends: default\nbands: [{min: 90}]\n", "bands"),
    ("extends: default\nscale: 160\n", "неизвестное поле «scale»"),
    ("extends: default\nindicators: {'1.2': {cap: -1}}\n", "cap"),
    ("extends: nowhere.yaml\n", "файл методики не найден"),
])
def test_methodology_errors_are_russian(tmp_path, text, message):
    with pytest.raises(MethodologyError, match=message):
        load_methodology(write(tmp_path / "m.yaml", text))


def test_default_methodology_marks_every_unconfirmed_fact():
    text = methodology.DEFAULT_METHODOLOGY.read_text(encoding="utf-8")
    assert text.count("confidence") >= 15
    for fact in ("use_waiting_time_2_2", "bands: []", "stand_norm: null", "cap: 100"):
        line = next(line for line in text.splitlines() if line.lstrip().startswith(fact))
        assert "confidence" in line or "U" in line, line
    assert load_methodology().bands == []


# ---------------------------------------------------------------- operator data

def test_batch_file_is_matched_by_host(tmp_path):
    path = write(tmp_path / "batch.yaml", """\
        organisations:
          kcson.example.ru:
            stands: {found: 5, norm: 10}
          "https://другой-цсо.рф/":
            stands: {found: 1, norm: 2}
    """)
    assert load_operator_data(path, "https://www.kcson.example.ru/about").stand_found == 5
    other = "https://" + "другой-цсо.рф".encode("idna").decode("ascii") + "/"
    assert load_operator_data(path, other).stand_norm == 2
    assert load_operator_data(path, "https://third.example/") is None
    assert site_key("HTTPS://WWW.Example.RU/a") == "example.ru"


@pytest.mark.parametrize("text, message", [
    ("site: https://other.example/\n", "относятся к сайту other.example"),
    ("stands: {found: 21, norm: 20}\n", "больше, чем требуется"),
    ("survey: {'1.4': 0.5}\n", "неизвестный показатель «1.4»"),
    ("survey: {'2.3': {satisfied: 10, total: 5}}\n", "больше, чем опрошенных"),
    ("survey: {'2.3': 95}\n", "вне допустимых пределов"),
    ("controls: {ch_phone: {works: да}}\n", "works: true или false"),
    ("conditions: {'3.2': [braille, braille]}\n", "дважды"),
    ("colour: red\n", "неизвестное поле «colour»"),
])
def test_operator_data_errors_are_russian(tmp_path, text, message):
    with pytest.raises(OperatorDataError, match=message):
        load_operator_data(write(tmp_path / "op.yaml", text), SITE)


def test_unknown_3_2_condition_is_not_counted_and_is_named(tmp_path):
    op = load_operator_data(write(tmp_path / "op.yaml", "conditions: {'3.2': [braille, лифт]}\n"), SITE)
    scored = score(_items(), load_methodology(), op, controls_run=True)
    s = {x.key: x for x in scored.indicators}["3.2"]
    assert s.value == 40 and any("лифт" in n for n in s.notes)
