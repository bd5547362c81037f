"""Education sites: the /sveden/ section audited as a user runs it, per-item status and markup verdicts."""
from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from conftest import FAST, SITES, open_in_chromium, run_cli
from sitesrv import start_all

SITES_EDU = Path(__file__).parent / "sites_edu"
EDU_SITES = sorted(p.name for p in SITES_EDU.iterdir() if (p / "_expected.json").is_file())
SCHEMA = json.loads((Path(__file__).parent.parent / "reports" / "report.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def edu_sites():
    servers = start_all(SITES_EDU, first_octet_start=230)
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def edu_audit(edu_sites, tmp_path_factory):
    cache = {}

    def run(name: str):
        if name not in cache:
            out = tmp_path_factory.mktemp(name)
            cache[name] = run_cli(["check", edu_sites[name].base_url + "/", "--sector", "education", "--out", str(out),
                                   *FAST], out)
        return cache[name]
    return run


@pytest.mark.parametrize("name", EDU_SITES)
def test_every_item_status_and_markup(edu_audit, name):
    run = edu_audit(name)
    assert run.code == 0, run.stderr
    report = run.report
    jsonschema.validate(report, SCHEMA)
    assert report["checklist"]["id"] == "education"
    expected = json.loads((SITES_EDU / name / "_expected.json").read_text(encoding="utf-8"))["items"]
    got = {it["id"]: it for it in report["items"]}
    assert set(got) == set(expected)
    for iid, exp in expected.items():
        it = got[iid]
        assert it["status"] == exp["status"], (iid, it["reason"])
        if "markup" in exp:
            assert it["markup"]["level"] == exp["markup"], (iid, it["markup"])
            if exp["markup"] == "complete":
                assert it["markup"]["missing"] == [] and it["markup"]["evidence"].startswith("http://127.")
        else:
            assert "markup" not in it
        if "missing" in exp:
            assert it["markup"]["missing"] == exp["missing"]


def test_published_without_markup_names_the_missing_itemprops(edu_audit):
    run = edu_audit("school_plain")
    common = run.item("sv_common")
    assert common["status"] == "present" and common["markup"]["level"] == "none"
    assert common["markup"]["missing"] == ["fullName", "shortName", "regDate", "address", "workTime", "telephone",
                                           "email", "uchredLaw"]
    assert common["markup"]["evidence"].endswith("/sveden/common/")
    assert '&lt;div itemprop=&#34;uchredLaw&#34;&gt;' in run.html and "нет разметки" in run.html
    assert 'itemprop=&#34;ustavDocLink&#34; href=' in run.html           # a document: a link to the file
    assert "uchredLaw" in (run.out / "report.md").read_text(encoding="utf-8")


def test_markup_defects_follow_the_point_items_in_fix_first_and_cost_no_points(edu_audit):
    """school_plain publishes what school_full does, without markup: same scores, same point fixes, then one
    markup fix (gain 0: the itemprops to add and the page) per published item."""
    plain, full = edu_audit("school_plain"), edu_audit("school_full")
    assert plain.report["scores"] == full.report["scores"]
    assert plain.report["summary"]["site_share_1_1"] == full.report["summary"]["site_share_1_1"]
    fixes = plain.report["fix_first"]
    points = [f for f in fixes if "markup" not in f]
    assert [f["item_id"] for f in points] == [f["item_id"] for f in full.report["fix_first"]]
    assert not any("markup" in f for f in full.report["fix_first"])
    markup = fixes[len(points):]
    assert all("markup" in f for f in markup)                     # every markup fix after every point fix
    expected = [i for i, e in _expected("school_plain").items() if e["status"] == "present" and "markup" in e]
    assert [f["item_id"] for f in markup] == expected
    assert all(f["gain_total"] == f["gain_indicator"] == 0 and "баллов НОК не прибавит" in f["gain_text"]
               for f in markup)
    common = next(f for f in markup if f["item_id"] == "sv_common")
    assert common["markup"]["missing"] == plain.item("sv_common")["markup"]["missing"]
    assert common["problem"].startswith("размещено, но без микроразметки (нет itemprop: fullName, shortName")
    assert common["markup"]["evidence"].endswith("/sveden/common/") and common["markup"]["evidence"] in common["fix"]
    html_fixes = plain.html.split('<section id="fix-first">')[1].split("</section>")[0]
    assert "&lt;div itemprop=&#34;uchredLaw&#34;&gt;" in html_fixes and "баллов НОК не прибавит" in html_fixes
    md = (plain.out / "report.md").read_text(encoding="utf-8")
    md_fixes = md.split("## Что исправить в первую очередь")[1].split("\n## ")[0]
    assert '`<div itemprop="uchredLaw">' in md_fixes and "/sveden/common/" in md_fixes


def test_partial_markup_names_only_the_missing_itemprops(edu_audit):
    """school_831: «Основные сведения» lacks only uchredLaw; accreditation is marked up in the old place."""
    fixes = {f["item_id"]: f for f in edu_audit("school_831").report["fix_first"] if "markup" in f}
    assert set(fixes) == {"sv_common", "sv_accreditation"}       # sv_catering is absent: a point fix instead
    assert fixes["sv_common"]["markup"] == {"level": "partial", "missing": ["uchredLaw"],
                                            "evidence": fixes["sv_common"]["markup"]["evidence"]}
    assert fixes["sv_common"]["problem"] == "размещено, но микроразметка неполная (нет itemprop: uchredLaw)"
    assert "с 01.03.2026 сведения должны быть в «Образование»" in fixes["sv_accreditation"]["problem"]


def test_education_report_order_table_then_channels_then_scores(edu_audit):
    """The issue's order: the subsection table first, then channels and the version for the visually impaired,
    then the fixes and scores, then the items in detail; the same order in report.md."""
    run = edu_audit("school_831")
    html = run.html
    at = [html.index(f'<section id="{s}">') for s in ("sveden", "ind-1-2", "ind-3-2", "fix-first", "scores", "ind-1-1")]
    assert at == sorted(at), at
    md = (run.out / "report.md").read_text(encoding="utf-8")
    at = [md.index(h) for h in ("## Раздел «Сведения об образовательной организации»",
                                "## Каналы обратной связи и версия для слабовидящих",
                                "## Что исправить в первую очередь", "## Не найдено на сайте")]
    assert at == sorted(at), at


def test_markup_fixes_fit_a_phone_screen(edu_audit):
    """The fix list of school_plain (long itemprop lists, page addresses, HTML examples) in Chromium at 360 px:
    the page does not scroll sideways."""
    async def width(page):
        await page.set_viewport_size({"width": 360, "height": 900})
        return await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth, "
                                   "document.querySelectorAll('#fix-first li code').length]")
    errors, dialogs, (scroll, inner, examples) = asyncio.run(
        open_in_chromium(edu_audit("school_plain").out / "report.html", width))
    assert not errors and not dialogs
    assert examples > 20 and scroll <= inner, (scroll, inner)


def _expected(name: str) -> dict:
    return json.loads((SITES_EDU / name / "_expected.json").read_text(encoding="utf-8"))["items"]


def test_hidden_section_says_why(edu_audit):
    section = edu_audit("school_hidden").item("sveden_section")
    assert section["status"] == "absent" and "на главной странице нет ссылки" in section["reason"]


def test_reserved_sector_is_refused_in_russian(tmp_path):
    run = run_cli(["check", "http://127.0.0.1:9/", "--sector", "culture", "--out", str(tmp_path), *FAST], tmp_path)
    assert run.code == 2
    assert "чек-лист для сектора «culture» (культура) не поддерживается" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("mode", [["--process-per-site"], ["--processes", "1"]], ids=["process-per-site", "workers"])
def test_mixed_sector_registry_run_uses_each_organisations_checklist(edu_sites, sites, tmp_path, mode):
    registry = tmp_path / "reg.csv"
    registry.write_text("Наименование;Сайт;Сфера\n"
                        f"КЦСОН;{sites['kcson_full'].base_url}/;социальная\n"
                        f"Школа № 7;{edu_sites['school_full'].base_url}/;образование\n"
                        f"Музей;http://127.0.0.1:9/;культура\n", encoding="utf-8")
    out = tmp_path / "out"
    run = run_cli(["run", str(registry), "--out", str(out), "--delay", "0", "--timeout", "5", "--no-browser",
                   "--allow-private", *mode], out, timeout=600)
    assert run.code == 0, run.stderr
    assert "строка 4 (Музей): чек-лист для сектора «culture» (культура) не поддерживается" in run.stderr
    reports = {json.loads(p.read_text(encoding="utf-8"))["site"]["start_url"]: json.loads(p.read_text(encoding="utf-8"))
               for p in out.glob("run-1/*/report.json")}
    by_checklist = {r["checklist"]["id"]: r for r in reports.values()}
    assert sorted(by_checklist) == ["education", "social"]
    assert by_checklist["education"]["site"]["start_url"].startswith(edu_sites["school_full"].base_url)
    assert {i["id"]: i["markup"]["level"] for i in by_checklist["education"]["items"] if "markup" in i}["sv_common"] \
        == "complete"
    assert "sv_common" not in {i["id"] for i in by_checklist["social"]["items"]}

    # The batch summary ranks each sector alone, with a sheet and a CSV file per sector.
    import openpyxl
    summary = out / "run-1" / "summary"
    book = openpyxl.load_workbook(summary / "summary.xlsx")
    assert book.sheetnames[:2] == ["Социальное обслуживание", "Образование"]
    edu = [[c.value for c in row] for row in book["Образование"].iter_rows()]
    assert len(edu) == 2 and edu[1][0] == "Школа № 7"
    markup_col = edu[0].index("Подраздел «Основные сведения» (sv_common) — микроразметка")
    assert edu[1][markup_col] == "полная"
    social = [[c.value for c in row] for row in book["Социальное обслуживание"].iter_rows()]
    assert len(social) == 2 and not any("sv_" in h or "микроразметка" in h for h in social[0])
    assert "микроразметка" in (summary / "summary-education.csv").read_text(encoding="utf-8-sig")
    assert "микроразметка" not in (summary / "summary-social.csv").read_text(encoding="utf-8-sig")
    html = (summary / "summary.html").read_text(encoding="utf-8")
    assert "место считается внутри своей сферы" in html and ">образование<" in html


def test_shared_items_are_defined_once_and_identical_in_both_checklists():
    from checklists.loading import load_checklist
    shared = "ch_phone ch_email ch_e_service ch_faq ch_opinion ch_other acc_alt_version pos_widget bus_gov_link".split()
    social, education = load_checklist("social"), load_checklist("education")
    for iid in shared:
        assert social.item(iid) == education.item(iid)
    text = {n: (Path(__file__).parent.parent / "checklists" / n).read_text(encoding="utf-8")
            for n in ("social.yaml", "education.yaml", "common.yaml")}
    for iid in shared:
        assert [n for n, t in text.items() if f"- id: {iid}\n" in t] == ["common.yaml"]


def test_bad_include_and_bad_sveden_settings_are_named_in_russian(tmp_path):
    from checklists.compile import ChecklistError
    from checklists.loading import load_checklist
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: education\nitems:\n  - include: [ch_telegraph]\n", encoding="utf-8")
    with pytest.raises(ChecklistError, match="include: пункта «ch_telegraph» нет в checklists/common.yaml"):
        load_checklist(bad)
    bad.write_text("extends: education\nsettings:\n  sveden:\n    accreditation_switch_date: весной\n",
                   encoding="utf-8")
    with pytest.raises(ChecklistError, match="accreditation_switch_date: нужна дата ГГГГ-ММ-ДД"):
        load_checklist(bad)


def test_accreditation_place_follows_the_configured_switch_date(edu_audit, tmp_path):
    """school_831 keeps accreditation in «Основные сведения»: right before the switch date, wrong after it."""
    run = edu_audit("school_831")
    acc = run.item("sv_accreditation")["markup"]
    assert acc["subsection"] == "education" and acc["missing"] == ["accreditationDocLink"]
    assert acc["note"] == ("разметка есть в подразделе «Основные сведения», но с 01.03.2026 сведения должны быть "
                           "в «Образование»")
    later = tmp_path / "later.yaml"
    later.write_text("extends: education\nsettings:\n  sveden:\n    accreditation_switch_date: \"2099-01-01\"\n",
                     encoding="utf-8")
    copy = tmp_path / "audit"
    shutil.copytree(run.out, copy)          # the session's audit stays as it was
    again = run_cli(["evaluate", str(copy), "--checklist", str(later)], copy)
    assert again.code == 0, again.stderr
    acc = again.item("sv_accreditation")
    assert acc["status"] == "present" and acc["markup"]["level"] == "complete"
    assert acc["markup"]["subsection"] == "common"


def test_unreachable_school_claims_neither_absence_nor_missing_markup(dead_site_url, tmp_path):
    run = run_cli(["check", dead_site_url, "--sector", "education", "--out", str(tmp_path), *FAST], tmp_path)
    assert run.code == 3, run.stderr
    items = run.report["items"]
    assert {it["status"] for it in items} == {"unknown"}
    assert not any("markup" in it for it in items)
