"""`nok-audit serve`: the web page for people who are not at a terminal (self-check of a site).

Starlette + Uvicorn (exact pins in pyproject.toml): a small, well-kept ASGI stack whose whole surface we use
— routing, forms, static files, streaming — without an ORM or a framework's own conventions; Server-Sent
Events by sse-starlette (keep-alive pings, disconnect handling), Jinja2 as for the reports.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import shlex
import socket
import sys
from pathlib import Path

import uvicorn

from crawler.cli.check import check_parser
from crawler.cli.run import PASS_FLAGS, PASS_THROUGH
from crawler.exits import BadInput
from crawler.runs.node import systemd_unit
from crawler.store import StoreError
from crawler.store.db import default_db_url, open_store
from crawler.web.app import WebConfig, create_app

TOKEN_ENV = "NOK_SERVE_TOKEN"
# The audits started from the page: the check's defaults, without a progress bar on a terminal nobody sees.
DEFAULT_CHECK_OPTIONS = "--quiet"


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="веб-страница самопроверки сайта (по умолчанию http://127.0.0.1:8765/)")
    p.add_argument("--host", default="127.0.0.1",
                   help="адрес сервера (по умолчанию 127.0.0.1; любой другой — только с --token)")
    p.add_argument("--port", type=int, default=8765, help="порт (по умолчанию 8765; 0 — любой свободный)")
    p.add_argument("--out", default="nok-reports", help="папка проверок и базы (по умолчанию nok-reports)")
    p.add_argument("--db", default=None, metavar="URL",
                   help="база прогонов, как у nok-audit run: путь к файлу SQLite или postgresql+psycopg://… "
                        "(по умолчанию nok-audit.db в папке --out)")
    p.add_argument("--token", default=os.environ.get(TOKEN_ENV, ""), metavar="КЛЮЧ",
                   help=f"ключ доступа, проверяется при каждом запросе; auto — создать и напечатать "
                        f"(можно задать переменной {TOKEN_ENV}, чтобы ключ не был виден в списке процессов)")
    p.add_argument("--max-parallel", type=int, default=2, metavar="N",
                   help="проверок одновременно, остальные ждут в очереди (по умолчанию 2)")
    p.add_argument("--site-time-limit", type=float, default=1800.0, metavar="S",
                   help="предел времени одной проверки, с (по умолчанию 1800)")
    p.add_argument("--check-options", default=DEFAULT_CHECK_OPTIONS, metavar="«…»",
                   help="параметры nok-audit check для проверок со страницы, через «=»: "
                        "--check-options=\"--no-browser --delay 1\"")
    p.add_argument("--allow-private", action="store_true",
                   help="ОПАСНО: разрешить проверять адреса внутренней сети (127.x, 10.x, 192.168.x …), "
                        "введённые на странице — только для проверки своих серверов; сайт по-прежнему не "
                        "может перенаправить проверку во внутреннюю сеть")
    p.add_argument("--print-unit", action="store_true", help="напечатать службу systemd для этих параметров")
    p.add_argument("--user", default="nok", help="пользователь службы systemd в --print-unit (по умолчанию nok)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_options(raw: str) -> list[str]:
    """The `check` options for the page's audits, refused now (exit 2) rather than at each audit."""
    try:
        options = shlex.split(raw)
    except ValueError as exc:
        raise BadInput(f"--check-options: {exc}") from None
    for forbidden in ("--out", "--allow-private", "--resolve", "--previous", "--submit-forms"):
        if any(o == forbidden or o.startswith(forbidden + "=") for o in options):
            raise BadInput(f"--check-options: {forbidden} задаётся сервером, а не здесь")
    try:
        check_parser().parse_args(["example.ru", *options])
    except SystemExit:
        raise BadInput(f"--check-options: «{raw}» — не параметры nok-audit check (см. nok-audit check --help)") \
            from None
    return options


def run_options(check_options: list[str]) -> list[str]:
    """The page's `check` options that `run` hands on to each site (the others are the check's own)."""
    given = check_parser().parse_args(["example.ru", *check_options])
    default = check_parser().parse_args(["example.ru"])
    out = [a for name in PASS_THROUGH if getattr(given, name) != getattr(default, name)
           for a in ("--" + name.replace("_", "-"), str(getattr(given, name)))]
    return out + ["--" + name.replace("_", "-") for name in PASS_FLAGS
                  if name != "allow_private" and getattr(given, name)]


def service_unit(args, options: list[str]) -> str:
    command = [str(Path(sys.executable).parent / "nok-audit"), "serve", "--host", args.host, "--port",
               str(args.port), "--out", str(Path(args.out).resolve()), *(["--db", args.db] if args.db else []),
               "--max-parallel", str(args.max_parallel), "--site-time-limit", f"{args.site_time_limit:g}",
               f"--check-options={shlex.join(options)}"]
    if args.allow_private:
        command.append("--allow-private")
    token_line = f"Environment={TOKEN_ENV}=ЗАМЕНИТЕ-НА-СЛУЧАЙНЫЙ-КЛЮЧ\n" if not _is_loopback(args.host) else ""
    return systemd_unit(f"nok-audit web page (self-check) on {args.host}:{args.port}", args.user,
                        Path(args.out).resolve(), shlex.join(command), token_line)


def handle(args, command: list[str]) -> int:
    if args.max_parallel < 1 or args.site_time_limit <= 0 or not (0 <= args.port < 65536):
        raise BadInput("--max-parallel и --site-time-limit должны быть положительными, --port — от 0 до 65535")
    options = check_options(args.check_options)
    if args.print_unit:
        print(service_unit(args, options))
        return 0
    token = secrets.token_urlsafe(24) if args.token == "auto" else args.token
    if not token and not _is_loopback(args.host):
        raise BadInput(f"сервер на адресе {args.host} доступен из сети: укажите ключ доступа --token КЛЮЧ "
                       f"(или --token auto — ключ будет создан и напечатан)")
    try:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host.strip("[]"), args.port))
        sock.listen(128)          # connections wait in the backlog from the moment the address is printed
    except OSError as exc:
        raise BadInput(f"не удалось занять адрес {args.host}:{args.port}: {exc.strerror}") from None
    out = Path(args.out).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
        open_store(args.db or default_db_url(out)).close()       # a bad --db is refused before the page is up
    except StoreError as exc:
        raise BadInput(str(exc)) from None
    except OSError as exc:
        raise BadInput(f"не удалось создать папку {out}: {exc.strerror}") from None
    config = WebConfig(out=out, check_options=options, run_options=run_options(options), max_parallel=args.max_parallel,
                       site_time_limit=args.site_time_limit, allow_private=args.allow_private, token=token,
                       db=args.db or "")
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.allow_private:
        print("Внимание: --allow-private — со страницы можно проверять адреса внутренней сети.", file=sys.stderr)
    print(f"nok-audit serve: {url}  (проверки — в {out / 'selfcheck'}; остановка — Ctrl+C)", flush=True)
    server = uvicorn.Server(uvicorn.Config(create_app(config), access_log=False, log_level="warning",
                                           timeout_graceful_shutdown=3))
    server.run(sockets=[sock])
    return 0
