"""Reports as a person sees them in real Chromium, from a phone (360 px) to a wide screen (1920 px).

Two loopback sites (tests/sites_names, 127.0.0.171-172) with long organisation names: one names itself in
og:site_name, the other only in its page titles («Главная | ГБУ СО «…»», «Контакты | …»). Both are audited
through the CLI, summarised by `nok-audit report`; the report and the summary are opened at each width.
Screenshots of what was checked go to docs/img/ (referenced from README.md) with NOK_SCREENSHOTS=1, as the
serve tests do; otherwise to a temporary folder, so a test run never rewrites tracked files.
"""
from __future__ import annotations

import asyncio
import html
import json
import os
import tempfile
from pathlib import Path

import jsonschema
import pytest

from conftest import FAST, open_in_chromium, run_cli
from checklists.model.snapshot import PageSnapshot
from crawler.extract import extract
from reports.site_name import site_name
from sitesrv import start_site

SITES = Path(__file__).parent / "sites_names"
IMG = (Path(__file__).parent.parent / "docs" / "img" if os.environ.get("NOK_SCREENSHOTS")
       else Path(tempfile.mkdtemp(prefix="nok-layout-")))
IPS = {"og": "127.0.0.171", "titles": "127.0.0.172"}
OG_NAME = "Демонстрационный центр социального обслуживания «Добродеятельность»"
TITLE_NAME = "ГБУ СО «Комплексный центр социального обслуживания населения Верхнесалдинского района»"
WIDTHS = (360, 1200, 1920)


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    servers = {name: start_site(SITES / name, ip) for name, ip in IPS.items()}
    try:
        runs = {}
        for name, server in servers.items():
            out = tmp_path_factory.mktemp(name)
            runs[name] = run_cli(["check", server.base_url + "/", "--out", str(out), *FAST], out)
            assert runs[name].code == 0, runs[name].stderr
        summary = tmp_path_factory.mktemp("summary")
        made = run_cli(["report", *(str(r.out) for r in runs.values()), "--out", str(summary)], summary)
        assert made.code == 0, made.stderr
        return {"runs": runs, "summary": summary / "summary.html"}
    finally:
        for server in servers.values():
            server.stop()


def test_name_comes_from_og_site_name_else_the_title_part_all_pages_share(audited):
    runs = audited["runs"]
    assert runs["og"].report["site"]["name"] == OG_NAME
    assert runs["titles"].report["site"]["name"] == TITLE_NAME
    assert runs["titles"].report["site"]["title"].startswith("Главная | ")     # the raw title keeps its prefix
    html = (runs["titles"].out / "report.html").read_text(encoding="utf-8")
    assert f"<h1>{TITLE_NAME.replace('«', '&laquo;')}" in html or f"<h1>{TITLE_NAME}</h1>" in html
    summary = audited["summary"].read_text(encoding="utf-8")
    assert OG_NAME in summary and TITLE_NAME in summary and "Главная |" not in summary


REGISTRY_NAME = "ГБУ СО «Центр социального обслуживания по реестру»"
RUN_FAST = ["--delay", "0", "--timeout", "5", "--no-browser", "--allow-private"]


def _reports(folder: Path) -> dict[str, dict]:
    """{'og'|'titles': report.json} of the site folders under `folder` (each with its report.html and .md)."""
    found = {}
    for path in folder.glob("*/report.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        name = next(n for n, ip in IPS.items() if f"//{ip}:" in report["site"]["start_url"])
        found[name] = {**report, "html": (path.parent / "report.html").read_text(encoding="utf-8"),
                       "md": (path.parent / "report.md").read_text(encoding="utf-8")}
    return found


def _assert_registry_name_wins(reports: dict[str, dict]) -> None:
    """The row with a name: its report (JSON, HTML heading, Markdown title) carries the registry's name; the
    row without one: the name read from the site."""
    og, titles = reports["og"], reports["titles"]
    assert (og["site"]["name"], og["site"]["name_source"]) == (REGISTRY_NAME, "registry")
    assert f"<h1>{html.escape(REGISTRY_NAME, quote=False)}</h1>" in og["html"].replace("&laquo;", "«").replace(
        "&raquo;", "»")
    assert OG_NAME not in og["html"] and og["md"].startswith(f"# ") and REGISTRY_NAME in og["md"].splitlines()[0]
    assert (titles["site"]["name"], titles["site"]["name_source"]) == (TITLE_NAME, "site")
    assert TITLE_NAME in titles["md"].splitlines()[0]


@pytest.mark.parametrize("mode", [["--process-per-site"], ["--processes", "1"]], ids=["process-per-site", "workers"])
def test_registry_name_wins_in_a_site_report_and_stays_when_rebuilt(mode, tmp_path):
    """A registry row's name replaces the site's own in that site's report.json/.html/.md, in both local run
    modes (Scrapyd jobs: tests/test_distributed.py); a row without a name keeps the site's. `report --run`,
    `rescore` and `evaluate` of the folder keep it."""
    servers = {name: start_site(SITES / name, ip) for name, ip in IPS.items()}
    try:
        registry = tmp_path / "reg.csv"
        registry.write_text(f"Наименование;Сайт\n{REGISTRY_NAME};{servers['og'].base_url}/\n"
                            f";{servers['titles'].base_url}/\n", encoding="utf-8")
        out = tmp_path / "out"
        ran = run_cli(["run", str(registry), "--out", str(out), *RUN_FAST, *mode], out, timeout=300)
        assert ran.code == 0, ran.stderr
        hits = {name: len(server.requests) for name, server in servers.items()}
        reports = _reports(out / "run-1")
        _assert_registry_name_wins(reports)
        if not mode:        # a site's own process: «Команда» is the check line that audits it the same way
            command = reports["og"]["command"]
            assert command[:3] == ["nok-audit", "check", f"{servers['og'].base_url}/"]
            assert command[command.index("--name") + 1] == REGISTRY_NAME and "--allow-private" in command
            assert "--name" not in reports["titles"]["command"]
        schema = json.loads((Path(__file__).parent.parent / "reports" / "report.schema.json").read_text())
        for report in reports.values():
            jsonschema.validate({k: v for k, v in report.items() if k not in ("html", "md")}, schema)

        rebuilt = run_cli(["report", "--run", "1", "--out", str(tmp_path / "again"), "--db",
                           f"sqlite:///{out / 'nok-audit.db'}"], out)
        assert rebuilt.code == 0, rebuilt.stderr
        _assert_registry_name_wins(_reports(tmp_path / "again"))
        rescored = run_cli(["rescore", "1", "--out", str(out)], out)
        assert rescored.code == 0, rescored.stderr
        _assert_registry_name_wins(_reports(out / "run-2"))
        og_folder = next(p.parent for p in (out / "run-1").glob("*/report.json") if IPS["og"] in p.parent.name)
        assert run_cli(["evaluate", str(og_folder)], out).code == 0
        assert json.loads((og_folder / "report.json").read_text(encoding="utf-8"))["site"]["name"] == REGISTRY_NAME
        assert {name: len(server.requests) for name, server in servers.items()} == hits     # nothing fetched again
    finally:
        for server in servers.values():
            server.stop()


def _page(path: str, html: str, status: int = 200) -> PageSnapshot:
    url = "http://127.0.0.171" + path
    snap = PageSnapshot(url=url, requested_url=url, status=status, depth=1, referer=None, link_text="",
                        fetched_at="2026-12-01T10:00:00", content_type="text/html", encoding="utf-8",
                        encoding_note="", sha256="0" * 64, html_file="html/none.html.gz")
    return extract(snap, html)


def test_name_from_the_header_name_or_a_text_logo_never_an_alt_a_banner_or_a_home_link():
    bitrix = ('<html><body><header><a class="logout-link">Выйти</a><a href="/">Главная</a><div class="header__logo">'
              '<a href="/"><img src="/logo.svg" alt="Логотип КЦСОН"></a><div class="header__name">ГБУ «Центр «Надежда»</div>'
              '<div class="header__phone">Приёмная: <a href="tel:+78170020010">8 (81700) 2-00-10</a></div></div></header>'
              '<div class="bf-2__logo-wrap"><img class="bf-2__logo" alt="Госуслуги"></div></body></html>')
    text_logo = '<html><body><a id="siteLogo" href="/"> ГБУ <b>«Центр «Надежда»</b></a></body></html>'
    image_logo_only = ('<html><body><header><a class="logo" href="/"><img alt="Логотип"></a><a class="logout">Выйти</a>'
                       '</header><img class="bf-2__logo" alt="Госуслуги"></body></html>')
    assert _page("/", bitrix).header_name == "ГБУ «Центр «Надежда»"
    assert _page("/", text_logo).header_name == "ГБУ «Центр «Надежда»"
    assert _page("/", image_logo_only).header_name == ""
    home_link_only = '<html><head><title>Главная · ГБУ «Центр»</title></head><body><header><a href="/">Главная</a></header>'
    pages = [_page("/", home_link_only + "</body></html>")]
    assert pages[0].header_name == ""
    assert site_name(pages, pages[0].url) == "ГБУ «Центр»"    # one page: the longer part, not «Главная»
    error = _page("/x", "<html><head><title>404 — Страница не найдена</title></head></html>", status=404)
    assert site_name([*pages, error], pages[0].url) == "ГБУ «Центр»"     # error pages do not count


# Per name element: its computed wrapping and, for each rendered line, whether it starts inside a word
# (the character before the line's first character is a letter: «Демонстра / ционного»).
_LAYOUT_JS = """(sel) => {
  const names = [...document.querySelectorAll(sel)].map(el => {
    const cs = getComputedStyle(el);
    const text = el.textContent, node = [...el.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
    const broken = [];
    if (node) {
      let lastTop = null;
      for (let i = 0; i < node.textContent.length; i++) {
        const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
        const rect = r.getClientRects()[0];
        if (!rect || !rect.width) continue;
        if (lastTop !== null && rect.top > lastTop + 2 && /\\p{L}/u.test(node.textContent[i - 1] || ''))
          broken.push(node.textContent.slice(Math.max(0, i - 10), i) + ' / ' + node.textContent.slice(i, i + 10));
        lastTop = rect.top;
      }
    }
    return {text, wordBreak: cs.wordBreak, overflowWrap: cs.overflowWrap, broken};
  });
  const boxes = [...document.querySelectorAll('.table-scroll table')].map(t => [t.scrollWidth, t.parentElement.clientWidth]);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, names, boxes};
}"""


async def _look(path: Path, selector: str, shot_prefix: str) -> dict:
    got = {}

    async def at_widths(page):
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 900})
            got[width] = await page.evaluate(_LAYOUT_JS, selector)
            await page.screenshot(path=str(IMG / f"{shot_prefix}-{width}.png"))
    errors, dialogs, _ = await open_in_chromium(path, at_widths)
    assert not errors and not dialogs, (errors, dialogs)
    return got


def _assert_reads_well(got: dict, names: set[str]):
    for width, layout in got.items():
        assert layout["scrollWidth"] <= layout["innerWidth"], (width, layout["scrollWidth"])
        seen = {n["text"].strip() for n in layout["names"]}
        assert names <= seen, (width, seen)
        for n in layout["names"]:
            assert n["wordBreak"] != "break-all" and n["overflowWrap"] != "anywhere", (width, n)
            assert not n["broken"], (width, n["text"], n["broken"])


def test_summary_reads_well_from_phone_to_wide_screen(audited):
    got = asyncio.run(_look(audited["summary"], ".org-name", "summary"))
    _assert_reads_well(got, {OG_NAME, TITLE_NAME})
    assert got[360]["boxes"][0][0] > got[360]["boxes"][0][1]        # on a phone the ranking scrolls in its box
    for width in (1200, 1920):                                     # from 1200 px every column is in view
        assert all(inner <= box for inner, box in got[width]["boxes"]), (width, got[width]["boxes"])


def test_report_reads_well_from_phone_to_wide_screen(audited):
    got = asyncio.run(_look(audited["runs"]["titles"].out / "report.html", "h1", "report"))
    _assert_reads_well(got, {TITLE_NAME})
