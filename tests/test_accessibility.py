"""Supplementary accessibility checks: axe-core offline with Russian texts, the 200 % zoom rule of
ПП РФ № 102, failures as Russian reasons, and the report lines. Static pages under tests/sites_a11y/
are served on 127.0.0.60–69; every request a page makes is recorded and anything that would leave
loopback is aborted and fails the test (axe must run offline)."""
from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sitesrv import dead_url, start_site  # noqa: E402

from checklists.model.control import AccessibilityResult  # noqa: E402
from crawler.control.accessibility import AXE_SCRIPT, AXE_VERSION, check_accessibility  # noqa: E402
from crawler.control.browser import chromium, site_context  # noqa: E402
from reports.accessibility_text import summarise_ru  # noqa: E402
from reports.axe_ru import AXE_RU_VERSION, HELP_RU  # noqa: E402

SITES = Path(__file__).parent / "sites_a11y"
SITE_IPS = {"bad": "127.0.0.60", "clean": "127.0.0.61", "wide": "127.0.0.62", "responsive": "127.0.0.63",
            "clipped": "127.0.0.64", "slow": "127.0.0.65"}
CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


class LoopThread:
    """One asyncio loop in a daemon thread, so one Chromium serves every test of the module."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="a11y-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 90):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture(scope="module")
def browser():
    runner = LoopThread()
    cm = chromium()
    b = runner.run(cm.__aenter__())
    try:
        yield runner, b
    finally:
        runner.run(cm.__aexit__(None, None, None))
        runner.close()


@pytest.fixture(scope="module")
def servers():
    started = {name: start_site(SITES / name, ip) for name, ip in SITE_IPS.items()}
    yield started
    for s in started.values():
        s.stop()


def _loopback(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https") and (parts.hostname or "").startswith("127.")


def check(browser, url: str, **kw) -> tuple[AccessibilityResult, list[str], list[str]]:
    """check_accessibility in a fresh context that aborts (and records) every non-loopback request.
    Returns the result, all request URLs, and the URLs that tried to leave loopback."""
    runner, b = browser

    async def go():
        seen, offsite = [], []

        async def guard(route):
            if _loopback(route.request.url):
                await route.continue_()
            else:
                offsite.append(route.request.url)
                await route.abort()

        async with site_context(b, block_resources=False) as ctx:
            ctx.on("request", lambda req: seen.append(req.url))
            await ctx.route("**/*", guard)
            result = await check_accessibility(ctx, url, **kw)
        return result, seen, offsite

    return runner.run(go())


def _ids(result: AccessibilityResult) -> dict[str, dict]:
    return {v["id"]: v for v in result.violations}


def test_bad_page_image_alt_and_contrast_in_russian(browser, servers):
    srv = servers["bad"]
    t = time.monotonic()
    r, seen, offsite = check(browser, srv.url("/"))
    elapsed = time.monotonic() - t
    assert not r.error, r.error
    assert offsite == [], f"requests left loopback: {offsite}"
    assert seen and all(_loopback(u) for u in seen)
    assert r.axe_version == AXE_VERSION
    v = _ids(r)
    assert {"image-alt", "color-contrast"} <= set(v)
    alt, contrast = v["image-alt"], v["color-contrast"]
    assert alt["impact"] == "critical" and alt["nodes"] == 3
    assert alt["help_ru"] == "Изображения должны иметь альтернативный текст"
    assert contrast["impact"] == "serious" and contrast["nodes"] == 2
    assert CYRILLIC & set(contrast["help_ru"].lower())
    assert len(alt["targets"]) == 3 and all(isinstance(t, str) and "img" in t for t in alt["targets"])
    assert alt["help_url"].startswith("https://dequeuniversity.com/rules/axe/") and "?" not in alt["help_url"]
    assert alt["wcag"] == ["1.1.1"] and contrast["wcag"] == ["1.4.3"]
    assert r.violations_by_impact["critical"] >= 1 and r.violations_by_impact["serious"] >= 1
    assert set(r.violations_by_impact) == {"critical", "serious", "moderate", "minor"}
    assert r.violations[0]["impact"] == "critical"          # most severe first
    assert r.zoom_200_horizontal_scroll is False
    # The server saw only the page and its own pictures (axe is injected, never fetched).
    paths = {h.path for h in srv.requests}
    assert paths <= {"/", "/photo1.svg", "/photo2.svg", "/favicon.ico"}, paths
    lines = summarise_ru([r])
    assert any(line.startswith("Критических нарушений: 1 (изображения без альтернативного текста: 3 эл.)")
               for line in lines), lines
    print(f"\nbad page: whole check {elapsed:.2f} s, axe {r.zoom_details['axe_seconds']} s, "
          f"zoom {r.zoom_details['seconds']} s")


def test_clean_page_has_no_critical_or_serious(browser, servers):
    r, _, offsite = check(browser, servers["clean"].url("/"))
    assert not r.error, r.error
    assert offsite == []
    assert r.violations_by_impact["critical"] == 0 and r.violations_by_impact["serious"] == 0, r.violations
    assert r.zoom_200_horizontal_scroll is False
    lines = summarise_ru([r])
    assert any("Критических и серьёзных нарушений" in line and "не выявила" in line for line in lines)


def test_fixed_width_page_scrolls_horizontally_at_200(browser, servers):
    r, _, offsite = check(browser, servers["wide"].url("/"))
    assert not r.error, r.error
    assert offsite == []
    assert r.zoom_200_horizontal_scroll is True
    d = r.zoom_details
    assert d["viewport_width"] == 640 and d["viewport_height"] == 450
    assert d["scroll_width"] >= 1100 and d["horizontal_scrollbar"] is True and d["content_clipped"] is False
    assert d["wide_elements"][0]["selector"] == "div.wrapper" and d["wide_elements"][0]["width"] == 1100
    lines = summarise_ru([r])
    assert any(line.startswith("При увеличении 200 % появляется горизонтальная прокрутка (ширина страницы 1100 px "
                               "при окне 640 px") and "ПП РФ № 102" in line for line in lines), lines


def test_responsive_page_does_not_scroll_at_200(browser, servers):
    r, _, offsite = check(browser, servers["responsive"].url("/"))
    assert not r.error, r.error
    assert offsite == []
    assert r.zoom_200_horizontal_scroll is False, r.zoom_details
    assert r.zoom_details["scroll_width"] <= 641 and r.zoom_details["wide_elements"] == []
    assert r.zoom_details["images_not_loaded"] == 0
    lines = summarise_ru([r])
    assert any("горизонтальная прокрутка не появляется" in line for line in lines)


@pytest.mark.parametrize("path", ["/", "/both.html"])
def test_clipped_wide_layout_is_a_violation_without_scrollbar(browser, servers, path):
    """overflow-x: hidden on body (or on html and body) hides the scrollbar and cuts the page off."""
    r, _, offsite = check(browser, servers["clipped"].url(path))
    assert not r.error, r.error
    assert offsite == []
    assert r.zoom_200_horizontal_scroll is True
    assert r.zoom_details["horizontal_scrollbar"] is False and r.zoom_details["content_clipped"] is True
    assert r.zoom_details["content_width"] >= 1100
    assert any("обрезается" in line for line in summarise_ru([r]))


def test_unreachable_page_gives_russian_error(browser):
    r, _, offsite = check(browser, dead_url("127.0.0.66"), timeout=10)
    assert offsite == []
    assert r.error.startswith("Проверка доступности не выполнена: страница не открылась: соединение отклонено")
    assert r.violations == [] and r.zoom_200_horizontal_scroll is None


def test_http_error_page_is_not_audited(browser, servers):
    r, _, _ = check(browser, servers["clean"].url("/net-takoy-stranicy/"), timeout=10)
    assert r.error == "Проверка доступности не выполнена: страница ответила кодом HTTP 404"
    assert r.violations == []


def test_slow_page_times_out_with_russian_error(browser, servers):
    t = time.monotonic()
    r, _, _ = check(browser, servers["slow"].url("/"), timeout=2)
    assert time.monotonic() - t < 8
    assert r.error == "Проверка доступности не выполнена: не уложилась в отведённые 2 с"
    assert r.zoom_200_horizontal_scroll is None


def test_closed_context_never_raises(browser, servers):
    runner, b = browser

    async def go():
        ctx = await b.new_context()
        await ctx.close()
        return await check_accessibility(ctx, servers["clean"].url("/"), variant="alt_version")

    r = runner.run(go())
    assert r.variant == "alt_version"
    assert r.error.startswith("Проверка доступности не выполнена: ")
    assert CYRILLIC & set(r.error.split(": ", 1)[1].lower())


def test_every_axe_rule_has_russian_help(browser):
    """axe_ru.py matches the bundled axe-core; re-run scripts/make_axe_ru.py after an upgrade."""
    runner, b = browser

    async def go():
        page = await b.new_page()
        try:
            await page.evaluate(AXE_SCRIPT)
            return await page.evaluate("axe.getRules().map(r => r.ruleId)")
        finally:
            await page.close()

    rule_ids = runner.run(go())
    assert AXE_RU_VERSION == AXE_VERSION
    assert len(rule_ids) > 90
    missing = [r for r in rule_ids if r not in HELP_RU]
    assert missing == []
    assert all(CYRILLIC & set(HELP_RU[r].lower()) for r in rule_ids)


def _result(variant="normal", violations=(), scroll=None, details=None, error=""):
    by = {imp: sum(1 for v in violations if v["impact"] == imp) for imp in ("critical", "serious", "moderate", "minor")}
    return AccessibilityResult(url="http://127.0.0.1/", variant=variant, axe_version="4.12.1",
                               violations_by_impact=by if not error or violations else {},
                               violations=list(violations), zoom_200_horizontal_scroll=scroll,
                               zoom_details=details or {}, error=error)


def _v(rule, impact, nodes):
    return {"id": rule, "impact": impact, "help_ru": HELP_RU.get(rule, rule), "help_en": "", "nodes": nodes}


def test_summarise_ru_lines():
    normal = _result("normal", [_v("image-alt", "critical", 5), _v("button-name", "critical", 1),
                                _v("color-contrast", "serious", 12), _v("region", "moderate", 3)],
                     scroll=True, details={"content_width": 1100, "viewport_width": 640,
                                           "wide_elements": [{"selector": "table.main", "width": 1000}]})
    alt = _result("alt_version", [_v("image-alt", "critical", 2)], scroll=False,
                  details={"content_width": 640, "viewport_width": 640})
    lines = summarise_ru([normal, alt])
    assert 2 <= len(lines) <= 5
    assert "основная версия; версия для слабовидящих" in lines[0]
    assert "прочих (умеренных и незначительных) нарушений: 1" in lines[0]
    assert lines[1] == ("Критических нарушений: 2 (изображения без альтернативного текста: 7 эл.; "
                        "кнопки без различимого текста: 1 эл.)")
    assert lines[2] == "Серьёзных нарушений: 1 (текст с недостаточным контрастом: 12 эл.)"
    assert lines[3] == ("При увеличении 200 % (основная версия) появляется горизонтальная прокрутка (ширина страницы "
                        "1100 px при окне 640 px, шире окна элемент table.main — 1000 px) — нарушение требований "
                        "ПП РФ № 102")
    failed = summarise_ru([_result(error="Проверка доступности не выполнена: не уложилась в отведённые 20 с")])
    assert 2 <= len(failed) <= 5
    assert failed[0] == ("Не удалось проверить — основная версия: проверка доступности не выполнена: "
                         "не уложилась в отведённые 20 с")
    assert summarise_ru([]) == ["Дополнительная проверка доступности не проводилась."]


def test_page_that_redirects_itself_after_load_is_checked(browser, servers):
    """A script redirect right after `load` destroys the JS context; the check waits and goes on."""
    r, _, offsite = check(browser, servers["clean"].url("/moved.html"))
    assert not r.error, r.error
    assert offsite == []
    assert r.violations_by_impact["critical"] == 0 and r.zoom_200_horizontal_scroll is False


def test_slow_axe_keeps_the_zoom_result(browser, servers, monkeypatch):
    import crawler.control.accessibility as a11y

    async def stuck_axe(page):
        await asyncio.sleep(30)

    monkeypatch.setattr(a11y, "_axe", stuck_axe)
    r, _, _ = check(browser, servers["wide"].url("/"), timeout=3)
    assert r.error == "Проверка axe-core не выполнена: не уложилась в отведённые 3 с"
    assert r.zoom_200_horizontal_scroll is True and r.violations == [] and r.violations_by_impact == {}
    lines = summarise_ru([r])
    assert any("горизонтальная прокрутка" in line for line in lines)
    assert any(line.startswith("Не удалось проверить — основная версия: проверка axe-core") for line in lines)
