"""`nok-audit report`: the batch summary over real audits of the loopback test sites.

Audits run through the CLI (kcson_full, kcson_1251 with a <script> in its <title>, kcson_broken, and a
dead URL), then `nok-audit report` over their folders; summary.html is opened in real Chromium.
"""
from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path

import lxml.html
import pytest

from conftest import FAST, open_in_chromium, run_cli

AUDITED = ["kcson_full", "kcson_1251", "kcson_broken"]
# A copy of kcson_1251's report whose site title and URL carry markup, a script and a formula.
PLANTED_TITLE = '=1+1 <script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
PLANTED_URL = "javascript:window.__xss=3"


class Planted:
    def __init__(self, out):
        self.out = out

    @property
    def report(self):
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def batch(audit, dead_site_url, tmp_path_factory):
    runs = {name: audit(name) for name in AUDITED}
    for name, run in runs.items():
        assert run.code == 0, (name, run.stderr)
    dead_out = tmp_path_factory.mktemp("dead")
    dead = run_cli(["check", dead_site_url, "--out", str(dead_out), *FAST], dead_out)
    assert dead.code == 3, dead.stderr
    assert dead.report["crawl"]["status"] == "unreachable"
    runs["dead"] = dead
    planted = tmp_path_factory.mktemp("planted")
    report = runs["kcson_1251"].report
    report["site"].update(title=PLANTED_TITLE, name=PLANTED_TITLE, start_url=PLANTED_URL, final_url=PLANTED_URL)
    (planted / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    runs["planted"] = Planted(planted)
    broken = tmp_path_factory.mktemp("broken")
    (broken / "report.json").write_text("{not json", encoding="utf-8")
    empty = tmp_path_factory.mktemp("empty")
    out = tmp_path_factory.mktemp("summary")
    result = run_cli(["report", *(str(r.out) for r in runs.values()), str(broken), str(empty), "--out", str(out)],
                     out)
    return {"runs": runs, "result": result, "out": out, "broken": broken, "empty": empty}


def _names(run) -> str:
    """The name the summary shows without a registry: the site's own (report.json site.name), else its title."""
    return run.report["site"].get("name") or run.report["site"]["title"]


def test_report_command_writes_three_files_and_skips_bad_folders(batch):
    result = batch["result"]
    assert result.code == 0, result.stderr
    for name in ("summary.html", "summary.csv", "summary.xlsx"):
        assert (batch["out"] / name).is_file(), name
    assert f"{batch['broken']}" in result.stderr and "не прочитан" in result.stderr
    assert f"{batch['empty']}" in result.stderr and "нет файла report.json" in result.stderr
    assert "Пропущено папок: 2" in result.stdout


def test_no_valid_report_exits_2(batch, tmp_path):
    result = run_cli(["report", str(batch["broken"]), str(batch["empty"]), "--out", str(tmp_path / "s")])
    assert result.code == 2
    assert "ни в одной из указанных папок нет пригодного отчёта" in result.stderr
    assert not (tmp_path / "s" / "summary.html").exists()


def test_ranking_lists_audited_sites_and_unreachable_only_separately(batch):
    html = (batch["out"] / "summary.html").read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    ranked = doc.xpath("//table[contains(@class,'ranking')]/tbody/tr")
    assert len(ranked) == len(AUDITED) + 1
    ranked_text = " ".join(r.text_content() for r in ranked)
    for name in AUDITED:
        assert _names(batch["runs"][name]) in ranked_text, name
    dead_url = batch["runs"]["dead"].report["site"]["start_url"]
    assert dead_url.rstrip("/") not in ranked_text
    unreachable = doc.xpath("//table[contains(@class,'unreachable-sites')]/tbody/tr")
    assert len(unreachable) == 1 and dead_url.rstrip("/") in unreachable[0].text_content()
    # ranked by the 1.1 site share, highest first; every rank links to its own report.html
    shares = [float(r.xpath("./td")[7].get("data-sort")) for r in ranked]
    assert shares == sorted(shares, reverse=True)
    hrefs = [h for r in ranked for h in r.xpath(".//a[text()='отчёт']/@href")]
    assert len(hrefs) == len(AUDITED)           # the planted copy has no report.html
    for href in hrefs:
        assert not re.match(r"[a-z]+:", href) and href.endswith("report.html")
        assert (batch["out"] / href).resolve().is_file()
    # the distribution chart: 10 bars, counts add up to the audited sites
    bars = doc.xpath("//svg//*[local-name()='rect' and @class='bar']")
    assert len(bars) == 10
    # items sorted ascending by the share of organisations publishing them
    item_shares = [float(tr.xpath("./td")[3].get("data-sort"))
                   for tr in doc.xpath("//table[contains(@class,'item-shares')]/tbody/tr")]
    assert item_shares and item_shares == sorted(item_shares)


def test_csp_allows_exactly_our_one_script(batch):
    from reports.summary import csp_hash, sort_script

    html = (batch["out"] / "summary.html").read_text(encoding="utf-8")
    doc = lxml.html.document_fromstring(html)
    scripts = doc.xpath("//script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrib
    assert scripts[0].text == sort_script()
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp and f"script-src '{csp_hash(sort_script())}'" in csp
    assert "<script>window" not in html and "&lt;script&gt;window.__xss=1" in html   # planted title, escaped
    assert not doc.xpath("//img") and not doc.xpath("//*[@onerror]")
    assert not [h for h in doc.xpath("//a/@href") if h.strip().lower().startswith("javascript:")]


async def _sort_and_inspect(page):
    column = "table.ranking tbody tr td:nth-child(8)"
    before = await page.eval_on_selector_all(column, "cells => cells.map(c => c.dataset.sort)")
    names_before = await page.eval_on_selector_all("table.ranking tbody td.org-name",
                                                  "cells => cells.map(c => c.textContent)")
    await page.click("table.ranking thead th:nth-child(8) button")
    after = await page.eval_on_selector_all(column, "cells => cells.map(c => c.dataset.sort)")
    names_after = await page.eval_on_selector_all("table.ranking tbody td.org-name",
                                                 "cells => cells.map(c => c.textContent)")
    aria = await page.get_attribute("table.ranking thead th:nth-child(8)", "aria-sort")
    await page.click("table.ranking thead th:nth-child(2) button")
    by_name = await page.eval_on_selector_all("table.ranking tbody td.org-name",
                                             "cells => cells.map(c => c.textContent)")
    state = await page.evaluate("() => ({xss: typeof window.__xss, scripts: document.scripts.length})")
    await page.wait_for_timeout(200)
    return {"before": before, "after": after, "names_before": names_before, "names_after": names_after,
            "aria": aria, "by_name": by_name, **state}


async def _in_browser(path):
    errors, dialogs, got = await open_in_chromium(path, _sort_and_inspect)
    return {"errors": errors, "dialogs": dialogs, **got}


def test_summary_sorts_in_chromium_without_errors_or_planted_scripts(batch):
    got = asyncio.run(_in_browser(batch["out"] / "summary.html"))
    assert got["errors"] == [], got["errors"]
    assert got["dialogs"] == []
    assert got["xss"] == "undefined" and got["scripts"] == 1
    values = [float(v) for v in got["after"]]
    assert values == sorted(values) and got["aria"] == "ascending"
    assert len(set(got["before"])) > 1 and got["names_after"] != got["names_before"]
    assert got["by_name"] == sorted(got["by_name"], key=str.lower)


def _expected_rows(batch):
    return {r.report["site"]["final_url"] or r.report["site"]["start_url"]: r for r in batch["runs"].values()}


def test_xlsx_has_headers_a_row_per_organisation_and_values(batch):
    from openpyxl import load_workbook

    wb = load_workbook(batch["out"] / "summary.xlsx")
    ws = wb["Сводка"]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert list(header[:7]) == ["Организация", "Сайт", "Статус обхода", "Исайт", "Инорм_сайт", "Доля 1.1",
                                "Каналов работает"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
    assert ws["A1"].font.bold
    report = batch["runs"]["kcson_full"].report
    header_ids = [re.search(r"\(([^()]+)\)$", h).group(1) for h in header[7::2]]
    # the checklist's order (the union over the reports: every report here uses the same checklist)
    assert [i for i in header_ids if i in {it["id"] for it in report["items"]}] == [it["id"] for it in report["items"]]
    assert len(set(header_ids)) == len(header_ids)
    item_ids = header_ids
    assert all(h.endswith("— подтверждение") for h in header[8::2])
    assert all(len(h) <= 60 + len(i) + 3 for h, i in zip(header[7::2], header_ids))
    expected = _expected_rows(batch)
    assert len(rows) - 1 == len(expected)
    for row in rows[1:]:
        run = expected[row[1]]
        rep = run.report
        assert row[0] == _names(run) or rep["crawl"]["status"] == "unreachable"
        assert row[3] == rep["summary"]["site_share_1_1"]["found"]
        assert row[4] == rep["summary"]["site_share_1_1"]["norm"]
        by_id = {it["id"]: it for it in rep["items"]}
        for n, item_id in enumerate(item_ids):
            value, evidence = row[7 + 2 * n], row[8 + 2 * n]
            if item_id not in by_id:
                assert not value and not evidence
                continue
            status = by_id[item_id]["status"]
            assert value.split(",")[0] == {"present": "есть", "absent": "нет", "unknown": "не проверено"}[status]
            strong = [e["url"] for e in by_id[item_id]["evidence"] if e["strength"] == "strong"]
            assert (evidence or None) == (strong[0] if strong else None)
    planted = next(c for c in ws["A"][1:] if c.value == PLANTED_TITLE)
    assert planted.data_type == "s"
    assert wb["Пункты перечня"].max_row == len(item_ids) + 1


def test_csv_parses_with_bom_and_semicolons(batch):
    raw = (batch["out"] / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Организация", "Сайт", "Статус обхода"]
    assert len(rows) - 1 == len(_expected_rows(batch))
    assert all(len(r) == len(rows[0]) for r in rows)
    values = {v for r in rows[1:] for v in r[7::2]}
    assert values <= {"есть", "нет", "не проверено", "есть, работает", "есть, не работает", ""}
    assert "есть" in values and "нет" in values
    assert [r[0] for r in rows if r[0].startswith("'=")] == ["'" + PLANTED_TITLE]


def test_cells_from_sites_never_become_formulas(tmp_path):
    from openpyxl import load_workbook

    from reports.exports import csv_text, write_csv, write_xlsx

    org = {"name": "=HYPERLINK(\"http://evil\")", "url": "http://x/", "crawl_status_text": "+cmd",
           "found_1_1": 1, "norm_1_1": 2, "share_1_1": 0.5, "channels_working": None,
           "items": {"a": {"status": "present", "works": True, "channel": True, "evidence_url": "@SUM(1)"}}}
    summary = {"organisations": [org], "checklist": [{"id": "a", "name": "-Пункт", "indicator": "1.2"}],
               "item_shares": [{"id": "a", "name": "-Пункт", "indicator": "1.2", "present": 1, "audited": 1,
                                "share": 1.0}]}
    assert csv_text("=1+1") == "'=1+1" and csv_text("-x") == "'-x" and csv_text("ok") == "ok"
    write_csv(summary, tmp_path / "s.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[1][0].startswith("'=") and rows[1][2] == "'+cmd" and rows[1][8] == "'@SUM(1)"
    assert rows[1][7] == "есть, работает" and rows[0][7] == "'-Пункт (a)"
    write_xlsx(summary, tmp_path / "s.xlsx")
    ws = load_workbook(tmp_path / "s.xlsx")["Сводка"]
    assert ws["A2"].value == org["name"] and ws["A2"].data_type == "s"
    assert ws["I2"].value == "@SUM(1)" and ws["I2"].data_type == "s"
    assert ws["H1"].value == "-Пункт (a)" and ws["H1"].data_type == "s"
    assert ws["F2"].value == 0.5


def test_no_site_content_inside_the_script(batch):
    html = (batch["out"] / "summary.html").read_text(encoding="utf-8")
    script = html.split("<script>", 1)[1].split("</script>", 1)[0]
    for run in batch["runs"].values():
        title = _names(run)
        if title:
            assert title not in script
    assert "xss" not in script


def test_total_score_ranks_and_buckets_when_reports_have_scores(batch, tmp_path):
    from reports.summary import build_summary, load_reports, render_summary_html

    folders = []
    for n, (name, value) in enumerate([("kcson_full", 40.0), ("kcson_1251", 95.5), ("kcson_broken", None)]):
        report = batch["runs"][name].report
        report["scores"] = {"total": {"key": "total", "value": value}}
        folder = tmp_path / f"r{n}"
        folder.mkdir()
        (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
        folders.append(folder)
    entries, problems = load_reports(folders)
    assert not problems
    summary = build_summary(entries, tmp_path / "out")
    assert summary["metric"] == "score"
    assert [o["total_score"] for o in summary["ranked"]] == [95.5, 40.0, None]
    assert summary["distribution"]["counts"][9] == 1 and summary["distribution"]["counts"][4] == 1
    assert summary["distribution"]["not_measured"] == 1
    doc = lxml.html.document_fromstring(render_summary_html(summary, generated="сейчас", tool="nok-audit"))
    assert doc.xpath("//th//button[text()='Итоговый балл']")
    assert [tr.xpath("./td")[9].text_content() for tr in doc.xpath("//table[contains(@class,'ranking')]/tbody/tr")] \
        == ["95,5", "40", "—"]


def test_summary_keeps_only_a_digest_of_each_report_and_decides_the_same(batch, tmp_path):
    """A run of 1 000 sites must not hold 1 000 full reports in memory: load_reports keeps a digest, and the
    summary built from the digests is the one built from the full reports."""
    from reports.summary import build_summary, load_reports

    folders = [run.out for name, run in batch["runs"].items() if name != "planted"]
    entries, problems = load_reports(folders)
    assert not problems
    full = [{"folder": Path(f), "report": json.loads((Path(f) / "report.json").read_text(encoding="utf-8"))}
            for f in folders]
    assert build_summary(entries, tmp_path / "s") == build_summary(full, tmp_path / "s")
    kept = sum(len(json.dumps(e["report"], ensure_ascii=False)) for e in entries)
    read = sum(len(json.dumps(e["report"], ensure_ascii=False)) for e in full)
    assert kept < read / 3, (kept, read)
