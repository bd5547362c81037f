"""The `fill` and `expect` steps of a scenario: typing the test data into the fields of a form by their kind,
and the expectations a step states (status, visible, enabled, valid, filled, link target, at least N)."""
from __future__ import annotations

import re

from checklists.model.control import HTTP
from crawler.control import dom_scripts as js
from crawler.control.candidates import leads_nowhere
from crawler.control.context import RunContext
from crawler.control.scenario import Step, Verdict


def _expect_link_target(ctx: RunContext, step: Step) -> None:
    cand = ctx.candidate
    if cand is None or not cand.href:
        return
    if leads_nowhere(cand.href):
        ctx.url = cand.source_url
        ctx.log(f"ссылка «{cand.text}» на странице {cand.source_url}: href=\"{cand.href}\"")
        ctx.vars.update(link_text=cand.text, href=cand.href)
        raise Verdict(False, ctx.fmt(step.reason or "ссылка «{link_text}» никуда не ведёт (href=\"{href}\")"))


_NAME_PARTS = {"last": 0, "first": 1, "middle": 2}


def _value_for(ctx: RunContext, f: dict, value: str, kind: str) -> str:
    if kind == "name" and f.get("part"):
        words = value.split()
        if len(words) == 3:
            return words[_NAME_PARTS[f["part"]]]
    if kind == "required":
        k = f["kind"]
        if k == "email":
            return ctx.data.get("email", "test@example.org")
        if k == "phone":
            return ctx.data.get("phone", "+7 900 000-00-00")
        if k == "name":
            return _value_for(ctx, f, ctx.data.get("fio", value), "name")
        if k == "message":
            return ctx.fmt(ctx.data.get("message", value))
        if k == "number":
            return "1"
        if k == "date":
            return "2026-01-15"
    return value


def _same_input(typed: str, got: str, kind: str) -> bool:
    """Did the field keep what was typed? An input mask may reformat a phone number (compare the last
    ten digits); maxlength may cut a long message (a prefix of at least 10 characters is accepted)."""
    if got == typed:
        return True
    if not got:
        return False
    if kind == "phone":
        dt, dg = re.sub(r"\D", "", typed), re.sub(r"\D", "", got)
        return len(dg) >= 10 and dt[-10:] == dg[-10:]
    return typed.startswith(got) and len(got) >= min(len(typed), 10)


FIELD_KIND_RU = {"name": "ФИО", "email": "электронная почта", "phone": "телефон", "message": "текст обращения",
                 "subject": "тема обращения", "consent": "согласие на обработку персональных данных",
                 "captcha": "капча", "required": "обязательное поле"}


async def fill_fields(ctx: RunContext, step: Step) -> None:
    """`fill: {in: form, field: <kind|selector>, value}`: type the value into every visible, empty field
    of that kind and read it back. `field: required` fills what is still empty and required (text with
    suitable data, the consent checkbox, the first option of a list). Never presses Enter."""
    a = step.args
    root = ctx.element(a.get("in", "form"))
    kind = a["field"]
    value = ctx.fmt(str(a["value"]))
    if ctx.options.submit_forms and ctx.options.submit_message and kind == "message":
        value = ctx.options.submit_message
    fields = await root.evaluate(js.CLASSIFY_FIELDS)
    page = ctx.page
    if kind in ("name", "email", "phone", "message", "subject", "consent", "captcha"):
        chosen = [f for f in fields if f["kind"] == kind and f["visible"] and f["empty"]]
    elif kind == "required":
        chosen = [f for f in fields if f["required"] and f["empty"] and f["visible"]]
    else:                                       # a CSS selector inside the form
        chosen = []
        loc = root.locator(kind)
        for i in range(await loc.count()):
            idx = await loc.nth(i).get_attribute("data-nok-field")
            chosen += [f for f in fields if str(f["i"]) == idx]
    if not chosen:
        if kind == "required":
            return
        what = FIELD_KIND_RU.get(kind, kind)
        if step.optional:
            ctx.log(f"поля «{what}» в форме нет — пропущено")
            return
        raise Verdict(False, ctx.fmt(step.reason or f"в форме нет поля «{what}»"))
    filled = ctx.vars.setdefault("filled_fields", [])
    radios_done: set[str] = set()
    for f in chosen:
        el = page.locator(f'[data-nok-field="{f["i"]}"]').first
        label = f["label"]
        if not f["editable"]:
            raise Verdict(False, f"поле «{label}» недоступно для ввода (заблокировано)")
        t = f["type"]
        if t == "checkbox":
            await el.check(timeout=2000)
            ok = await el.is_checked()
            shown = "отмечено"
        elif t == "radio":
            if f["name"] in radios_done:
                continue
            radios_done.add(f["name"])
            await el.check(timeout=2000)
            ok = await el.is_checked()
            shown = "выбран вариант"
        elif t == "select" or t.startswith("select"):
            opts = await el.evaluate("(s) => [...s.options].filter(o => o.value && !o.disabled).map(o => o.value)")
            if not opts:
                raise Verdict(False, f"в списке «{label}» нет вариантов для выбора")
            await el.select_option(opts[0], timeout=2000)
            ok = bool(await el.input_value())
            shown = "выбран первый вариант"
        elif t == "file":
            ctx.log(f"поле «{label}» — прикрепление файла, не заполнялось")
            continue
        else:
            v = _value_for(ctx, f, value, kind)
            await el.fill(v, timeout=2000)
            got = await el.input_value()
            ok = _same_input(v, got, f["kind"])
            shown = f"«{v}»"
            if not ok:
                raise Verdict(False, f"поле «{label}» не принимает ввод: введено «{v}», в поле «{got[:60]}»")
        if not ok:
            raise Verdict(False, f"поле «{label}» не принимает ввод ({shown})")
        filled.append(label)
        ctx.log(f"поле «{label}»: {shown}")
    ctx.vars["filled"] = ", ".join(filled)


async def expectation(ctx: RunContext, step: Step) -> None:
    a = step.args
    if "status_below" in a:
        limit = int(a["status_below"])
        if ctx.status is not None and ctx.status >= limit:
            url = ctx.page.url if ctx.page is not None else ctx.url
            raise Verdict(False, ctx.fmt(step.reason) if step.reason
                          else f"страница {url} открылась с ошибкой HTTP {ctx.status}")
        return
    if "link_target" in a:
        _expect_link_target(ctx, step)
        return
    if "at_least" in a:
        for var, minimum in a["at_least"].items():
            if (ctx.vars.get(var) or 0) < minimum:
                raise Verdict(False, ctx.fmt(step.reason or f"значение {var} меньше {minimum}"))
        return
    if "filled" in a:
        if not ctx.vars.get("filled_fields"):
            raise Verdict(False, ctx.fmt(step.reason or "ни одно поле формы не удалось заполнить"))
        return
    if "visible" in a:
        if not await ctx.element(a["visible"]).is_visible():
            raise Verdict(False, ctx.fmt(step.reason or "элемент «{%s_text}» не отображается" % a["visible"]))
        return
    if "enabled" in a:
        el = ctx.element(a["enabled"])
        st = await el.evaluate(js.CONTROL_STATE)
        if st["disabled"]:
            ctx.log(f"кнопка «{ctx.vars.get(a['enabled'] + '_text', '')}» недоступна (disabled)")
            raise Verdict(False, ctx.fmt(step.reason or "элемент «{%s_text}» недоступен" % a["enabled"]))
        ctx.log(f"кнопка «{ctx.vars.get(a['enabled'] + '_text', '')}» активна")
        return
    if "valid" in a:
        r = await ctx.element(a["valid"]).evaluate(js.VALIDITY)
        if not r["valid"]:
            bad = "; ".join(f"«{x['label']}»: {x['message']}" for x in r["invalid"])
            raise Verdict(False, ctx.fmt(step.reason or "после заполнения тестовыми данными форма не проходит "
                                         "проверку браузера: ") + bad)
        ctx.log("проверка заполнения формы браузером (checkValidity) пройдена")
        return
