"""Start URLs typed by a person (command line, registry rows): accepted when well-formed, otherwise a Russian
message and exit 2 / a skipped row — never a guess, never a traceback. Property-based (Hypothesis) tests for
the URL parser and the registry reader: no input raises anything but their documented errors."""
from __future__ import annotations

import string
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FAST, run_cli
from checklists.urls import host_key
from crawler.registry import RegistryError, load_registry
from crawler.scope import InvalidURL, parse_start_url

GOOD = [
    ("kcson.example.ru", ("https://kcson.example.ru/", True)),
    ("www.kcson.ru/path", ("https://www.kcson.ru/path", True)),
    ("kcson.ru:8080/o-nas/", ("https://kcson.ru:8080/o-nas/", True)),
    ("http://127.0.0.5:8080", ("http://127.0.0.5:8080/", False)),
    ("HTTPS://Kcson.RU/Путь?q=1", ("https://kcson.ru/%D0%9F%D1%83%D1%82%D1%8C?q=1", False)),
    ("https://кцсон.рф/", ("https://xn--j1agcly.xn--p1ai/", False)),
    ("КЦСОН.РФ", ("https://xn--j1agcly.xn--p1ai/", True)),
    ("http://localhost:8000/", ("http://localhost:8000/", False)),
    ("http://[::1]:8080/x", ("http://[::1]:8080/x", False)),
    ("  https://kcson.ru/  ", ("https://kcson.ru/", False)),
]
BAD = [
    ("", "не указан адрес сайта"),
    ("htp:/bad", "схема «htp:» не поддерживается"),
    ("ftp://kcson.ru", "только http:// и https://"),
    ("mailto:info@kcson.ru", "схема «mailto:»"),
    ("http:/kcson.ru", "должно идти «//»"),
    ("http://[127.0.0.1/", "нарушена запись имени сайта"),
    ("http://kcson.ru:70000/", "порт указан неверно"),
    ("kcson.ru:abc", "порт указан неверно"),
    ("http://", "не удалось выделить имя сайта"),
    ("http://kcson/", "нет точки"),
    ("htp", "нет точки"),
    ("http://a b.ru/", "пробел"),
    ("https://kcson.ru/о нас", "пробел"),
    ("kcson.ru\t", None),                      # outer whitespace is trimmed: accepted
    ("kc\u200bson.ru", "невидимый"),
    ("kcson.ru/\x07", "управляющий"),
    ("http://user:secret@kcson.ru/", "имя пользователя или пароль"),
    ("http://999.1.1.1/", "не IP-адрес"),
    ("http://kc$son.ru/", "недопустимые символы"),
    ("http://kcson.ru_/", "верхнего уровня"),
    ("http://-kcson.ru/", "недопустимые символы"),
    ("http://kcson..ru/", "пустая часть"),
    ("http://kcson.123/", "верхнего уровня"),
    ("http://xn--zz.ru/", "недопустимая часть"),
]


@pytest.mark.parametrize("raw,expected", GOOD)
def test_well_formed_start_urls_are_normalised(raw, expected):
    assert parse_start_url(raw) == expected


@pytest.mark.parametrize("raw,message", [b for b in BAD if b[1]])
def test_malformed_start_urls_are_refused_with_the_reason(raw, message):
    with pytest.raises(InvalidURL, match=message):
        parse_start_url(raw)


def test_trimmed_outer_whitespace_is_not_an_error():
    assert parse_start_url("kcson.ru\t") == ("https://kcson.ru/", True)


# -- properties of the parser --------------------------------------------------------------------------
_LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
_CYR_LABEL = st.text(alphabet="абвгдежзиклмнопрстуфхцчшщэюя", min_size=1, max_size=12)
_HOST = st.builds(lambda labels, tld: ".".join([*labels, tld]),
                  st.lists(st.one_of(_LABEL, _CYR_LABEL), min_size=1, max_size=3),
                  st.sampled_from(["ru", "рф", "org", "su", "xn--p1ai"]))
_URLISH = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=string.printable + "[]@%:/?#абвгд\u200b\x00", max_size=60),
    st.builds(lambda scheme, rest: scheme + rest,
              st.sampled_from(["http://", "https://", "htp:/", "http:", "HTTP://", "//", "", "ftp://"]),
              st.text(alphabet=string.ascii_letters + string.digits + ".-_:[]@/?#% абв", max_size=40)),
)


@settings(max_examples=600, deadline=None)
@given(_URLISH)
def test_the_parser_raises_nothing_but_invalid_url_and_its_urls_are_stable(raw):
    try:
        url, fallback = parse_start_url(raw)
    except InvalidURL as exc:
        assert str(exc) and "Traceback" not in str(exc)
        return
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.hostname and url.isascii()
    assert not any(ch.isspace() or ord(ch) < 32 for ch in url)
    assert host_key(url)
    host = parts.hostname
    assert "." in host or host == "localhost" or ":" in host
    assert parse_start_url(url) == (url, False), "a normalised URL parses to itself"


@settings(max_examples=300, deadline=None)
@given(_HOST, st.sampled_from(["", "/", "/o-nas/", "/sveden?x=1"]))
def test_every_real_host_name_is_accepted_bare_or_with_a_scheme(host, path):
    bare, fallback = parse_start_url(host + path)
    assert fallback and bare.startswith("https://")
    assert parse_start_url("http://" + host + path) == ("http://" + bare[len("https://"):], False)


# -- the registry reader -------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600), st.sampled_from([".csv", ".xlsx"]))
def test_the_registry_reader_raises_nothing_but_registry_error_on_any_bytes(data, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"registry{suffix}"
        path.write_bytes(data)
        try:
            orgs, problems = load_registry(path)
        except RegistryError as exc:
            assert str(exc)
            return
    for org in orgs:
        assert parse_start_url(org.url) == (org.url, False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_URLISH, _HOST), min_size=1, max_size=6))
def test_every_registry_row_is_either_an_organisation_or_a_skipped_row_with_its_number(urls):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.csv"
        rows = ["Наименование;Сайт"] + [f"Организация {i};{u.replace(';', '').replace(chr(34), '')}"
                                        for i, u in enumerate(urls)]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        try:
            orgs, problems = load_registry(path)
        except RegistryError:
            return          # e.g. every row lost to a line break typed into a cell
    numbered = {o.row for o in orgs} | {int(p.split()[1]) for p in problems}
    assert len(orgs) + len(problems) == len(numbered), "one outcome per row"
    assert all(p.startswith("строка ") and "пропущен" in p for p in problems)


_CELL = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), _URLISH, _HOST,
                  st.sampled_from(["Сайт", "url", "Наименование", "социальная", "образование"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=1, max_size=5))
def test_any_xlsx_sheet_gives_organisations_skipped_rows_or_a_registry_error(rows):
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = openpyxl.Workbook()
    for row in [["Наименование", "Сайт"], *rows]:
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.xlsx"
        book.save(path)
        try:
            orgs, problems = load_registry(path)
        except RegistryError:
            return
    assert all(parse_start_url(o.url) == (o.url, False) for o in orgs)
    assert all(p.startswith("строка ") for p in problems)


def test_bad_urls_in_a_registry_are_skipped_with_row_number_and_reason(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text("Наименование;Сайт\n"
                    "Опечатка в схеме;htp:/bad\n"
                    "Скобка;http://[127.0.0.1/\n"
                    "Без точки;http://kcson/\n"
                    "Пробел;kcson .ru\n"
                    "Хороший;www.kcson.ru/path\n", encoding="utf-8")
    orgs, problems = load_registry(path)
    assert [(o.row, o.url) for o in orgs] == [(6, "https://www.kcson.ru/path")]
    assert len(problems) == 4
    for number, reason in ((2, "схема «htp:»"), (3, "нарушена запись имени сайта"), (4, "нет точки"), (5, "пробел")):
        line = next(p for p in problems if p.startswith(f"строка {number} "))
        assert reason in line and line.endswith("строка пропущена"), line


# -- the command line ----------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,message", [("htp:/bad", "схема «htp:» не поддерживается"),
                                         ("http://[127.0.0.1/", "нарушена запись имени сайта"),
                                         ("http://kcson/", "нет точки"),
                                         ("kcson .ru", "пробел")])
def test_check_refuses_a_malformed_url_with_exit_2_and_fetches_nothing(raw, message, tmp_path):
    run = run_cli(["check", raw, "--out", str(tmp_path / "out"), *FAST], timeout=60)
    assert run.code == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr + run.stdout
    assert not (tmp_path / "out").exists(), "nothing was started"


def test_run_check_registry_names_the_skipped_rows(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_text("Наименование;Сайт\nОпечатка;htp:/bad\nСкобка;http://[127.0.0.1/\n", encoding="utf-8")
    run = run_cli(["run", str(path), "--check-registry", "--out", str(tmp_path / "runs")], timeout=60)
    assert run.code == 2 and "Traceback" not in run.stderr + run.stdout
    assert "строка 2 (Опечатка)" in run.stderr and "строка 3 (Скобка)" in run.stderr
