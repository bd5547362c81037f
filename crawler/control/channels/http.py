"""Channel checks over plain HTTP: one polite request (the address guard, the --offline rule), whether the
auditor is online at all (--net-probe), and the off-site links, social-network pages and embedded widgets
a scenario calls by name."""
from __future__ import annotations

import asyncio
import re
import socket
from urllib.parse import urlsplit


from checklists.model.control import HTTP
from crawler.control.netguard import Refused, is_local
from crawler.control.scenario import Step, Verdict, call_step
from crawler.control.context import RunContext, seconds_ru


OFFLINE_REASON = "не удалось проверить: у проверяющего нет доступа в интернет"


# ---- HTTP: one polite request ------------------------------------------------------------------------
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
