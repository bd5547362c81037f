"""The version for the visually impaired (acc_alt_version): switching it on (a link, a button, a panel),
measuring the font size and colours before and after, judging the change, switching back."""
from __future__ import annotations

import asyncio
import re


from checklists.model.control import HTTP
from crawler.control import dom_scripts as js
from crawler.control.scenario import Step, Verdict, call_step
from crawler.control.context import RunContext
from crawler.control.context import css_color_hex as _hex
from crawler.control.steps import click_and_settle, measure_page


# ---- version for the visually impaired (acc_alt_version) ----------------------------------------------
def _rgb(c: str) -> tuple[float, float, float]:
    nums = [float(x) for x in re.findall(r"[\d.]+", c or "")[:3]]
    return tuple(nums) if len(nums) == 3 else (0.0, 0.0, 0.0)


def _dist(a: str, b: str) -> float:
    return sum((x - y) ** 2 for x, y in zip(_rgb(a), _rgb(b))) ** 0.5


def px(v: float) -> str:
    return f"{v:g}".replace(".", ",") + " px"


def _compare(ctx: RunContext, before: dict, after: dict) -> dict:
    """The change of the main text (a content paragraph), never of <body>: plugins style the text elements
    and the content block, and a body-only change is not what a reader sees."""
    s = ctx.settings
    growth_min = float(s.get("font_growth", 1.2))
    dist_min = float(s.get("color_distance", 100))
    pb, pa = before.get("para_font") or 0, after.get("para_font") or 0
    growth = pa / pb if pb else 1.0
    color = max(_dist(before.get("para_color", ""), after.get("para_color", "")),
                _dist(before.get("para_bg", ""), after.get("para_bg", "")))
    new_panel = [p for p in after.get("panel", []) if p not in before.get("panel", [])]
    active = [c for c in after.get("active", []) if c not in before.get("active", [])]
    return {"growth": growth, "font_ok": growth >= growth_min, "color_change": color,
            "color_ok": color >= dist_min, "new_panel": new_panel, "active": active}


async def _poll_change(ctx: RunContext, before: dict, wait_s: float, prev: dict | None = None) -> tuple[dict, dict]:
    """Measure until the text changes enough (against `before`), or changes at all (against `prev`, after a
    panel control was pressed), at most wait_s (a plugin may need a moment). A panel that appeared without a
    change ends the wait early (half of it): its controls are used next."""
    t0 = asyncio.get_running_loop().time()
    while True:
        after = await measure_page(ctx)
        cmp = _compare(ctx, before, after)
        elapsed = asyncio.get_running_loop().time() - t0
        moved = prev is not None and (after["para_font"] != prev["para_font"] or after["para_color"] != prev["para_color"]
                                      or after["para_bg"] != prev["para_bg"])
        if (cmp["font_ok"] or cmp["color_ok"] or moved or elapsed >= wait_s
                or (prev is None and (cmp["new_panel"] or cmp["active"]) and elapsed >= wait_s / 2)):
            return after, cmp
        await asyncio.sleep(0.1)


async def _press(ctx: RunContext, script: str, args: dict, mark: str, before: dict, prev: dict, wait_s: float):
    """Find a panel control (FIND_ENLARGE / FIND_SCHEME), press it, measure: (text, after, cmp) or None."""
    r = await ctx.page.evaluate(script, args)
    if not r["found"]:
        return None
    await click_and_settle(ctx, ctx.page.locator(f'[data-nok-el="{mark}"]').first, r["text"],
                           log=f"на панели нажата кнопка «{r['text']}»")
    after, cmp = await _poll_change(ctx, before, wait_s, prev)
    return r["text"], after, cmp


async def _use_panel(ctx: RunContext, before: dict, after: dict, cmp: dict, wait_s: float) -> tuple[dict, dict]:
    """Use the plugin's panel as a person would: «А+» several times (bvi and Госвеб grow the text by ~1 px a
    click), then, if the text is still not much larger, a colour-scheme button (white on black)."""
    s = ctx.settings
    panel = cmp["new_panel"]
    used: list[str] = []
    clicks, label = 0, ""
    while clicks < int(s.get("enlarge_clicks", 6)) and not cmp["font_ok"]:
        got = await _press(ctx, js.FIND_ENLARGE, {"patterns": s.get("enlarge_controls", [])}, "enlarge",
                           before, after, wait_s)
        if got is None:
            break
        label, new, cmp = got
        clicks += 1
        grew = new["para_font"] > after["para_font"]
        after = new
        if not grew:                               # «А+» does nothing (more): no point pressing again
            break
    if clicks:
        used.append(f"«{label}»" + (f" ×{clicks}" if clicks > 1 else ""))
        ctx.log(f"после нажатий «{label}» ({clicks}): шрифт текста {px(after['para_font'])} (было {px(before['para_font'])})")
    else:
        ctx.log("на панели не найдена кнопка увеличения шрифта")
    if not (cmp["font_ok"] or cmp["color_ok"]):
        got = await _press(ctx, js.FIND_SCHEME, {"selectors": s.get("scheme_selectors", []),
                                                 "patterns": s.get("scheme_controls", [])},
                           "scheme", before, after, wait_s)
        if got is None:
            ctx.log("на панели не найдена кнопка смены цветовой схемы")
        else:
            used.append(f"«{got[0]}»")
            after = got[1]
    if used:
        ctx.vars["panel_control"] = ", ".join(used)
    after["panel"] = list(dict.fromkeys(after["panel"] + panel))
    return after, _compare(ctx, before, after)


@call_step("measure_alt_version")
async def measure_alt_version(ctx: RunContext, step: Step) -> None:
    """Measure after the switch. A slow plugin gets one more moment; when a panel of settings appeared (or a
    plugin's «on» class) without a big enough change, its controls are used and the text measured again."""
    before = ctx.measures.get("before")
    if before is None:
        raise Verdict(None, "в сценарии нет замера до нажатия (measure … as: before)")
    wait_s = float(ctx.settings.get("wait_change_ms", 800)) / 1000
    after, cmp = await _poll_change(ctx, before, wait_s)
    if not (cmp["font_ok"] or cmp["color_ok"]) and (cmp["new_panel"] or cmp["active"]):
        shown = [f"«{p}»" for p in cmp["new_panel"]] + [f"класс {c}" for c in cmp["active"]]
        ctx.log("появилась панель настроек: " + ", ".join(shown))
        after, cmp = await _use_panel(ctx, before, after, cmp, wait_s)
    ctx.measures["after"] = after
    ctx.details["measurements"] = {"before": before, "after": after,
                                   "font_growth": round(cmp["growth"], 3), "color_change": round(cmp["color_change"], 1),
                                   "panel": cmp["new_panel"], "active": cmp["active"]}
    ctx.vars["cmp"] = cmp
    ctx.log(f"замер после: шрифт текста {px(after['para_font'])} (было {px(before['para_font'])}), "
            f"цвет текста {_hex(after['para_color'])} на фоне {_hex(after['para_bg'])} "
            f"(было {_hex(before['para_color'])} на {_hex(before['para_bg'])})")


@call_step("judge_alt_version")
async def judge_alt_version(ctx: RunContext, step: Step) -> None:
    """Works: the main text grew by ≥ 20 % or its colour scheme changed noticeably (a contrast scheme); or a
    plugin's «on» class (bvi-active) is set and its panel control visibly changes the text. A panel alone is
    not enough."""
    before, after = ctx.measures.get("before"), ctx.measures.get("after")
    if not before or not after:
        raise Verdict(None, "нет замеров до и после нажатия переключателя")
    cmp = _compare(ctx, before, after)
    switch = ctx.vars.get("switch_text") or "Версия для слабовидящих"
    via = f" (после нажатия {ctx.vars['panel_control']} на панели настроек)" if ctx.vars.get("panel_control") else ""
    parts = []
    if cmp["font_ok"] or (cmp["active"] and via and cmp["growth"] > 1.001):
        parts.append(f"шрифт текста увеличился с {px(before['para_font'])[:-3]} до {px(after['para_font'])} "
                     f"(+{round((cmp['growth'] - 1) * 100)} %){via}")
    if cmp["color_ok"]:
        parts.append(f"цветовая схема сменилась: текст {_hex(after['para_color'])} на фоне {_hex(after['para_bg'])} "
                     f"(было {_hex(before['para_color'])} на {_hex(before['para_bg'])})" + ("" if parts else via))
    if parts:
        where = f" (открыта страница {after['url']})" if after.get("url") != before.get("url") else ""
        on = f"; версия включена (класс {', '.join(cmp['active'])})" if cmp["active"] else ""
        ctx.success = f"после нажатия «{switch}»{where}: " + "; ".join(parts) + on
        return
    same = f"шрифт {px(after['para_font'])}, цвета прежние"
    if cmp["new_panel"] or cmp["active"]:
        shown = [f"«{p}»" for p in cmp["new_panel"][:3]] + [f"класс {c}" for c in cmp["active"]]
        raise Verdict(False, f"после нажатия «{switch}» появилась панель настроек (" + ", ".join(shown)
                             + f"), но ни размер шрифта, ни цвета текста не изменились{via or ''} — {same}")
    if before.get("scripts") or after.get("scripts"):
        m = after if after.get("scripts") else before
        missing = [(src, st) for src, st in zip(m["scripts"], m.get("script_status") or []) if st >= 400]
        if missing:
            raise Verdict(False, f"скрипт версии для слабовидящих не загружается ({missing[0][0].rsplit('/', 1)[-1]}: "
                                 f"HTTP {missing[0][1]}): после нажатия «{switch}» ничего не изменилось ({same})")
        scripts = ", ".join(s.rsplit("/", 1)[-1] for s in m["scripts"][:2])
        raise Verdict(False, f"скрипт версии для слабовидящих подключён ({scripts}), но не срабатывает: после "
                             f"нажатия «{switch}» ничего не изменилось ({same})")
    raise Verdict(False, f"после нажатия «{switch}» ничего не изменилось: {same} — переключатель ни к чему не подключён")


@call_step("restore_normal_version")
async def restore_normal_version(ctx: RunContext, step: Step) -> None:
    page = ctx.page
    r = await page.evaluate(js.FIND_NORMAL_VERSION)
    if r["found"]:
        await click_and_settle(ctx, page.locator('[data-nok-el="normal"]').first, r["text"],
                               log=f"возврат к обычной версии: нажата кнопка «{r['text']}»")
        return
    await ctx.context.clear_cookies()
    try:
        await page.evaluate(js.CLEAR_STORAGE)
    except Exception:
        pass
    ctx.log("возврат к обычной версии: кнопки «Обычная версия» нет — очищены cookies и localStorage сайта")
