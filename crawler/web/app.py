"""The ASGI app of `nok-audit serve`: the self-check page, its live progress (SSE) and the finished audit
(report, PDF, evidence pack as a ZIP)."""
from __future__ import annotations

import asyncio
import io
import json
import mimetypes
import zipfile
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from crawler import __version__
from crawler.scope import InvalidURL, is_ip_literal, is_private_ip, parse_start_url
from crawler.web.jobs import STAGES, Jobs
from crawler.web.security import CSRF_FIELD, Gate, csrf_ok, csrf_token, remember_csrf
from reports.manifest import MANIFEST_NAME, load_manifest

HERE = Path(__file__).parent
SECTORS = (("social", "Социальное обслуживание", True), ("education", "Образование (скоро)", False),
           ("culture", "Культура (скоро)", False), ("health", "Здравоохранение (скоро)", False))
# Our own pages: our scripts and styles only. The audited site's report gets a stricter policy (no script).
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
              "form-action 'none'; base-uri 'none'; sandbox allow-popups allow-popups-to-escape-sandbox")
DNS_TIMEOUT = 5.0


@dataclass
class WebConfig:
    out: Path
    check_options: list[str]
    max_parallel: int = 2
    site_time_limit: float = 1800.0
    allow_private: bool = False
    token: str = ""


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
        recent = sorted(state["jobs"].jobs.values(), key=lambda j: j.created, reverse=True)[:10]
        return page(request, "home.html", status, error=error, address=address, sector=sector, sectors=SECTORS,
                    recent=recent, allow_private=config.allow_private)

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
            return home_page(request, 400, "эта сфера пока не поддерживается — выберите «Социальное "
                             "обслуживание»", address)
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
        rel = request.path_params.get("path") or "report.html"
        if job.status != "done" or rel not in _listed(audit):
            raise NotFound()
        headers = {"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer"}
        media = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        inline = rel == "report.html" or media in ("application/pdf", "image/png", "image/jpeg")
        return FileResponse(audit / rel, media_type=media, headers=headers,
                            content_disposition_type="inline" if inline else "attachment",
                            filename=None if inline else Path(rel).name)

    async def evidence_zip(request: Request):
        job = job_of(request)
        audit = state["jobs"].audit_dir(job)
        if job.status != "done":
            raise NotFound()
        data = await asyncio.to_thread(_zip, audit)
        host = (urlsplit(parse_start_url(job.url)[0]).hostname or "site").replace(":", "_")
        return Response(data, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="nok-audit-{host}-{job.id}.zip"'})

    async def health(request: Request):
        jobs = state["jobs"].jobs.values()
        return JSONResponse({"status": "ok", "version": __version__,
                             "running": sum(j.status == "running" for j in jobs),
                             "queued": sum(j.status == "queued" for j in jobs)})

    async def not_found(request: Request, exc):
        return page(request, "error.html", 404, title="Не найдено", message="Такой страницы или проверки нет.")

    @asynccontextmanager
    async def lifespan(app):
        state["jobs"] = Jobs(config.out / "selfcheck", config.check_options, config.max_parallel,
                             config.site_time_limit)
        yield
        await state["jobs"].close()

    routes = [
        Route("/", home),
        Route("/check", start_check, methods=["POST"]),
        Route("/check/{job:str}", job_page),
        Route("/check/{job:str}/events", events),
        Route("/check/{job:str}/report/", report_file),
        Route("/check/{job:str}/report/{path:path}", report_file),
        Route("/check/{job:str}/evidence.zip", evidence_zip),
        Route("/health", health),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, NotFound: not_found})
    app.add_middleware(Gate, token=config.token)
    return app


class NotFound(Exception):
    pass


def _listed(audit: Path) -> set[str]:
    try:
        return {f["path"] for f in load_manifest(audit)["files"]} | {MANIFEST_NAME}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _zip(audit: Path) -> bytes:
    """The evidence pack: exactly the files of its manifest, and the manifest (verifies after unpacking)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in sorted(_listed(audit)):
            archive.write(audit / rel, rel)
    return buffer.getvalue()


def _summary(audit: Path) -> dict | None:
    """The job page's headline from report.json: counts by status and the first items of the fix-first list."""
    try:
        report = json.loads((audit / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {"counts": report["summary"], "fix_first": report.get("fix_first", [])[:5],
            "fix_total": len(report.get("fix_first", [])), "title": report["site"].get("title", "")}
