"""Crawl order and limits on a real loopback site: pages are fetched level by level (breadth-first), so
`--max-pages` keeps the shallowest pages, and the default depth limit reaches documents nested deep."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FAST, run_cli
from sitesrv import start_site

CHAIN = 9           # /d1.html → /d2.html → … → /d9.html
SIBLINGS = 30       # /s01.html … /s30.html, all linked from the home page


def _page(title: str, links: list[str]) -> str:
    items = "".join(f'<p><a href="{href}">{href}</a></p>' for href in links)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body><h1>{title}</h1>{items}</body></html>")


@pytest.fixture(scope="module")
def deep_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("deep_site")
    (root / "index.html").write_text(
        _page("Главная", ["/d1.html"] + [f"/s{n:02d}.html" for n in range(1, SIBLINGS + 1)]), encoding="utf-8")
    for n in range(1, CHAIN + 1):
        (root / f"d{n}.html").write_text(_page(f"Уровень {n}", [f"/d{n + 1}.html"] if n < CHAIN else []),
                                         encoding="utf-8")
    for n in range(1, SIBLINGS + 1):
        (root / f"s{n:02d}.html").write_text(_page(f"Раздел {n}", ["/"]), encoding="utf-8")
    with start_site(root, "127.0.0.67") as server:
        yield server


def _crawl(server, tmp_path: Path, *extra: str) -> tuple[dict[str, int], dict]:
    out = tmp_path / "out"
    result = run_cli(["check", server.base_url + "/", "--out", str(out), "--allow-private", "--render", "never",
                      *FAST, *extra], out)
    assert result.code == 0, result.stderr
    pages = [json.loads(line) for line in (out / "crawl" / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    depths = {p["url"].rsplit("/", 1)[1] or "/": p["depth"] for p in pages}
    return depths, result.report["crawl"]


def test_default_depth_reaches_a_page_nine_links_deep(deep_site, tmp_path):
    depths, crawl = _crawl(deep_site, tmp_path)
    assert depths[f"d{CHAIN}.html"] == CHAIN
    assert len(depths) == 1 + CHAIN + SIBLINGS
    assert crawl["deep_links"] == 0


def test_page_budget_keeps_the_shallowest_pages(deep_site, tmp_path):
    depths, crawl = _crawl(deep_site, tmp_path, "--max-pages", "12")
    assert len(depths) == 12
    assert max(depths.values()) == 1                       # only the home page and its own links
    assert "d1.html" in depths and "d2.html" not in depths
    assert crawl["status"] == "partial"


def test_a_lower_depth_limit_stops_the_chain_and_counts_what_it_skipped(deep_site, tmp_path):
    depths, crawl = _crawl(deep_site, tmp_path, "--max-depth", "3")
    assert "d3.html" in depths and "d4.html" not in depths
    assert crawl["deep_links"] == 1
