"""Channel logic the step language cannot express: small functions a scenario calls by name
(`call: check_form_action`, `find: {call: feedback_form}`), plus the `fill` and `expect` steps.

Each function gets the run context (crawler/control/scenario.py RunContext) and the step; it logs what it
did in Russian (ctx.log), stores measurements in ctx.vars / ctx.details, and ends the run with
`Verdict(works, reason)` when it can decide.
"""
from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import unquote, urlsplit

import phonenumbers
from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email

from checklists.model.control import HTTP
from checklists.patterns import find_email, find_phone
from crawler.control import dom_scripts as js
from crawler.control.candidates import leads_nowhere
from crawler.control.netguard import Refused
from crawler.control.scenario import (RunContext, Step, Verdict, call_step, click_and_settle, finder,
                                      measure_page, seconds_ru)
from crawler.control.scenario import css_color_hex as _hex

MAX_VALUES = 10          # phone numbers / addresses listed in a result
OFFLINE_REASON = "не удалось проверить: у проверяющего нет доступа в интернет"


# ---- HTTP: one polite request ------------------------------------------------------------------------
def is_local(url: str, pins: dict[str, str] | None = None) -> bool:
    """Does `url` stay on this machine? Loopback addresses, localhost, and host names pinned (--resolve)
    to a loopback address: what an --offline check may contact."""
    host = (urlsplit(url).hostname or "").lower()
    host = (pins or {}).get(host, host)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _net_error_ru(msg: str, timeout_s: float) -> tuple[bool | None, str]:
    """(works, Russian text) for a failed request: a refused connection or an unknown host is a dead
    link; a timeout or a TLS problem leaves the question open."""
    low = msg.lower()
    if "econnrefused" in low or "connection refused" in low:
        return False, "соединение отклонено (сервер не принимает запросы)"
    if "enotfound" in low or "getaddrinfo" in low or "name_not_resolved" in low:
        return False, "адрес сайта не найден (DNS)"
    if "timeout" in low:
        return None, f"нет ответа за {seconds_ru(timeout_s)} с"
    if "cert" in low or "ssl" in low or "tls" in low:
        return None, "ошибка защищённого соединения (сертификат)"
    if "econnreset" in low or "socket hang up" in low:
        return None, "соединение разорвано сервером"
    return None, msg.splitlines()[0][:160]


async def polite_request(ctx: RunContext, url: str, purpose: str) -> tuple[int | None, str, str]:
    """At most one request (HEAD; GET only when HEAD is not allowed): (status, final URL, error).
    Never follows more than 5 redirects, identifies itself with the nok-audit User-Agent."""
    if ctx.context is None:
        raise Verdict(None, "браузер недоступен — запрос не выполнялся")
    if ctx.options.offline and not is_local(url, ctx.options.resolve):
        raise Verdict(None, f"{OFFLINE_REASON} (запуск с --offline): запрос к {urlsplit(url).hostname} не выполнялся")
    timeout_ms = ctx.timeout_ms(0.4)
    headers = {"User-Agent": ctx.options.user_agent}
    status, final = None, url
    try:
        status, final = await ctx.guard.fetch(ctx.context, "HEAD", url, headers=headers, timeout=timeout_ms,
                                              max_redirects=5)
        ctx.log(f"{purpose}: запрос HEAD {url} → HTTP {status}")
        if status in (405, 501):
            status, final = await ctx.guard.fetch(ctx.context, "GET", url, headers=headers, timeout=timeout_ms,
                                                  max_redirects=5)
            ctx.log(f"сервер не поддерживает HEAD — запрос GET {url} → HTTP {status}")
    except Refused as exc:
        ctx.log(f"{purpose}: запрос к {url} не выполнен: {exc}")
        raise Verdict(None, f"ссылка {url}: {exc}") from None
    except Exception as exc:
        ctx.log(f"{purpose}: запрос к {url} не выполнен: {str(exc).splitlines()[0][:200]}")
        return None, url, str(exc)
    return status, final, ""


async def auditor_online(ctx: RunContext) -> bool:
    """Does the auditor's own network work? False with --offline; otherwise ONE request to
    options.net_probe, asked once per run (the answer is kept in options.net_state, shared by the sites
    of a run). Any HTTP answer means online; a refused, unresolved or timed-out probe means offline."""
    o = ctx.options
    if o.offline:
        return False
    state = o.net_state
    loop = asyncio.get_running_loop()
    if "online" in state:
        return state["online"]
    if state.get("loop") is not loop:            # a probe of another event loop cannot be awaited here
        state.update(loop=loop, task=loop.create_task(_probe_network(ctx)))
    online = await asyncio.shield(state["task"])
    state["online"] = online
    return online


async def _probe_network(ctx: RunContext) -> bool:
    try:
        status, _, _ = await polite_request(ctx, ctx.options.net_probe, "проверка доступа проверяющего в интернет")
    except Verdict:
        return False
    return status is not None


async def offline_verdict(ctx: RunContext, what: str, why: str) -> None:
    """After a network error (no HTTP answer) on an off-site address: when the auditor is offline, the
    organisation is not to blame — undecided, never «не работает»."""
    if not await auditor_online(ctx):
        ctx.log(f"{ctx.options.net_probe} тоже не отвечает: у проверяющего нет доступа в интернет")
        raise Verdict(None, f"{OFFLINE_REASON}; {what}: {why}")


def judge_status(status: int | None, error: str, timeout_s: float) -> tuple[bool | None, str]:
    if status is None:
        return _net_error_ru(error, timeout_s)
    if status < 400:
        return True, f"HTTP {status}"
    if status in (401, 403, 429, 451):
        return None, f"сайт отказал автоматическому запросу (HTTP {status}) — проверьте ссылку вручную"
    if status in (405, 501):
        return True, f"HTTP {status}: адрес существует, метод запроса не поддерживается"
    return False, f"HTTP {status}"


@call_step("check_offsite_link")
async def check_offsite_link(ctx: RunContext, step: Step, reachable: str = "works") -> None:
    """An off-site candidate (a survey on bus.gov.ru, a VK page, an external приёмная): exactly one
    polite request decides; the page is never opened in the browser and never crawled.
    reachable: works — a reachable link means the channel works (ch_opinion, ch_other);
               undecided — reachable, but what is behind it is for the operator (a form on another site).
    On-site candidates pass through to the next step."""
    cand = ctx.candidate
    if cand is None or not cand.offsite:
        return
    ctx.method = HTTP
    ctx.url = cand.url
    host = urlsplit(cand.url).hostname or cand.url
    status, final, error = await polite_request(ctx, cand.url, "ссылка на другой сайт")
    ctx.status = status
    ctx.vars["final_url"] = final
    works, why = judge_status(status, error, ctx.options.check_timeout)
    label = f"ссылка «{cand.text}» ({cand.url})" if cand.text else f"ссылка {cand.url}"
    if status is None:
        await offline_verdict(ctx, label, why)
    if works is True:
        if reachable == "works":
            raise Verdict(True, f"{label} открывается: {why}; сайт {host} не обходился — выполнен один запрос")
        raise Verdict(None, f"{label} ведёт на другой сайт ({host}) и открывается ({why}); "
                            "работу формы на другом сайте проверяет оператор вручную")
    if works is False:
        raise Verdict(False, f"{label} не работает: {why}")
    raise Verdict(None, f"{label}: не удалось проверить — {why}")


@call_step("check_social_links")
async def check_social_links(ctx: RunContext, step: Step, max_links: int = 3) -> None:
    """An on-site page named as the channel («Мы в социальных сетях», «Онлайн-чат»): its links to the
    hosts of settings.social_hosts (VK, OK, Telegram …) get one polite request each; without such links,
    a chat widget embedded in the page is left to the operator; a page with neither does not work.
    Link candidates (a link «ВКонтакте») pass through to the next step."""
    cand = ctx.candidate
    if cand is None or cand.offsite or cand.href or cand.kind == "embed":
        return
    page = ctx.site.page(cand.url)
    if page is None:
        return
    hosts = [h.lower() for h in ctx.settings.get("social_hosts", [])]
    links = []
    for link in page.links:
        host = (urlsplit(link.url).hostname or "").lower().removeprefix("www.")
        if any(host == h or host.endswith("." + h) for h in hosts) and link.url not in [x.url for x in links]:
            links.append(link)
    ctx.method = HTTP
    ctx.url = cand.url
    if not links:
        widgets = ctx.settings.get("widgets", {})
        for src in page.embeds:
            for host, label in widgets.items():
                if host in src:
                    raise Verdict(None, f"на странице {cand.url} подключён виджет {label} ({host}); он загружается "
                                        "с другого сайта и проверяется оператором вручную")
        raise Verdict(False, f"на странице {cand.url} («{cand.text}») нет ссылок на страницы организации в "
                             "социальных сетях или мессенджерах и нет онлайн-чата")
    failures = []
    for link in links[:max_links]:
        status, final, error = await polite_request(ctx, link.url, f"ссылка «{link.text or link.url}»")
        works, why = judge_status(status, error, ctx.options.check_timeout)
        ctx.status = status
        if status is None:
            await offline_verdict(ctx, f"ссылка «{link.text or link.url}» ({link.url})", why)
        if works is True:
            raise Verdict(True, f"на странице {cand.url} ссылка «{link.text or link.url}» ({link.url}) открывается: "
                                f"{why}; выполнен один запрос")
        failures.append((works, f"{link.url}: {why}"))
    if all(w is False for w, _ in failures):
        raise Verdict(False, "ссылки на странице не работают: " + "; ".join(t for _, t in failures))
    raise Verdict(None, "ссылки на странице проверить не удалось: " + "; ".join(t for _, t in failures))


@call_step("check_embedded_widget")
async def check_embedded_widget(ctx: RunContext, step: Step) -> None:
    """A chat / consultant widget found as an embedded script: present, its working is for the operator."""
    cand = ctx.candidate
    if cand is None or cand.kind != "embed":
        return
    src = cand.text
    host = urlsplit(src).hostname or src
    raise Verdict(None, f"на странице {cand.source_url} подключён виджет {host}; он загружается с другого сайта "
                        "и проверяется оператором вручную")


# ---- links (ch_opinion, ch_other) --------------------------------------------------------------------
def _expect_link_target(ctx: RunContext, step: Step) -> None:
    cand = ctx.candidate
    if cand is None or not cand.href:
        return
    if leads_nowhere(cand.href):
        ctx.url = cand.source_url
        ctx.log(f"ссылка «{cand.text}» на странице {cand.source_url}: href=\"{cand.href}\"")
        ctx.vars.update(link_text=cand.text, href=cand.href)
        raise Verdict(False, ctx.fmt(step.reason or "ссылка «{link_text}» никуда не ведёт (href=\"{href}\")"))


@call_step("survey_content")
async def survey_content(ctx: RunContext, step: Step) -> None:
    """An on-site questionnaire page: count form fields, questions and embedded survey frames."""
    frag = urlsplit(ctx.candidate.url).fragment if ctx.candidate else ""
    r = await ctx.page.evaluate(js.SURVEY_CONTENT, {"anchor": unquote(frag) if frag not in ("", "!", "/") else ""})
    if r.get("missing_anchor"):
        raise Verdict(False, f"ссылка ведёт на якорь #{frag}, которого нет на странице {ctx.page.url}")
    n = r["fields"] + r["questions"] + r["frames"]
    ctx.vars.update(survey_items=n, survey_fields=r["fields"], survey_questions=r["questions"], title=r["title"])
    ctx.details.update(survey={"fields": r["fields"], "questions": r["questions"], "frames": r["frames"]})
    ctx.log(f"на странице анкеты: полей для ответа {r['fields']}, вопросов {r['questions']}, встроенных форм {r['frames']}")


@call_step("page_opens")
async def page_opens(ctx: RunContext, step: Step) -> None:
    """Nothing more to look at: the on-site page opened (used by ch_other for an on-site chat page)."""
    ctx.vars.setdefault("title", "")


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
    from crawler.control.scenario import _step_screenshot
    await _step_screenshot(ctx, Step("screenshot", {"as": label, "caption": caption}))


@finder("submit_control")
async def find_submit(ctx: RunContext, step: Step, base):
    r = await base.evaluate(js.FIND_SUBMIT)
    if not r["found"]:
        raise Verdict(False, ctx.fmt(step.reason or "у формы нет кнопки отправки"))
    ctx.vars["submit_text"] = r["text"]
    ctx.vars["submit_found"] = f"найдена кнопка отправки «{r['text']}»"
    return ctx.page.locator('[data-nok-el="submit"]').first


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


# ---- FAQ (ch_faq) ------------------------------------------------------------------------------------
@call_step("expand_and_count_faq")
async def expand_and_count_faq(ctx: RunContext, step: Step, min_answer: int = 20) -> None:
    page = ctx.page
    opened = await page.evaluate(js.EXPAND_FAQ)
    if opened["clicked"]:
        await asyncio.sleep(0.3)           # accordions animate
    if opened["details"] or opened["clicked"]:
        ctx.log(f"раскрыто блоков с ответами: {opened['details'] + opened['clicked']}"
                + (f" (нажатием на заголовок: {opened['clicked']})" if opened["clicked"] else ""))
    r = await page.evaluate(js.COUNT_FAQ, {"min_answer": min_answer})
    count, examples = r["count"], r["examples"]
    if not count:
        # Questions as links to answer pages: the stored crawl says whether those pages hold an answer.
        for link in r["question_links"]:
            target = ctx.site.page(link["href"])
            if target is not None and target.status < 400 and len(target.main_text) >= len(link["q"]) + min_answer:
                count += 1
                if len(examples) < 3:
                    examples.append({"q": link["q"], "a": f"ответ на отдельной странице {target.url}"})
        if count:
            ctx.log(f"вопросы — ссылки на страницы с ответами (по сохранённому обходу): {count}")
    ctx.vars.update(qa_count=count, title=r["title"])
    if examples:
        ctx.vars["qa_example"] = examples[0]["q"]
    ctx.details["faq"] = {"questions_with_answers": count, "examples": examples}
    ctx.log(f"найдено вопросов с ответами: {count}")


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


# ---- phone and e-mail (no browser) ---------------------------------------------------------------------
def _evidence_pages(ctx: RunContext) -> list:
    finding = ctx.finding
    urls = [e.url for e in finding.evidence] if finding is not None else []
    pages = [p for p in (ctx.site.page(u) for u in urls) if p is not None]
    return pages


def _all_matches(text: str, find) -> list[str]:
    out, pos = [], 0
    while pos < len(text) and len(out) < 50:
        m = find(text[pos:])
        if m is None:
            break
        out.append(m.value)
        pos += m.end
    return out


def collect_phones(ctx: RunContext) -> list[str]:
    raw: list[str] = []
    for p in ctx.site.crawl.pages:
        for link in p.links:
            if link.url.lower().startswith("tel:"):
                raw.append(unquote(link.url[4:]).strip())
    for p in _evidence_pages(ctx):
        raw.extend(_all_matches(p.text, find_phone))
    return list(dict.fromkeys(r for r in raw if r))


def collect_emails(ctx: RunContext) -> list[str]:
    raw: list[str] = []
    for p in ctx.site.crawl.pages:
        for link in p.links:
            if link.url.lower().startswith("mailto:"):
                raw.append(unquote(link.url[7:]).split("?", 1)[0].strip())
    for p in _evidence_pages(ctx):
        raw.extend(m.replace("[at]", "@").replace("(at)", "@").replace(" ", "") for m in _all_matches(p.text, find_email))
    return list(dict.fromkeys(r for r in raw if r))


def normalise_phone(raw: str) -> str | None:
    try:
        n = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def _pretty_phone(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@call_step("validate_phones")
async def validate_phones(ctx: RunContext, step: Step) -> None:
    values = collect_phones(ctx)
    valid, invalid = [], []
    for v in values:
        n = normalise_phone(v)
        if n:
            if n not in valid:
                valid.append(n)
        else:
            invalid.append(v)
    ctx.details.update(valid=valid[:MAX_VALUES], invalid=invalid[:MAX_VALUES], call_made=False)
    ctx.log(f"найдено номеров: {len(values)}; корректных: {len(valid)}; проверка — библиотека phonenumbers (регион RU)")
    if invalid:
        ctx.log("некорректные номера: " + ", ".join(invalid[:MAX_VALUES]))
    shown = ", ".join(_pretty_phone(v) for v in valid[:3]) + (" и др." if len(valid) > 3 else "")
    if not valid:
        raise Verdict(False, "опубликованные номера телефона некорректны: " + ", ".join(invalid[:3])
                      if invalid else "номер телефона не удалось извлечь из текста сайта")
    ctx.success = (f"{'опубликован и проверен' if len(valid) == 1 else 'опубликованы и проверены'} на корректность: "
                   f"{shown}; контрольный звонок не выполнялся — оператор может внести результат вручную")


@call_step("validate_emails")
async def validate_emails(ctx: RunContext, step: Step) -> None:
    """Syntax by email-validator; the domain's MX record only with ControlOptions.check_mx (never touches DNS
    otherwise)."""
    values = collect_emails(ctx)
    check_mx = bool(ctx.options.check_mx)
    valid, invalid = [], []
    for v in values:
        try:
            if check_mx:
                r = await asyncio.to_thread(validate_email, v, check_deliverability=True,
                                            timeout=max(1, int(ctx.options.check_timeout / 2)))
            else:
                r = validate_email(v, check_deliverability=False)
            if r.normalized not in valid:
                valid.append(r.normalized)
        except EmailUndeliverableError as exc:
            invalid.append(f"{v} (домен не принимает почту: {str(exc)[:80]})")
        except EmailNotValidError:
            invalid.append(v)
    ctx.details.update(valid=valid[:MAX_VALUES], invalid=invalid[:MAX_VALUES], mx_checked=check_mx, letter_sent=False)
    ctx.log(f"найдено адресов: {len(values)}; корректных: {len(valid)}; проверка — библиотека email-validator"
            + (", записи MX доменов проверены" if check_mx else ", без обращения к DNS"))
    if invalid:
        ctx.log("некорректные адреса: " + ", ".join(invalid[:MAX_VALUES]))
    if not valid:
        raise Verdict(False, "опубликованные адреса электронной почты некорректны: " + ", ".join(invalid[:3])
                      if invalid else "адрес электронной почты не удалось извлечь из текста сайта")
    shown = ", ".join(valid[:3]) + (" и др." if len(valid) > 3 else "")
    mx = "; домен принимает почту (есть MX-запись)" if check_mx else ""
    ctx.success = (f"{'опубликован и проверен' if len(valid) == 1 else 'опубликованы и проверены'} на корректность: "
                   f"{shown}{mx}; контрольное письмо не отправлялось — оператор может внести результат вручную")
