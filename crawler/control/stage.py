"""The control stage: do the published channels and the version for the visually impaired work?

    control_site(browser, crawl, findings, out_dir, options)   async; one browser context per site
    run_controls(crawl, findings, out_dir, options)           sync: one Chromium, writes controls.json
    run_controls_many(jobs, options)                          async: several sites, ONE Chromium
    load_controls(out_dir)                                    controls.json → results (or None)

Input is the stored crawl and the findings of checklist evaluation; the stage never re-crawls. For each
scenario of checklists/controls.yaml whose item is `present`, candidates come from the item's strong
evidence (crawler/control/candidates.py) and the scenario runs on each of them in evidence order (at most
`candidates.max`; `stop_on_fail` items stop at the first decided one); the item's result is the best of
them, and details["attempts"] lists each candidate with its own result. Items that are not present get a
result with works=None and the reason «канал не найден на сайте — проверять нечего» (so a report always
has one line per channel); items disabled in the checklist get no result.

Every run on a candidate has a time limit (options.check_timeout) and is wrapped: a timeout or any
exception becomes works=None with a Russian reason, never a crash of the audit. Pages are closed after
each run, the context at the end (site_context closes pages before the context).

Safety: forms are never submitted unless options.submit_forms and a non-empty submit_message (nor is their
address requested: a GET of a POST endpoint proves nothing); Enter is never pressed; off-site links get at most one request (HEAD, GET only if HEAD is refused) and are never
opened in the browser; e-mail domains are looked up in DNS only with options.check_mx.
"""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from checklists.model.control import SCREENSHOTS, ControlResult
from checklists.model.crawl import StoredCrawl
from checklists.model.results import ABSENT, PRESENT, Finding
from crawler import settings as crawl_settings
from crawler.control.browser import BrowserUnavailable, chromium, site_context
from crawler.control.candidates import Candidate, SiteInfo, candidates_for
from crawler.control.netguard import BrowserGuard, is_local
from crawler.control.scenario import Scenario, ScenarioSet, load_scenarios
from crawler.control.context import RunContext, seconds_ru
from crawler.control.steps import run_scenario
from reports.atomic_file import write_atomically

if TYPE_CHECKING:
    from playwright.async_api import Browser

CONTROLS_FILE = "controls.json"
FORMAT_VERSION = 1
REASON_ABSENT = "канал не найден на сайте — проверять нечего"
REASON_UNKNOWN = "наличие не установлено при обходе сайта — проверять нечего"
# Asked once per run when an off-site check fails with a network error: is the auditor offline, or is
# the organisation's link dead? Any HTTP answer from this address means the auditor's network works.
DEFAULT_NET_PROBE = "https://www.gosuslugi.ru/"


@dataclass
class ControlOptions:
    chromium: str | None = None      # path; default from browser.chromium_path()
    submit_forms: bool = False       # only True with the explicit --submit-forms flag
    submit_message: str = ""         # operator-supplied message text used when submitting
    check_mx: bool = False           # MX look-up of e-mail domains only when asked (--check-mx)
    check_timeout: float = 15.0      # seconds per check
    parallel_sites: int = 4
    scenarios: str | None = None     # an operator's copy of checklists/controls.yaml
    resolve: dict = field(default_factory=dict)   # --resolve pins, host -> address
    user_agent: str = crawl_settings.USER_AGENT   # the same User-Agent as the crawl (--contact)
    offline: bool = False            # never contact a non-loopback host (tests, the offline demo):
                                     # such browser requests are aborted, such link checks are skipped
    net_probe: str = DEFAULT_NET_PROBE   # a well-known site: when it answers, the auditor is online (--net-probe)
    net_state: dict = field(default_factory=dict, repr=False, compare=False)   # the probe's answer, once per run
    allow_private: bool = False      # --allow-private: the browser may reach private addresses too


@dataclass
class _Env:
    sset: ScenarioSet
    site: SiteInfo
    out_dir: Path
    options: ControlOptions
    context: object = None           # BrowserContext, or None without a browser
    browser_error: str = ""
    page: object = None              # the site's page, reused by the runs; replaced after a failure
    guard: BrowserGuard | None = None

    async def get_page(self):
        if self.page is None or self.page.is_closed():
            self.page = await self.context.new_page()
        return self.page

    async def drop_page(self) -> None:
        page, self.page = self.page, None
        if page is not None:
            try:
                await asyncio.wait_for(page.close(), timeout=5)
            except Exception:
                pass


def _absent_result(sc: Scenario, finding: Finding) -> ControlResult:
    reason = REASON_ABSENT if finding.status == ABSENT else REASON_UNKNOWN
    return ControlResult(sc.item, None, reason, method=sc.method)


async def _attempt(sc: Scenario, finding: Finding, cand: Candidate | None, n: int, env: _Env) -> tuple[ControlResult, bool]:
    o = env.options
    ctx = RunContext(scenario=sc, sset=env.sset, attempt=n, candidate=cand, finding=finding, site=env.site,
                     options=o, out_dir=env.out_dir, context=env.context, method=sc.method,
                     page_factory=env.get_page, guard=env.guard)
    refused_before = len(env.guard.refusals)
    ctx.data = dict(env.sset.test_data)
    submitting = bool(o.submit_forms and o.submit_message.strip())
    ctx.vars["dry_run_note"] = "перед отправкой" if submitting else "форма не отправлялась"
    if cand is not None:
        ctx.url = cand.url if cand.offsite or not cand.href else cand.source_url
        ctx.vars.update(link_text=cand.text, href=cand.href)
    found = True
    failed = False
    try:
        if sc.needs_context and env.context is None:
            works, reason = None, env.browser_error or "браузер недоступен — проверка не выполнялась"
        else:
            works, reason, found = await asyncio.wait_for(run_scenario(ctx), timeout=o.check_timeout)
    except asyncio.TimeoutError:
        works, reason, failed = None, f"проверка не завершилась за {seconds_ru(o.check_timeout)} с", True
        ctx.log(reason)
    except Exception as exc:           # a browser crash, a closed page, a bug in a site's script
        first = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        works, reason, failed = None, f"ошибка браузера: {first}", True
        ctx.log(reason)
    final_url = ""
    try:
        final_url = ctx.page.url if ctx.page is not None else ctx.vars.get("final_url", "")
    except Exception:
        pass
    await env.guard.settle()
    if (failed or env.guard.since(refused_before)) and ctx.page is not None:
        await env.drop_page()          # a page left mid-action, or on Chromium's error page, is not reused
    works, reason = _refused_verdict(env.guard, refused_before, ctx, works, reason)
    res = ControlResult(item_id=sc.item, works=works, reason=reason, method=ctx.method,
                        url=ctx.url or (cand.url if cand else ""), final_url=final_url or "", status=ctx.status,
                        screenshots=ctx.screenshots, steps=ctx.steps, details=ctx.details, submitted=ctx.submitted)
    return res, found


def _refused_verdict(guard: BrowserGuard, since: int, ctx: RunContext, works, reason: str):
    """Requests the guard refused during a run are listed in its steps; when a refused page or link decided a
    run that did not end in «works», the run is undecided with the guard's reason (never «не работает»:
    the address was not tried)."""
    for r in guard.refusals[since:]:
        if not any(r.url in step for step in ctx.steps):
            ctx.log(f"запрос к {r.url} не выполнялся: {r.reason}")
    decisive = guard.since(since)
    if works is not True and decisive and not reason.endswith(decisive[0].reason):
        return None, f"не удалось проверить: {decisive[0].url} — {decisive[0].reason}"
    return works, reason


def _merge(item_id: str, attempts: list[ControlResult], texts: list[str]) -> ControlResult:
    """One result per item, the best of its candidates: the first that works, else the first undecided,
    else the first failure. details["attempts"] lists every candidate with its own result."""
    best = (next((r for r in attempts if r.works is True), None)
            or next((r for r in attempts if r.works is None), None)
            or attempts[0])
    if len(attempts) == 1:
        return best
    steps: list[str] = []
    shots = []
    for i, r in enumerate(attempts, 1):
        steps.append(f"— проверка {i}: {r.url}")
        steps.extend(r.steps)
        shots.extend(r.screenshots)
    details = dict(best.details)
    details["attempts"] = [{"url": r.url, "text": t, "method": r.method, "status": r.status, "works": r.works,
                            "reason": r.reason} for r, t in zip(attempts, texts)]
    return ControlResult(item_id=item_id, works=best.works, reason=best.reason, method=best.method, url=best.url,
                         final_url=best.final_url, status=best.status, screenshots=shots, steps=steps,
                         details=details, submitted=any(r.submitted for r in attempts))


async def _check_item(sc: Scenario, finding: Finding, env: _Env) -> ControlResult:
    if finding.status != PRESENT:
        return _absent_result(sc, finding)
    spec = sc.candidates
    if spec.source == "none":
        cands: list[Candidate | None] = [None]
    else:
        cands = list(candidates_for(spec.source, finding, env.site, spec.prefer))
        if not cands:
            return ControlResult(sc.item, None, "по свидетельствам обхода не удалось определить, где проверять "
                                                "этот канал — проверяется оператором вручную", method=sc.method)
    attempts: list[ControlResult] = []
    for n, cand in enumerate(cands[:spec.max], 1):
        res, found = await _attempt(sc, finding, cand, n, env)
        attempts.append(res)
        # Every candidate is tried (a broken bus.gov.ru banner next to a working on-site survey is worth
        # reporting), unless the same control is on every page and this one decided.
        if spec.stop_on_fail and (res.works is True or (res.works is False and found)):
            break
    return _merge(sc.item, attempts, [c.text if c is not None else "" for c in cands])


def _clear_screenshots(out_dir: Path, items: list[str]) -> None:
    d = out_dir / SCREENSHOTS
    if not d.is_dir():
        return
    for item in items:
        for f in d.glob(f"{item}-*.png"):
            try:
                f.unlink()
            except OSError:
                pass


def offline_route(pins: dict[str, str] | None = None):
    """A context route handler for --offline: requests that would leave this machine are aborted."""

    async def route_handler(route):
        url = route.request.url
        if is_local(url, pins) or url.startswith(("data:", "blob:", "about:")):
            await route.fallback()
        else:
            await route.abort("internetdisconnected")
    return route_handler


def site_guard(crawl: StoredCrawl, options: ControlOptions) -> BrowserGuard:
    """The address guard of one site's browser stage: its own hosts and the --resolve pins are the hosts the
    user named."""
    return BrowserGuard.for_site(crawl.journal.site_hosts, options.resolve, options.allow_private, options.offline)


def browser_guard(crawls: list[StoredCrawl], options: ControlOptions) -> BrowserGuard:
    """The guard a Chromium shared by these sites is started behind (browser.chromium): each site's hosts are
    hosts the user named. Each site's own guard notes its refusals (site_guard, BrowserGuard.watch)."""
    return BrowserGuard.for_site(sorted({h for c in crawls for h in c.journal.site_hosts}), options.resolve,
                                 options.allow_private, options.offline)


def _plan(sset: ScenarioSet, findings: list[Finding]) -> list[tuple[Scenario, Finding]]:
    by_id = {f.item_id: f for f in findings}
    return [(sc, by_id[sc.item]) for sc in sset.scenarios if sc.item in by_id]


def _needs_browser(plan: list[tuple[Scenario, Finding]]) -> bool:
    return any(sc.needs_context and f.status == PRESENT for sc, f in plan)


def _first_line(exc: BaseException) -> str:
    return ((str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__)[:300]


async def control_site(browser: Browser | None, crawl: StoredCrawl, findings: list[Finding], out_dir: Path,
                       options: ControlOptions, *, browser_error: str = "") -> list[ControlResult]:
    """Run every scenario for one site in ONE browser context, in controls.yaml order. With `browser`
    None only the checks that need no browser run (phone, e-mail); the others are undecided, with
    `browser_error` (Russian) as the reason."""
    out_dir = Path(out_dir)
    sset = load_scenarios(options.scenarios)
    plan = _plan(sset, findings)
    _clear_screenshots(out_dir, [sc.item for sc, _ in plan])
    env = _Env(sset, SiteInfo(crawl), out_dir, options,
               browser_error=browser_error or "браузер недоступен — проверка в браузере не выполнялась",
               guard=site_guard(crawl, options))
    results: dict[str, ControlResult] = {}

    async def run_all():
        for sc, f in plan:
            if sc.item not in results:
                results[sc.item] = await _check_item(sc, f, env)

    if browser is not None and _needs_browser(plan):
        try:
            async with site_context(browser, user_agent=options.user_agent) as context:
                env.guard.watch(context)
                if options.offline:
                    await context.route("**/*", offline_route(options.resolve))
                env.context = context
                try:
                    await run_all()
                finally:
                    await env.drop_page()
        except Exception as exc:        # the context could not be made (or closed): finish without it
            env.context = None
            env.browser_error = f"ошибка браузера: {_first_line(exc)}"
    await run_all()
    return [results[sc.item] for sc, _ in plan]


def save_controls(out_dir: Path, results: list[ControlResult]) -> Path:
    """controls.json, written atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / CONTROLS_FILE
    return write_atomically(path, json.dumps({"version": FORMAT_VERSION, "controls": [r.to_dict() for r in results]},
                                             ensure_ascii=False, indent=1))


def load_controls(out_dir: Path) -> list[ControlResult] | None:
    path = Path(out_dir) / CONTROLS_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [ControlResult.from_dict(d) for d in data.get("controls", [])]
    except (json.JSONDecodeError, TypeError, KeyError, AttributeError):
        return None


async def _guarded(browser, crawl, findings, out_dir, options, browser_error: str = "") -> list[ControlResult]:
    try:
        results = await control_site(browser, crawl, findings, out_dir, options, browser_error=browser_error)
    except Exception as exc:            # never lose the other sites of a batch
        reason = f"ошибка проверки: {_first_line(exc)}"
        items = {s.item for s in load_scenarios(options.scenarios).scenarios}
        results = [ControlResult(f.item_id, None, reason) for f in findings if f.item_id in items]
    save_controls(out_dir, results)
    return results


async def run_controls_many(jobs: list[tuple[StoredCrawl, list[Finding], Path]],
                            options: ControlOptions) -> list[list[ControlResult]]:
    """Several sites in parallel (at most options.parallel_sites at once), ONE Chromium, one context per
    site; each site's controls.json is written as soon as it is done. Results in job order. Chromium is
    not started when no site has anything to check in a browser (e.g. every site was unreachable)."""
    sset = load_scenarios(options.scenarios)       # a broken scenario file fails before Chromium starts
    sem = asyncio.Semaphore(max(1, options.parallel_sites))
    need = [_needs_browser(_plan(sset, findings)) for _, findings, _ in jobs]

    async def one(browser, job, error=""):
        async with sem:
            return await _guarded(browser, *job, options, browser_error=error)

    if not any(need):
        return list(await asyncio.gather(*(one(None, j) for j in jobs)))
    try:
        async with chromium(options.chromium, browser_guard([job[0] for job, n in zip(jobs, need) if n], options)) as browser:
            return list(await asyncio.gather(*(one(browser if n else None, j) for j, n in zip(jobs, need))))
    except BrowserUnavailable as exc:
        return list(await asyncio.gather(*(one(None, j, str(exc)) for j in jobs)))


def run_controls(crawl: StoredCrawl, findings: list[Finding], out_dir: Path,
                 options: ControlOptions | None = None) -> list[ControlResult]:
    """Synchronous: start one Chromium, check one site, close it, write out_dir/controls.json."""
    options = options or ControlOptions()
    return asyncio.run(run_controls_many([(crawl, findings, Path(out_dir))], options))[0]


__all__ = ["ControlOptions", "control_site", "run_controls", "run_controls_many", "load_controls",
           "save_controls", "CONTROLS_FILE"]
