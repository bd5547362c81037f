"""The interpreter of control scenarios: one handler per step kind and the run of a scenario
(crawler/control/scenario.py says what a scenario file may hold, crawler/control/context.py what a run sees)."""
from __future__ import annotations

import asyncio
import os
import re
import time
from datetime import datetime, timezone
from urllib.parse import urljoin

from playwright.async_api import Error as PlaywrightError

from checklists.model.control import BROWSER, HTTP, Screenshot
from crawler.control import dom_scripts as js
from crawler.control.context import RunContext, css_color_hex
from crawler.control.form_fill import expectation, fill_fields
from crawler.control.scenario import CALLS, FINDERS, Step, Verdict, regex_or_text

_PROFILE = bool(os.environ.get("NOK_CONTROL_PROFILE"))


# ---- step handlers ------------------------------------------------------------------------------------
class _NavTracker:
    """Notices a main-frame navigation started by a click, so the check waits for the new page."""

    def __init__(self, page):
        self.page = page
        self.requested = False
        self.committed = False
        self.failed = ""
        self.response = None
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_failed)
        page.on("framenavigated", self._on_nav)

    def _main(self, req) -> bool:
        try:
            return req.is_navigation_request() and req.frame == self.page.main_frame
        except Exception:
            return False

    def _on_request(self, req):
        if self._main(req):
            self.requested = True

    def _on_response(self, resp):
        if self._main(resp.request):
            self.response = resp

    def _on_failed(self, req):
        if self._main(req):
            self.failed = req.failure or "ошибка загрузки"

    def _on_nav(self, frame):
        if frame == self.page.main_frame:
            self.committed = True

    def detach(self):
        for ev, fn in (("request", self._on_request), ("response", self._on_response),
                       ("requestfailed", self._on_failed), ("framenavigated", self._on_nav)):
            try:
                self.page.remove_listener(ev, fn)
            except Exception:
                pass


async def click_and_settle(ctx: RunContext, loc, what: str, settle: float = 0.15, log: str | None = None) -> None:
    """Click (falling back to a script click for an element Playwright cannot click), then wait for
    a navigation it started, and record the new page's status."""
    page = ctx.page
    tracker = _NavTracker(page)
    try:
        if await loc.is_visible():
            try:
                await loc.click(timeout=min(2000, ctx.timeout_ms(0.3)), no_wait_after=True)
            except PlaywrightError:
                await loc.evaluate("(e) => e.click()")
                ctx.log(f"«{what}» не удалось нажать мышью (элемент перекрыт) — нажатие выполнено скриптом")
        else:
            await loc.evaluate("(e) => e.click()")
            ctx.log(f"«{what}» не виден на экране — нажатие выполнено скриптом")
        ctx.log(log or f"нажат элемент «{what}»")
        await asyncio.sleep(settle)
        if tracker.requested:
            deadline = time.monotonic() + ctx.timeout_ms(0.5) / 1000
            while not (tracker.committed or tracker.failed) and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if tracker.failed:
                raise Verdict(False, f"после нажатия «{what}» страница не открылась: {tracker.failed}")
            try:
                await page.wait_for_load_state("load", timeout=ctx.timeout_ms(0.4))
            except Exception:
                ctx.log("страница после нажатия загружалась слишком долго — измерение выполнено до конца загрузки")
            if tracker.response is not None:
                ctx.status = tracker.response.status
            ctx.vars["navigated"] = True
            ctx.log(f"нажатие «{what}» открыло страницу {page.url}"
                    + (f" (HTTP {ctx.status})" if tracker.response is not None else ""))
    finally:
        tracker.detach()


async def _step_open(ctx: RunContext, step: Step) -> None:
    target = step.args["url"]
    cand = ctx.candidate
    if target == "candidate":
        if cand is None:
            raise Verdict(None, "нечего открывать: адрес не определён")
        url = cand.url
        if cand.offsite:
            raise Verdict(None, f"страница {url} на другом сайте — в браузере не открывалась")
    else:
        base = cand.url if cand is not None else ctx.site.start_url
        url = urljoin(base, ctx.fmt(target))
        if not ctx.site.is_onsite(url):
            raise Verdict(None, f"страница {url} на другом сайте — в браузере не открывалась")
    page = await ctx.new_page()
    ctx.method = BROWSER
    try:
        # Without the fragment: a reused page already showing that address would not reload otherwise.
        resp = await page.goto(url.split("#", 1)[0], wait_until="load")
    except Exception as exc:
        msg = str(exc).splitlines()[0]
        if "Timeout" in msg or "timeout" in msg:
            raise Verdict(None, f"страница {url} не загрузилась за отведённое время") from None
        m = re.search(r"net::(ERR_[A-Z_]+)", msg)
        raise Verdict(None, f"страница {url} не открылась: {m.group(1) if m else msg}") from None
    ctx.status = resp.status if resp is not None else None
    ctx.url = ctx.url or url
    ctx.vars["title"] = await page.evaluate(
        "() => { const h = document.querySelector('main h1, h1'); return ((h && h.textContent) || document.title).replace(/\\s+/g, ' ').trim().slice(0, 120); }")
    ctx.log(f"открыта страница {url}" + (f" (HTTP {ctx.status})" if ctx.status is not None else ""))


async def _locate(ctx: RunContext, base, spec: dict):
    """Matching locators for one find variant (selector / text / role+name)."""
    if "selector" in spec:
        return base.locator(spec["selector"])
    if "text" in spec:
        return base.get_by_text(regex_or_text(spec["text"]))
    name = spec.get("name")
    return base.get_by_role(spec["role"], name=regex_or_text(name) if name else None)


async def _first_usable(loc, limit: int = 10):
    """The first visible match, else the first attached one, else None."""
    n = await loc.count()
    first = None
    for i in range(min(n, limit)):
        el = loc.nth(i)
        if await el.is_visible():
            return el, True
        first = first or el
    return (first, False) if first is not None else (None, False)


_MARK = """(e, n) => {
  document.querySelectorAll('[data-nok-el]').forEach((x) => { if (x !== e && x.getAttribute('data-nok-el') === n) x.removeAttribute('data-nok-el'); });
  e.setAttribute('data-nok-el', n);
}"""


async def _step_find(ctx: RunContext, step: Step) -> None:
    a = step.args
    name = a.get("as", "found")
    page = ctx.page
    if page is None:
        raise Verdict(None, "поиск элемента без открытой страницы: в сценарии нет шага open")
    base = ctx.element(a["within"]) if a.get("within") else page
    if "call" in a:
        el = await FINDERS[a["call"]](ctx, step, base)
        visible = True
    else:
        variants = a["any"] if "any" in a else [a]
        deadline = time.monotonic() + float(a.get("timeout_ms", 1000)) / 1000
        el, visible = None, False
        while True:
            for v in variants:
                got, vis = await _first_usable(await _locate(ctx, base, v))
                if got is not None and (vis or el is None):
                    el, visible = got, vis
                    if vis:
                        break
            if (el is not None and visible) or time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.2)
        if el is None:
            raise Verdict(False, ctx.fmt(step.reason or "на странице не найден нужный элемент"), found=False)
    # Mark it (and only it), so it is found again even after its text changes («Обычная версия»).
    handle = await el.element_handle(timeout=2000)
    await handle.evaluate(_MARK, name)
    await handle.dispose()
    loc = page.locator(f'[data-nok-el="{name}"]').first
    ctx.elements[name] = loc
    if "call" in a and ctx.vars.get(f"{name}_found"):
        ctx.log(ctx.vars[f"{name}_found"])          # the finder says what it found
        return
    text = await loc.evaluate(js.ELEMENT_TEXT)
    ctx.vars[f"{name}_text"] = text
    ctx.log(f"найден элемент «{text or name}»" + ("" if visible else " (на экране не виден)"))


async def _step_click(ctx: RunContext, step: Step) -> None:
    name = step.args["element"]
    loc = ctx.element(name)
    what = ctx.vars.get(f"{name}_text") or name
    await click_and_settle(ctx, loc, what)


async def _step_wait(ctx: RunContext, step: Step) -> None:
    if "ms" in step.args:
        await asyncio.sleep(float(step.args["ms"]) / 1000)
        return
    sel = step.args["for"]
    try:
        await ctx.page.wait_for_selector(sel, state="visible", timeout=float(step.args.get("timeout_ms", 3000)))
    except Exception:
        raise Verdict(False, ctx.fmt(step.reason or f"на странице не появился элемент {sel}")) from None


async def step_screenshot(ctx: RunContext, step: Step) -> None:
    if ctx.page is None:
        return
    shots = ctx.out_dir / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    label = step.args.get("as") or ("before" if not ctx.screenshots else "after")
    if step.args.get("at") in ctx.elements:            # bring the element (a form low on the page) into view
        try:
            await ctx.elements[step.args["at"]].scroll_into_view_if_needed(timeout=1000)
        except PlaywrightError:
            pass
    rel = f"screenshots/{ctx.item_id}-{ctx.attempt}-{label}.png"
    await ctx.page.screenshot(path=str(ctx.out_dir / rel), type="png", full_page=False,
                              timeout=ctx.timeout_ms(0.3), animations="disabled", caret="hide")
    caption = ctx.fmt(step.args["caption"])
    ctx.screenshots.append(Screenshot(rel, caption, datetime.now(timezone.utc).isoformat(timespec="seconds")))
    ctx.log(f"снимок экрана: {caption}")


async def measure_page(ctx: RunContext) -> dict:
    return await ctx.page.evaluate(js.MEASURE, {"panel": [p.lower() for p in ctx.settings.get("panel_phrases", [])],
                                                "panel_selectors": ctx.settings.get("panel_selectors", []),
                                                "active_classes": ctx.settings.get("active_classes", [])})


async def _step_measure(ctx: RunContext, step: Step) -> None:
    m = await measure_page(ctx)
    what = step.args["what"]
    keep = {"url": m["url"], "para_text": m["para_text"], "scripts": m["scripts"], "script_status": m["script_status"],
            "active": m["active"]}
    if "font_size" in what:
        keep.update(body_font=m["body_font"], para_font=m["para_font"])
    if "colors" in what:
        keep.update(body_color=m["body_color"], body_bg=m["body_bg"], para_color=m["para_color"], para_bg=m["para_bg"])
    if "panel" in what:
        keep["panel"] = m["panel"]
    ctx.measures[step.args["as"]] = keep
    parts = []
    if "font_size" in what:
        parts.append(f"шрифт текста {keep['para_font']:g} px".replace(".", ","))
    if "colors" in what:
        parts.append(f"цвет текста {css_color_hex(keep['para_color'])}, фон {css_color_hex(keep['para_bg'])}")
    if "panel" in what and keep["panel"]:
        parts.append("на экране: " + ", ".join(f"«{p}»" for p in keep["panel"]))
    label = {"before": "до нажатия", "after": "после нажатия"}.get(step.args["as"], step.args["as"])
    ctx.log(f"замер {label}: " + "; ".join(parts))


async def _step_call(ctx: RunContext, step: Step) -> None:
    args = {k: v for k, v in step.args.items() if k != "name"}
    await CALLS[step.args["name"]](ctx, step, **args)


async def _step_fill(ctx: RunContext, step: Step) -> None:
    await fill_fields(ctx, step)


async def _step_expect(ctx: RunContext, step: Step) -> None:
    """`expect: {…, screenshot: caption}` takes an "after" screenshot when the expectation fails."""
    try:
        await expectation(ctx, step)
    except Verdict:
        caption = step.args.get("screenshot")
        if caption and ctx.page is not None:
            await step_screenshot(ctx, Step("screenshot", {"as": "after", "caption": caption}))
        raise


HANDLERS = {"open": _step_open, "find": _step_find, "fill": _step_fill, "click": _step_click,
            "wait": _step_wait, "expect": _step_expect, "screenshot": step_screenshot,
            "measure": _step_measure, "call": _step_call}


async def run_steps(ctx: RunContext, steps: list[Step]) -> None:
    for step in steps:
        t0 = time.monotonic()
        try:
            await HANDLERS[step.kind](ctx, step)
            if _PROFILE:
                ctx.details.setdefault("_timing", []).append(f"{step.kind}:{step.args.get('name', '') or step.args.get('as', '')} {time.monotonic() - t0:.3f}")
        except Verdict as v:
            if step.optional and v.works is False:
                ctx.log(f"необязательный шаг не выполнен: {v.reason}")
                continue
            raise


async def run_scenario(ctx: RunContext) -> tuple[bool | None, str, bool]:
    """Run one scenario on one candidate: (works, reason, found)."""
    sc = ctx.scenario
    try:
        await run_steps(ctx, sc.steps)
        works, reason, found = True, ctx.fmt(ctx.success or sc.success or "проверка пройдена"), True
    except Verdict as v:
        works, reason, found = v.works, v.reason, v.found
    if sc.final and ctx.page is not None:
        try:
            await run_steps(ctx, sc.final)
        except Verdict as v:
            ctx.log(f"завершающий шаг не выполнен: {v.reason}")
        except Exception as exc:          # the verdict stands; the page is closed anyway
            ctx.log(f"завершающий шаг не выполнен: {str(exc).splitlines()[0][:200]}")
    return works, reason, found
