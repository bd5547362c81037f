"""The electronic reception (ch_e_service): finding the feedback form (revealing it behind a button), its submit
control, the script listeners that could send it, where it is sent (its action) and — only with
--submit-forms — sending it."""
from __future__ import annotations

import asyncio
import re
import socket
from urllib.parse import urlsplit


from checklists.model.control import HTTP
from crawler.control import dom_scripts as js
from crawler.control.channels.http import offline_verdict
from crawler.control.netguard import Refused, is_local
from crawler.control.scenario import Step, Verdict, call_step, finder
from crawler.control.context import RunContext
from crawler.control.steps import click_and_settle, step_screenshot


# ---- feedback form (ch_e_service) ----------------------------------------------------------------------
@finder("feedback_form")
async def find_feedback_form(ctx: RunContext, step: Step, base):
    """The feedback form of the page: a <form> with a textarea or ≥ 2 text fields (not search, not login),
    or a form-less block with a textarea and a button. Without one: an off-site widget (ПОС «Решаем
    вместе», an online consultant) is recorded for the operator unless it rendered; a «раздел в
    разработке» placeholder means the service does not work."""
    page = ctx.page
    args = {"placeholders": [p.lower() for p in ctx.settings.get("placeholder_phrases", [])],
            "widgets": ctx.settings.get("widgets", {})}
    r = await page.evaluate(js.FIND_FEEDBACK_FORM, args)
    if not r["found"] and not r["widget"] and not r["placeholder"]:
        await asyncio.sleep(0.4)                     # a form built by a script a moment after load
        r = await page.evaluate(js.FIND_FEEDBACK_FORM, args)
    if r["found"]:
        form = page.locator('[data-nok-el="form"]').first
        if not r["visible"]:
            opened = await _reveal_form(ctx, form)
            r["visible"] = opened
        ctx.details["form"] = {"fields": r["fields"], "textarea": r["textarea"], "captcha": r["captcha"],
                               "kind": r["kind"]}
        kind = "форма обращения" if r["kind"] == "form" else "блок обращения без тега form"
        ctx.vars["form_found"] = f"найдена {kind}: полей {r['fields']}" + (", есть поле для текста" if r["textarea"] else "")
        ctx.vars["form_text"] = kind
        if r["captcha"]:
            ctx.log("на форме есть капча: при отправке её вводит человек")
        return form
    w = r["widget"]
    if w:
        ctx.details["widget"] = w
        if w["rendered"]:
            ctx.log(f"виджет {w['label']} ({w['host']}) загрузился и отображается")
            await _shot(ctx, "before", f"Виджет {w['label']} на странице")
            raise Verdict(True, f"на странице {page.url} отображается виджет {w['label']} ({w['host']}); "
                                "отправка обращения выполняется на сайте виджета")
        ctx.log(f"на странице подключён виджет {w['label']} ({w['host']}), но он не отобразился")
        await _shot(ctx, "before", f"Страница с виджетом {w['label']} (виджет не отобразился)")
        what = "ПОС" if w["host"] == "pos.gosuslugi.ru" else w["label"]
        raise Verdict(None, f"виджет {what} загружается с {w['host']}; проверяется оператором вручную")
    if r["placeholder"]:
        await _shot(ctx, "before", "Страница электронной приёмной: вместо формы — заглушка")
        raise Verdict(False, f"на странице {page.url} вместо формы обращения заглушка: «{r['placeholder']}»")
    raise Verdict(False, f"на странице {page.url} нет формы обращения", found=False)


async def _reveal_form(ctx: RunContext, form) -> bool:
    """A form hidden in a pop-up: press the button that opens it («Задать вопрос»)."""
    opener = ctx.page.get_by_role("button", name=re.compile(r"задать вопрос|написать|обращени|обратная связь|отправить сообщение", re.I))
    if await opener.count() == 0:
        opener = ctx.page.get_by_role("link", name=re.compile(r"задать вопрос|написать обращение|отправить обращение", re.I))
    for i in range(min(await opener.count(), 3)):
        el = opener.nth(i)
        if await el.is_visible():
            text = (await el.inner_text())[:60].strip()
            await click_and_settle(ctx, el, text, log=f"нажата кнопка «{text}», открывающая форму")
            await asyncio.sleep(0.3)
            if await form.is_visible():
                ctx.log(f"форма открылась после нажатия «{text}»")
                return True
    return False


async def _shot(ctx: RunContext, label: str, caption: str) -> None:
    await step_screenshot(ctx, Step("screenshot", {"as": label, "caption": caption}))


@finder("submit_control")
async def find_submit(ctx: RunContext, step: Step, base):
    r = await base.evaluate(js.FIND_SUBMIT)
    if not r["found"]:
        raise Verdict(False, ctx.fmt(step.reason or "у формы нет кнопки отправки"))
    ctx.vars["submit_text"] = r["text"]
    ctx.vars["submit_found"] = f"найдена кнопка отправки «{r['text']}»"
    return ctx.page.locator('[data-nok-el="submit"]').first


NOT_SENT_NOTE = "адрес отправки не проверялся без отправки"
# Events whose listeners can send a form: on the submit control, the form or any ancestor (delegation).
SEND_EVENTS = {"submit", "click", "mousedown", "mouseup", "pointerdown", "pointerup", "touchend"}
_CHAIN = """(() => { const out = []; for (let x = document.querySelector('[data-nok-el="%s"]'); x; x = x.parentNode)
  out.push(x); out.push(window); return out; })()"""


async def script_handlers(ctx: RunContext) -> list[str]:
    """Script listeners that could send the form: DevTools' DOMDebugger.getEventListeners on the submit
    control (or the form) and each ancestor up to window (inline onsubmit/onclick attributes included).
    A listener on document or window counts too (delegated handling): a doubt never makes a form dead."""
    cdp = await ctx.context.new_cdp_session(ctx.page)
    found: list[str] = []
    # Only the page's own scripts count (they have the URL of their file or page): the script Playwright injects
    # to drive clicks listens on window too, and has none.
    page_world: dict[str, bool] = {}
    cdp.on("Debugger.scriptParsed", lambda e: page_world.__setitem__(e["scriptId"], bool(e.get("url"))))
    try:
        await cdp.send("Debugger.enable")         # reports every script already parsed, with its world
        start = "submit" if "submit" in ctx.elements else "form"
        chain = await cdp.send("Runtime.evaluate", {"expression": _CHAIN % start})
        props = await cdp.send("Runtime.getProperties", {"objectId": chain["result"]["objectId"], "ownProperties": True})
        for prop in props["result"]:
            obj = prop.get("value") or {}
            if not prop["name"].isdigit() or "objectId" not in obj:
                continue
            got = await cdp.send("DOMDebugger.getEventListeners", {"objectId": obj["objectId"]})
            types = sorted({x["type"] for x in got.get("listeners", [])
                            if x["type"] in SEND_EVENTS and page_world.get(x.get("scriptId", ""), True)})
            if types:
                found.append(f"{obj.get('description', '?')}: {', '.join(types)}")
    finally:
        await cdp.detach()
    return found


async def _host_resolves(host: str, pins: dict) -> bool | None:
    """True/False: the name resolves or not; None: could not tell (a lookup error that is not «no such name»)."""
    if host in pins:
        return True
    try:
        await asyncio.get_running_loop().getaddrinfo(host, None)
        return True
    except socket.gaierror as exc:
        return False if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)) else None


@call_step("check_form_action")
async def check_form_action(ctx: RunContext, step: Step) -> None:
    """Is the form wired, as far as can be seen WITHOUT sending it? Its address is never requested: many
    back ends route the endpoint for POST only and answer GET with 404, 405 or 400, so a GET proves nothing.
    Wired: an action URL (on the site's own host, or on a host whose name resolves) or a script that
    handles the form. Dead: an action of '#'/'javascript:' (or none) with no script listening; an action
    host that does not resolve while the auditor's network works. Whether the endpoint accepts the
    appeal is only tested by sending (--submit-forms)."""
    form = ctx.element("form")
    r = await form.evaluate(js.FORM_ACTION)
    action, raw = r["action"], r["raw"].strip()
    sending = bool(ctx.options.submit_forms and ctx.options.submit_message.strip())
    tail = "" if sending else f"; {NOT_SENT_NOTE}"
    scripted = r["kind"] != "form" or raw.startswith("#") or raw.lower().startswith("javascript:")
    if scripted:
        handlers = await script_handlers(ctx) if ctx.context is not None else []
        what = "у блока обращения нет тега form" if r["kind"] != "form" else f"у формы адрес отправки «{raw}»"
        if not handlers:
            ctx.log(f"{what}; скриптов, обрабатывающих нажатие кнопки или отправку формы, нет")
            raise Verdict(False, f"{what}, и ни один скрипт не обрабатывает её отправку — обращение никуда не уйдёт")
        ctx.log(f"{what}; форму отправляет скрипт (обработчики событий: {'; '.join(handlers[:3])})")
        ctx.vars["action_note"] = f"; форму отправляет скрипт страницы{tail}"
        return
    ctx.details["action"] = {"url": action, "method": r["method"], "requested": False}
    host = urlsplit(action).hostname or ""
    if not raw or action.split("#")[0] == ctx.page.url.split("#")[0]:
        ctx.log(f"форма отправляется на адрес этой же страницы ({action}), метод {r['method'].upper()}")
        ctx.vars["action_note"] = f"; форма отправляется на адрес этой же страницы{tail}"
        return
    if not ctx.site.is_onsite(action):
        try:               # an address in an internal network is refused, never judged (--offline: no DNS)
            await ctx.guard.check(action, resolve=not ctx.options.offline)
        except Refused as exc:
            raise Verdict(None, f"адрес отправки формы {action}: {exc}") from None
    if ctx.site.is_onsite(action) or is_local(action, ctx.options.resolve):
        ctx.log(f"адрес отправки формы {action} на сайте организации, метод {r['method'].upper()}; "
                "запрос к нему без отправки не выполнялся")
        ctx.vars["action_note"] = f"; форма отправляется на адрес {action} на сайте организации{tail}"
        return
    if not ctx.options.offline:
        resolves = await _host_resolves(host, ctx.options.resolve)
        if resolves is False:
            await offline_verdict(ctx, f"адрес отправки формы ({action})", f"имя {host} не найдено в DNS")
            raise Verdict(False, f"адрес отправки формы ({action}) не работает: имя сервера {host} не найдено в DNS, "
                                 "хотя другие сайты доступны — обращение не дойдёт")
        ctx.log(f"адрес отправки формы {action} на другом сервере ({host}); имя сервера "
                + ("находится в DNS" if resolves else "проверить не удалось"))
    else:
        ctx.log(f"адрес отправки формы {action} на другом сервере ({host}) — без сети не проверялся")
    ctx.vars["action_note"] = f"; форма отправляется на адрес {action} (другой сервер: {host}){tail}"


@call_step("submit_form")
async def submit_form(ctx: RunContext, step: Step) -> None:
    """Dry run by default. Only with ControlOptions.submit_forms and a non-empty submit_message: press the
    submit control, wait for the answer (a new page or a script request) and record it."""
    o = ctx.options
    if not (o.submit_forms and o.submit_message.strip()):
        ctx.log("форма не отправлялась (пробный прогон: отправка только с ключом --submit-forms)")
        return
    page = ctx.page
    submit = ctx.element("submit")
    answers: list = []

    def on_response(resp):
        try:
            rt = resp.request.resource_type
            if rt in ("document", "xhr", "fetch") and resp.request.method in ("POST", "GET", "PUT"):
                answers.append(resp)
        except Exception:
            pass

    page.on("response", on_response)
    try:
        await click_and_settle(ctx, submit, ctx.vars.get("submit_text", "Отправить"))
        deadline = asyncio.get_running_loop().time() + ctx.timeout_ms(0.3) / 1000
        while not answers and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.3)
    finally:
        page.remove_listener("response", on_response)
    ctx.submitted = True
    await _shot(ctx, "submitted", "Страница после отправки формы")
    if not answers:
        raise Verdict(None, "форма отправлена, но ответа сервера не получено — результат проверяет оператор")
    resp = answers[-1]
    ctx.status = resp.status
    ctx.details["submission"] = {"status": resp.status, "response_url": resp.url, "final_url": page.url}
    ctx.log(f"форма отправлена: ответ HTTP {resp.status}, страница {page.url}")
    if resp.status in (401, 403, 429):
        raise Verdict(None, f"форма отправлена, но сервер отказал автоматической отправке (HTTP {resp.status}) — "
                            "проверьте отправку вручную")
    if resp.status >= 400:
        raise Verdict(False, f"форма отправлена, но сервер ответил ошибкой HTTP {resp.status} — обращение не принято")
    error = await page.evaluate(js.ERROR_TEXT, [p.lower() for p in ctx.settings.get("submit_error_phrases", [])])
    if error:
        raise Verdict(False, f"форма отправлена (HTTP {resp.status}), но на странице сообщение об ошибке: «{error}»")
    ctx.success = f"форма отправлена с текстом оператора: ответ сервера HTTP {resp.status}, страница {page.url}"
