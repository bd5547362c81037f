"""«Изменения с прошлой проверки»: `--previous` of check / evaluate, the report's `changes`, report.html / .md,
and the section of the batch summary (regressions first)."""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import lxml.html
import pytest

from conftest import FAST, run_cli
from reports.diff import diff_reports
from reports.summary import build_summary, load_reports

TARIFFS = "О тарифах на социальные услуги"
EVIL = "Тарифы <script>alert(1)</script>"
# The same stored crawl, judged by a checklist under which the tariffs are no longer found.
STRICT = ("extends: social\nid: strict\nversion: '1'\nitems:\n  - id: tariffs\n    detect:\n"
          "      any:\n        - phrase: [тарифы на луну]\n")
EVIL_CHECKLIST = ("extends: social\nid: evil\nversion: '1'\nitems:\n  - id: tariffs\n"
                  f"    name: \"{EVIL}\"\n    detect:\n      any:\n        - phrase: [тарифы на луну]\n")


def _copy(run, folder: Path) -> Path:
    shutil.copytree(run.out, folder)
    return folder


@pytest.fixture(scope="module")
def pair(audit, tmp_path_factory):
    """(old folder, new folder, the evaluate run): new = the old crawl re-evaluated with the strict checklist
    and --previous old/report.json."""
    run = audit("kcson_full")
    assert run.code == 0, run.stderr
    base = tmp_path_factory.mktemp("changes")
    old, new = _copy(run, base / "old"), _copy(run, base / "new")
    strict = base / "strict.yaml"
    strict.write_text(STRICT, encoding="utf-8")
    result = run_cli(["evaluate", str(new), "--checklist", str(strict), "--previous", str(old / "report.json")], new)
    assert result.code == 0, result.stderr
    return old, new, result


def _doc(path: Path):
    return lxml.html.document_fromstring(path.read_text(encoding="utf-8"))


def _text(el) -> str:
    return " ".join(el.text_content().split())


def test_report_json_has_changes_with_the_regression(pair):
    old, new, result = pair
    previous = json.loads((old / "report.json").read_text(encoding="utf-8"))
    changes = result.report["changes"]
    assert changes["since"] == previous["generated_at"]
    assert changes["previous_tool"] == previous["tool"]
    assert changes["previous_checklist"] == {"id": "social", "version": previous["checklist"]["version"]}
    assert changes["improvements"] == []
    assert any(TARIFFS in line and "было размещено" in line for line in changes["regressions"])
    assert any(line.startswith("доля обязательной информации (1.1): 100 % → ") for line in changes["regressions"])
    assert previous.get("changes") is None          # made without --previous: null


def test_report_html_shows_the_section_after_the_summary(pair):
    old, new, _ = pair
    doc = _doc(new / "report.html")
    sections = [s.get("id") for s in doc.xpath("//main/section")]
    assert sections.index("changes") == sections.index("summary") + 1
    section = doc.get_element_by_id("changes")
    heading = _text(section.xpath(".//h2")[0])
    assert heading.startswith("Изменения с прошлой проверки (") and heading.endswith(")")
    assert "Ухудшения (2)" in _text(section)
    lines = [_text(li) for li in section.xpath(".//ul[@class='changes-regressions']/li")]
    assert any(TARIFFS in line and "было размещено" in line for line in lines)
    assert not section.xpath(".//ul[@class='changes-improvements']")
    assert "Изменений нет" not in _text(section)
    assert "сравниваются только пункты, которые есть в обоих перечнях" in _text(section)
    assert doc.xpath("//nav[@class='toc']/a[@href='#changes']")
    # The previous report (no --previous) has no such section.
    assert not _doc(old / "report.html").xpath("//*[@id='changes']")


def test_report_md_lists_the_regression(pair):
    _, new, _ = pair
    md = (new / "report.md").read_text(encoding="utf-8")
    assert "## Изменения с прошлой проверки (" in md
    assert "### Ухудшения (2)" in md and "### Улучшения" not in md
    line = next(line for line in md.splitlines() if TARIFFS in line and "было размещено" in line)
    assert line.startswith("- − ")
    assert md.index("## Изменения с прошлой проверки") < md.index("## Не найдено на сайте")


def test_same_report_again_means_no_changes(pair, tmp_path):
    old, _, _ = pair
    folder = shutil.copytree(old, tmp_path / "again")
    # Its own report.json as --previous: read before it is rewritten.
    result = run_cli(["evaluate", str(folder), "--previous", str(folder / "report.json")], folder)
    assert result.code == 0, result.stderr
    assert result.report["changes"]["regressions"] == [] and result.report["changes"]["improvements"] == []
    section = _doc(folder / "report.html").get_element_by_id("changes")
    assert "Изменений нет" in _text(section)
    assert "Изменений нет." in (folder / "report.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("content", [None, "{не json", "[]", '{"site": {}}'])
def test_bad_previous_is_bad_input(pair, tmp_path, content):
    old, _, _ = pair
    folder = shutil.copytree(old, tmp_path / "target")
    before = (folder / "report.json").read_bytes()
    previous = tmp_path / "previous.json"
    if content is not None:
        previous.write_text(content, encoding="utf-8")
    result = run_cli(["evaluate", str(folder), "--previous", str(previous)], folder)
    assert result.code == 2
    assert "Ошибка: --previous: файл" in result.stderr
    assert ("не найден" if content is None else "не JSON" if content.startswith("{не") else "не похож на отчёт") \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert (folder / "report.json").read_bytes() == before          # nothing rewritten


def test_check_with_missing_previous_fetches_nothing(sites, tmp_path):
    site = sites["kcson_full"]
    hits = len(site.requests)
    out = tmp_path / "out"
    result = run_cli(["check", site.base_url + "/", "--out", str(out), *FAST,
                      "--previous", str(tmp_path / "nope" / "report.json")], out)
    assert result.code == 2
    assert "--previous: файл" in result.stderr and "не найден" in result.stderr
    assert len(site.requests) == hits
    assert not out.exists()


def test_diff_reports_total_score_line():
    def report(total, tariffs="present"):
        return {"crawl": {"entry_ok": True}, "summary": {"site_share_1_1": {"share": 1.0}},
                "scores": {"total": {"value": total}},
                "items": [{"id": "tariffs", "name": "Тарифы", "status": tariffs, "status_text": "не найдено"}]}

    d = diff_reports("x", report(88.75), report(80.0))
    assert d.regressions == ["итоговый балл: 88,75 → 80"] and d.improvements == []
    d = diff_reports("x", report(80.0), report(90.5))
    assert d.improvements == ["итоговый балл: 80 → 90,5"]
    assert diff_reports("x", report(None), report(90.5)).improvements == []
    old = report(50.0)
    old["items"].append({"id": "gone_item", "name": "Только в старом", "status": "present"})
    new = report(50.0, tariffs="absent")
    new["items"].append({"id": "new_item", "name": "Только в новом", "status": "absent", "status_text": "нет"})
    d = diff_reports("x", old, new)                 # items of only one checklist are not compared
    assert d.regressions == ["«Тарифы»: было размещено, теперь не найдено"]


def test_summary_lists_regressions_first(pair, tmp_path):
    old, new, _ = pair
    # One more organisation folder re-evaluated with the default checklist against the strict report: the
    # tariffs come back (an improvement); and one compared with itself (no changes).
    better = shutil.copytree(new, tmp_path / "better")
    assert run_cli(["evaluate", str(better), "--previous", str(new / "report.json")], better).code == 0
    same = shutil.copytree(old, tmp_path / "same")
    assert run_cli(["evaluate", str(same), "--previous", str(same / "report.json")], same).code == 0

    entries, problems = load_reports([old, same, better, new])
    assert problems == []
    summary = build_summary(entries, tmp_path / "s")
    assert [o["folder"] for o in summary["changes"]] == [str(new), str(better), str(same)]
    assert any(TARIFFS in line for line in summary["changes"][0]["changes"]["regressions"])

    out = tmp_path / "summary"
    result = run_cli(["report", str(old), str(same), str(better), str(new), "--out", str(out)], out)
    assert result.code == 0, result.stderr
    assert "Изменения с прошлой проверки: сравнено организаций 3, с ухудшениями 1." in result.stdout
    doc = _doc(out / "summary.html")
    section = doc.get_element_by_id("changes")
    assert _text(section.xpath(".//h2")[0]) == "Изменения с прошлой проверки"
    rows = section.xpath(".//tbody/tr")
    assert len(rows) == 3
    first = [_text(li) for li in rows[0].xpath(".//ul[@class='changes-regressions']/li")]
    assert any(TARIFFS in line and "было размещено" in line for line in first)
    assert rows[1].xpath(".//ul[@class='changes-improvements']")
    assert not rows[1].xpath(".//ul[@class='changes-regressions']")
    assert "Изменений нет" in _text(rows[2])
    assert [a.get("href") for a in doc.xpath("//nav[@class='toc']/a")][0] == "#changes"

    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f, delimiter=";"))
    column = table[0].index("Изменения с прошлой проверки")
    cells = {row[column] for row in table[1:]}
    assert "" in cells and "изменений нет" in cells
    assert any(c.startswith("ухудшение: ") and TARIFFS in c for c in cells)
    import openpyxl
    sheet = openpyxl.load_workbook(out / "summary.xlsx").active
    assert sheet.cell(row=1, column=column + 1).value == "Изменения с прошлой проверки"


def test_summary_without_previous_has_no_section(pair, tmp_path):
    old, _, _ = pair
    out = tmp_path / "summary"
    assert run_cli(["report", str(old), "--out", str(out)], out).code == 0
    assert not _doc(out / "summary.html").xpath("//*[@id='changes']")
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as f:
        assert "Изменения с прошлой проверки" not in next(csv.reader(f, delimiter=";"))


def test_item_name_with_script_is_escaped(pair, tmp_path):
    old, _, _ = pair
    folder = shutil.copytree(old, tmp_path / "evil")
    checklist = tmp_path / "evil.yaml"
    checklist.write_text(EVIL_CHECKLIST, encoding="utf-8")
    result = run_cli(["evaluate", str(folder), "--checklist", str(checklist),
                      "--previous", str(old / "report.json")], folder)
    assert result.code == 0, result.stderr
    assert any(EVIL in line for line in result.report["changes"]["regressions"])

    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    doc = lxml.html.document_fromstring(html)
    assert not doc.xpath("//script")
    lines = [_text(li) for li in doc.get_element_by_id("changes").xpath(".//li")]
    assert any(EVIL in line for line in lines)          # shown as text, not run
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)<", md) and "\\<script>alert(1)\\</script>" in md

    out = tmp_path / "summary"
    assert run_cli(["report", str(folder), "--out", str(out)], out).code == 0
    doc = _doc(out / "summary.html")
    scripts = doc.xpath("//script")
    assert len(scripts) == 1 and "alert" not in scripts[0].text_content()   # only the constant sort script
    assert any(EVIL in _text(li) for li in doc.get_element_by_id("changes").xpath(".//li"))
