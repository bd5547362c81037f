"""Supplementary accessibility checks (not NOK points): axe-core and the 200 % zoom rule of ПП РФ № 102.

`check_accessibility(context, url)` opens one page in a Playwright BrowserContext and
  * emulates 200 % browser zoom and measures whether a horizontal scrollbar appears or the content is
    cut off (ПП РФ от 07.02.2026 № 102: text zoom to at least 200 % without a horizontal scrollbar);
  * loads the page again at the context's window size and runs axe-core offline (the copy bundled in
    axe-playwright-python is injected with page.evaluate; nothing is fetched), keeping for every
    violated rule its id, impact, Russian help text (reports/axe_ru.py, generated from
    axe-core's own ru.json), the number of elements,
    up to 3 example CSS selectors, WCAG criteria and the rule's help URL as plain text.
It never raises: any failure is returned as AccessibilityResult.error (Russian), with whatever was
measured before the failure kept.

The Russian lines of the report about these results are written by reports/accessibility_text.py.
"""
from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import axe_playwright_python

from checklists.model.control import IMPACTS, AccessibilityResult
from reports.accessibility_text import help_ru

AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
_m = re.search(r"axe v(\d+\.\d+\.\d+)", AXE_SCRIPT[:200])
AXE_VERSION = _m.group(1) if _m else ""

MAX_TARGETS = 3

# axe.run options. Only violations are wanted (passes/incomplete are cut to one node each by
# resultTypes). iframes=False: axe would otherwise wait up to a minute for an answer from every
# frame it was not injected into (maps, video and social widgets are third-party content anyway).
AXE_OPTIONS = {"resultTypes": ["violations"], "iframes": False}

# Run axe and shrink its answer inside the page: a big page can have thousands of failing nodes,
# each with HTML snippets and check data; only counts and three selectors cross the CDP pipe.
_AXE_RUN_JS = """async ([opts, maxTargets]) => {
  const r = await axe.run(document, opts);
  return {
    version: (r.testEngine && r.testEngine.version) || axe.version || "",
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
      nodes: v.nodes.length,
      targets: v.nodes.slice(0, maxTargets).map(n => n.target),
    })),
  };
}"""

# 200 % zoom. In a desktop browser, zooming to 200 % makes every CSS pixel two device pixels: a
# 1280×900 window then lays out exactly like a 640×450 CSS-px viewport at device scale factor 2
# (media queries, percentages, vw/vh and window.innerWidth all see 640). The device scale factor
# changes only rendering sharpness (and `resolution` media queries), not layout, so a page of
# viewport 640×450 reproduces the zoomed layout. The page is loaded afresh at that size (as when the
# browser keeps 200 % for the site), then the width of the document's scrolling box is compared
# with the viewport: document.scrollingElement.scrollWidth > window.innerWidth + 1 means content
# sticks out to the right, i.e. a horizontal scrollbar (a violation of ПП РФ № 102). innerWidth
# includes the vertical scrollbar and +1 absorbs sub-pixel rounding, so neither gives a false alarm.
# The details also say whether the page can really be scrolled sideways (window.scrollTo) — when
# html/body have overflow-x: hidden the wide content is cut off instead, which is reported too —
# and which elements stick out.
ZOOM_PERCENT = 200
ZOOM_WINDOW = {"width": 1280, "height": 900}
ZOOM_VIEWPORT = {"width": ZOOM_WINDOW["width"] * 100 // ZOOM_PERCENT,
                 "height": ZOOM_WINDOW["height"] * 100 // ZOOM_PERCENT}

_ZOOM_MEASURE_JS = """(maxElements) => {
  const de = document.documentElement, body = document.body;
  const se = document.scrollingElement || de;            // body in quirks mode (old sites without doctype)
  const vw = window.innerWidth;
  const ox = el => el ? getComputedStyle(el).overflowX : "visible";
  // The viewport takes html's overflow, or body's when html's is `visible` (CSS overflow propagation).
  const viewportOverflow = ox(de) !== "visible" ? ox(de) : ox(body);
  const rootClips = ox(de) !== "visible" || ox(body) !== "visible";
  const scrollWidth = se.scrollWidth;
  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = (typeof el.className === "string" ? el.className : "").trim().split(/\\s+/).filter(Boolean);
    if (cls.length) s += "." + cls.slice(0, 2).join(".");
    return s;
  };
  const wide = [];
  let contentRight = 0, widerThanWindow = false;
  if (scrollWidth > vw + 1 || rootClips) {
    // The outermost elements whose right edge passes the viewport and that no clipping or scrolling
    // ancestor (below body) contains: these make the page wide. Fixed elements do not scroll.
    const all = body ? body.getElementsByTagName("*") : [];
    const insideClip = el => {
      for (let p = el.parentElement; p && p !== body && p !== de; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== "visible") return true;
      }
      return false;
    };
    for (let i = 0; i < all.length && i < 20000; i++) {
      const el = all[i];
      const r = el.getBoundingClientRect();
      const right = r.right + window.scrollX;
      if (right <= vw + 1 || r.width === 0 || r.height === 0) continue;
      const parent = el.parentElement;
      if (parent && parent !== body && parent.getBoundingClientRect().right + window.scrollX > vw + 1) continue;
      if (getComputedStyle(el).position === "fixed" || insideClip(el)) continue;
      contentRight = Math.max(contentRight, right);
      if (r.width > vw + 1) widerThanWindow = true;
      if (wide.length < maxElements)
        wide.push({selector: describe(el), width: Math.round(r.width), right: Math.round(right)});
    }
  }
  const imgs = Array.from(document.images);
  return {
    viewport_width: vw, viewport_height: window.innerHeight, client_width: se.clientWidth,
    scroll_width: scrollWidth, content_width: Math.round(Math.max(scrollWidth, contentRight)),
    viewport_overflow_x: viewportOverflow, root_clips: rootClips, wider_than_window: widerThanWindow,
    compat_mode: document.compatMode,
    images: imgs.length,
    images_not_loaded: imgs.filter(i => i.complete && i.naturalWidth === 0 && i.currentSrc).length,
    wide_elements: wide,
  };
}"""

_SETTLE_JS = """() => new Promise(res =>
  requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(res, 100))))"""
LOAD_WAIT = 5.0      # after DOMContentLoaded, wait at most this long for `load` (counters, slow widgets)

def _criteria(tags: list[str]) -> list[str]:
    """WCAG success criteria from axe tags: wcag143 -> 1.4.3, wcag1410 -> 1.4.10."""
    out = []
    for t in tags or []:
        m = re.fullmatch(r"wcag(\d)(\d)(\d{1,2})", t)
        if m:
            out.append(".".join(m.groups()))
    return out


def _target_text(target) -> str:
    """axe node.target: a list of selectors; a nested list means shadow DOM / frames."""
    if isinstance(target, list):
        return " >>> ".join(_target_text(t) for t in target)
    return str(target)


def _violation(v: dict) -> dict:
    impact = v.get("impact") if v.get("impact") in IMPACTS else "minor"
    tags = v.get("tags") or []
    return {
        "id": v.get("id", ""),
        "impact": impact,
        "help_ru": help_ru(v.get("id", ""), v.get("help", "")),
        "help_en": v.get("help", ""),
        "nodes": int(v.get("nodes") or 0),
        "targets": [_target_text(t) for t in (v.get("targets") or [])[:MAX_TARGETS]],
        "help_url": (v.get("helpUrl") or "").split("?", 1)[0],
        "wcag": _criteria(tags),
        "best_practice": "best-practice" in tags,
    }


class _CheckFailed(Exception):
    """A Russian reason that the check cannot go on (HTTP error, not an HTML page)."""


_NET_ERRORS_RU = {
    "ERR_CONNECTION_REFUSED": "соединение отклонено",
    "ERR_CONNECTION_RESET": "соединение сброшено",
    "ERR_CONNECTION_CLOSED": "соединение закрыто сервером",
    "ERR_CONNECTION_TIMED_OUT": "истекло время ожидания соединения",
    "ERR_TIMED_OUT": "истекло время ожидания",
    "ERR_NAME_NOT_RESOLVED": "доменное имя не найдено",
    "ERR_ADDRESS_UNREACHABLE": "адрес недоступен",
    "ERR_EMPTY_RESPONSE": "сервер ничего не ответил",
    "ERR_TOO_MANY_REDIRECTS": "слишком много перенаправлений",
    "ERR_INVALID_RESPONSE": "некорректный ответ сервера",
    "ERR_INVALID_HTTP_RESPONSE": "некорректный ответ сервера",
    "ERR_ABORTED": "загрузка прервана",
    "ERR_BLOCKED_BY_CLIENT": "запрос заблокирован",
    "ERR_FAILED": "загрузка не удалась",
    "ERR_INTERNET_DISCONNECTED": "нет подключения к сети",
    "ERR_SSL_PROTOCOL_ERROR": "ошибка протокола TLS",
}


def _error_ru(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, _CheckFailed):
        return str(exc)
    msg = str(exc) or exc.__class__.__name__
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) or exc.__class__.__name__ == "TimeoutError":
        return f"не уложилась в отведённые {timeout:g} с"
    m = re.search(r"net::(ERR_[A-Z0-9_]+)", msg)
    if m:
        code = m.group(1)
        what = _NET_ERRORS_RU.get(code) or ("ошибка сертификата" if "CERT" in code else "сетевая ошибка")
        return f"страница не открылась: {what} (net::{code})"
    low = msg.lower()
    if "crash" in low:
        return "вкладка браузера аварийно завершилась"
    if "download is starting" in low:
        return "по адресу не страница, а файл для скачивания"
    if "has been closed" in low:
        return "браузер или вкладка закрылись во время проверки"
    if "execution context was destroyed" in low or "navigat" in low and "interrupted" in low:
        return "страница сама перешла на другой адрес во время проверки"
    first = msg.strip().splitlines()[0][:200] if msg.strip() else exc.__class__.__name__
    return f"ошибка браузера: {first}"


async def _open(page, url: str, deadline: float) -> None:
    """Navigate and wait until the page has settled (load, or LOAD_WAIT after DOMContentLoaded)."""
    remaining = max(deadline - time.monotonic(), 0.1)
    response = await page.goto(url, wait_until="domcontentloaded", timeout=remaining * 1000)
    if response is not None:
        if response.status >= 400:
            raise _CheckFailed(f"страница ответила кодом HTTP {response.status}")
        ctype = (response.headers.get("content-type") or "").split(";")[0].strip().lower()
        if ctype and "html" not in ctype:
            raise _CheckFailed(f"по адресу не HTML-страница ({ctype})")
    await _wait_load(page, deadline)


async def _wait_load(page, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    try:
        await page.wait_for_load_state("load", timeout=max(min(remaining, LOAD_WAIT), 0.1) * 1000)
    except Exception as exc:      # a slow counter or widget: check what has loaded
        if exc.__class__.__name__ != "TimeoutError":
            raise


def _navigated(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return "execution context was destroyed" in msg


async def _settled(page, fn, deadline: float):
    """Let the page settle (two frames + 100 ms), then run `fn`. A page that moves on by itself (a
    script or <meta refresh> redirect right after load) destroys the JS context: wait for the new
    document and try again, at most twice."""
    for attempt in range(3):
        try:
            await page.evaluate(_SETTLE_JS)
            return await fn()
        except Exception as exc:
            if attempt == 2 or not _navigated(exc):
                raise
            await _wait_load(page, deadline)


async def _axe(page) -> dict:
    await page.evaluate(AXE_SCRIPT)
    return await page.evaluate(_AXE_RUN_JS, [AXE_OPTIONS, MAX_TARGETS])


async def _zoom(page, url: str, result: AccessibilityResult, deadline: float) -> None:
    t0 = time.monotonic()
    await page.set_viewport_size(ZOOM_VIEWPORT)
    await _open(page, url, deadline)
    measured = await _settled(page, lambda: page.evaluate(_ZOOM_MEASURE_JS, MAX_TARGETS), deadline)
    vw = measured["viewport_width"]
    overflow = measured["scroll_width"] > vw + 1
    # A user sees a scrollbar unless the viewport's overflow-x hides it (then the page is cut off).
    scrollbar = overflow and measured["viewport_overflow_x"] not in ("hidden", "clip")
    # html and body both overflow-x: hidden make the document's scroll width the window's; a block
    # wider than the window that no inner box clips is then cut off at the right edge.
    clipped = (overflow and not scrollbar) or (measured["root_clips"] and measured["wider_than_window"])
    result.zoom_200_horizontal_scroll = overflow or clipped
    measured.update(horizontal_scrollbar=scrollbar, content_clipped=clipped)
    result.zoom_details = {
        "zoom_percent": ZOOM_PERCENT,
        "window": f"{ZOOM_WINDOW['width']}x{ZOOM_WINDOW['height']}",
        "method": (f"окно {ZOOM_WINDOW['width']}×{ZOOM_WINDOW['height']} при масштабе {ZOOM_PERCENT} % "
                   f"= область просмотра {ZOOM_VIEWPORT['width']}×{ZOOM_VIEWPORT['height']} CSS px; "
                   "страница загружена заново, ширина документа сравнена с шириной окна"),
        **measured,
        "seconds": round(time.monotonic() - t0, 3),
    }


async def _axe_check(page, url: str, result: AccessibilityResult, deadline: float, viewport: dict) -> None:
    t0 = time.monotonic()
    await page.set_viewport_size(viewport)
    await _open(page, url, deadline)
    raw = await _settled(page, lambda: _axe(page), deadline)
    result.axe_version = raw.get("version") or AXE_VERSION
    violations = [_violation(v) for v in raw.get("violations") or []]
    order = {imp: i for i, imp in enumerate(IMPACTS)}
    violations.sort(key=lambda v: (order[v["impact"]], -v["nodes"], v["id"]))
    result.violations = violations
    result.violations_by_impact = {imp: sum(1 for v in violations if v["impact"] == imp) for imp in IMPACTS}
    if result.zoom_details:
        result.zoom_details["axe_seconds"] = round(time.monotonic() - t0, 3)


async def _run(page, url: str, result: AccessibilityResult, state: dict, deadline: float) -> None:
    # The zoom rule of ПП РФ № 102 first (cheap, and the one a regulation names); then axe-core on the
    # page loaded afresh at the context's own window size (a slow axe run then keeps the zoom result).
    viewport = page.viewport_size or dict(ZOOM_WINDOW)
    state["phase"] = "zoom"
    await _zoom(page, url, result, deadline)
    state["phase"] = "axe"
    await _axe_check(page, url, result, deadline, viewport)


async def check_accessibility(context, url: str, variant: str = "normal",
                              timeout: float = 20.0) -> AccessibilityResult:
    """axe-core and the 200 % zoom check of one page; `timeout` is the budget for the whole check.

    Use a context whose images are not blocked (site_context(browser, block_resources=False)):
    an image without width/height collapses when blocked, which hides overflow at 200 % zoom."""
    result = AccessibilityResult(url=url, variant=variant, axe_version=AXE_VERSION)
    state: dict = {"phase": "load"}
    page = None
    deadline = time.monotonic() + timeout

    async def body():
        nonlocal page
        page = await context.new_page()
        await _run(page, url, result, state, deadline)

    try:
        await asyncio.wait_for(body(), timeout)
    except asyncio.CancelledError:
        raise
    except Exception as exc:      # noqa: BLE001 - every failure becomes a Russian reason
        reason = _error_ru(exc, timeout)
        if state["phase"] == "axe" and result.zoom_details:
            result.error = f"Проверка axe-core не выполнена: {reason}"
        else:
            result.error = f"Проверка доступности не выполнена: {reason}"
            result.zoom_200_horizontal_scroll = None
            result.zoom_details = {}
    finally:
        if page is not None:
            try:
                await asyncio.wait_for(page.close(), 5)
            except BaseException:   # noqa: BLE001 - a dead browser must not turn into an exception here
                pass
    return result


# ---------------------------------------------------------------------------- report lines
