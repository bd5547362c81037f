"""The ASGI app of `nok-audit serve`: the self-check page, its live progress (SSE) and the finished audit
(report, PDF, evidence pack as a ZIP)."""
from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from checklists.sectors import CHECKLISTS as SECTOR_CHECKLISTS
from checklists.sectors import TITLES as SECTOR_TITLES
from crawler import __version__
from crawler.scope import InvalidURL, is_ip_literal, is_private_ip, parse_start_url
from crawler.web.jobs import STAGES, Jobs
from crawler.web.operator import Operator, StoreDown
from crawler.web.pack import listed, pack_file, pack_zip
from crawler.web.security import CSRF_FIELD, Gate, csrf_ok, csrf_token, remember_csrf
from reports.summary import site_xlsx

HERE = Path(__file__).parent
# (value, label, enabled): the sectors of checklists/sectors.py; a reserved one is shown but cannot be chosen.
SECTORS = tuple((s, SECTOR_TITLES[s].capitalize() + ("" if c else " (скоро)"), c is not None)
                for s, c in SECTOR_CHECKLISTS.items())
# Our own pages: our scripts and styles only (the audited site's report gets pack.REPORT_CSP: no script).
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
DNS_TIMEOUT = 5.0
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class WebConfig:
    out: Path
    check_options: list[str]
    run_options: list[str] = field(default_factory=list)   # the check options a run started here hands on
    max_parallel: int = 2
    site_time_limit: float = 1800.0
    allow_private: bool = False
    token: str = ""
    db: str = ""                  # the store's URL; "" = OUT/nok-audit.db, as for the CLI


class Refused(ValueError):
    """An address the page will not audit; the message is Russian."""


async def guard_address(url: str, allow_private: bool) -> str:
    """The `--resolve HOST:ADDR` pin for the check ("" for an IP address), or Refused for an address in the
    server's own network. The check connects to the address approved here, so a name cannot be re-pointed
    at an internal address between this lookup and the crawl (DNS rebinding)."""
    host = (urlsplit(url).hostname or "").strip("[]")
    if is_ip_literal(host):
        addresses = [host]
    else:
        try:
            infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(host, None), DNS_TIMEOUT)
        except (OSError, asyncio.TimeoutError):
            raise Refused(f"сайт {host} не найден в DNS — проверьте, правильно ли написан адрес") from None
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
    private = [a for a in addresses if is_private_ip(a)]
    if private and not allow_private:
        raise Refused(f"адрес {host} указывает на внутреннюю сеть ({private[0]}); такие адреса с этой страницы "
                      "не проверяются")
    if is_ip_literal(host):
        return ""
    v4 = [a for a in addresses if ":" not in a]
    return f"{host}:{v4[0]}" if v4 else ""


def create_app(config: WebConfig) -> Starlette:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    state: dict = {}

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        html = env.get_template(name).render(csrf=csrf_token(request), csrf_field=CSRF_FIELD, version=__version__,
                                             **context)
        response = HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": PAGE_CSP,
                                                                   "Referrer-Policy": "no-referrer",
                                                                   "X-Content-Type-Options": "nosniff"})
        remember_csrf(request, response)
        return response

    def home_page(request, status=200, error="", address="", sector="social"):
        # No list of earlier checks: a check's random id is the only key to its page (another organisation
        # must not see which sites were checked).
        return page(request, "home.html", status, error=error, address=address, sector=sector, sectors=SECTORS,
                    allow_private=config.allow_private)

    def job_of(request: Request):
        job = state["jobs"].jobs.get(request.path_params["job"])
        if job is None:
            raise NotFound()
        return job

    async def home(request: Request):
        return home_page(request)

    async def start_check(request: Request):
        form = await request.form()
        if not csrf_ok(request, form):
            return page(request, "error.html", 403, title="Форма устарела",
                        message="Форма отправлена без действующего ключа защиты (CSRF). Откройте главную "
                                "страницу заново и повторите.")
        address, sector = str(form.get("address", "")), str(form.get("sector", "social"))
        if sector not in {s for s, _, enabled in SECTORS if enabled}:
            return home_page(request, 400, "эта сфера пока не поддерживается — выберите одну из доступных", address)
        try:
            url, _ = parse_start_url(address)
            resolve = await guard_address(url, config.allow_private)
        except (InvalidURL, Refused) as exc:
            return home_page(request, 400, f"Ошибка: {exc}", address, sector)
        job = state["jobs"].submit(address.strip(), sector, resolve)
        return RedirectResponse(f"/check/{job.id}", status_code=303)

    async def job_page(request: Request):
        job = job_of(request)
        jobs = state["jobs"]
        audit = jobs.audit_dir(job)
        return page(request, "job.html", job=job, progress=jobs.progress(job), stages=STAGES[1:-1],
                    has_pdf=(audit / "report.pdf").is_file(), has_report=(audit / "report.html").is_file(),
                    summary=_summary(audit) if job.status == "done" else None)

    async def events(request: Request):
        job = job_of(request)
        jobs = state["jobs"]

        async def stream():
            last = None
            while True:
                progress = jobs.progress(job)
                if progress != last:
                    last = progress
                    yield {"event": "progress", "data": json.dumps(progress, ensure_ascii=False)}
                if job.status in ("done", "failed"):
                    yield {"event": "done", "data": json.dumps({"status": job.status}, ensure_ascii=False)}
                    return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.5)

        return EventSourceResponse(stream(), ping=15)

    async def report_file(request: Request):
        """A file of the finished evidence pack, only one listed in its manifest; report.html with its CSP."""
        job = job_of(request)
        audit = state["jobs"].audit_dir(job)
        response = pack_file(audit, request.path_params.get("path") or "report.html",
                             listed(audit) if job.status == "done" else set())
        if response is None:
            raise NotFound()
        return response

    async def evidence_zip(request: Request):
        job = job_of(request)
        audit = state["jobs"].audit_dir(job)
        if job.status != "done":
            raise NotFound()
        data = await asyncio.to_thread(pack_zip, audit)
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="nok-audit-{_host(job)}-{job.id}.zip"'})

    async def site_row(request: Request):
        """The site's row of the operator's summary.xlsx (reports.exports), made from its report.json."""
        job = job_of(request)
        if job.status != "done":
            raise NotFound()
        try:
            data = await asyncio.to_thread(site_xlsx, state["jobs"].audit_dir(job))
        except ValueError:                  # no usable report.json (removed or damaged since)
            raise NotFound() from None
        return Response(data, media_type=XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="nok-audit-{_host(job)}-{job.id}.xlsx"'})

    async def health(request: Request):
        jobs = state["jobs"].jobs.values()
        return JSONResponse({"status": "ok", "version": __version__,
                             "running": sum(j.status == "running" for j in jobs),
                             "queued": sum(j.status == "queued" for j in jobs)})

    async def not_found(request: Request, exc):
        return page(request, "error.html", 404, title="Не найдено", message="Такой страницы или проверки нет.")

    async def internal_error(request: Request, exc):
        return page(request, "error.html", 500, title="Внутренняя ошибка",
                    message="Внутренняя ошибка nok-audit: подробности — в журнале сервера; пожалуйста, сообщите "
                            "о ней разработчикам.")

    async def store_down(request: Request, exc):
        return page(request, "error.html", 503, title="База недоступна", message=str(exc))

    operator = Operator(config, page, not_found)

    @asynccontextmanager
    async def lifespan(app):
        state["jobs"] = Jobs(config.out / "selfcheck", config.check_options, config.max_parallel,
                             config.site_time_limit)
        await asyncio.to_thread(operator.open)
        yield
        await state["jobs"].close()
        operator.close()

    routes = [
        Route("/", home),
        Route("/check", start_check, methods=["POST"]),
        Route("/check/{job:str}", job_page),
        Route("/check/{job:str}/events", events),
        Route("/check/{job:str}/report/", report_file),
        Route("/check/{job:str}/report/{path:path}", report_file),
        Route("/check/{job:str}/evidence.zip", evidence_zip),
        Route("/check/{job:str}/row.xlsx", site_row),
        Route("/health", health),
        *operator.routes(),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 500: internal_error, NotFound: not_found,
                                                                     StoreDown: store_down})
    app.add_middleware(Gate, token=config.token)
    return app


class NotFound(Exception):
    pass


def _host(job) -> str:
    """The audited host for a download's file name."""
    return (urlsplit(parse_start_url(job.url)[0]).hostname or "site").replace(":", "_")


def _summary(audit: Path) -> dict | None:
    """The job page's headline from report.json: counts by status and the first items of the fix-first list."""
    try:
        report = json.loads((audit / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {"counts": report["summary"], "fix_first": report.get("fix_first", [])[:5],
            "fix_total": len(report.get("fix_first", [])),
            "title": report["site"].get("name") or report["site"].get("title", "")}
