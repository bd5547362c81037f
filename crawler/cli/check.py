"""`nok-audit check URL`: crawl a site, evaluate the checklist, run the browser stage, write the reports."""
from __future__ import annotations

import argparse

from crawler.audit import audit_site
from crawler.cli.options import add_crawl_options, gate, plan_from_args


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", help="адрес сайта организации")
    p.add_argument("--out", default=None, help="папка для отчётов (по умолчанию nok-reports/<сайт>)")
    add_crawl_options(p)


def add_parser(sub) -> None:
    add_arguments(sub.add_parser("check", help="проверить сайт и записать отчёты"))


def check_parser() -> argparse.ArgumentParser:
    """`check`'s own parser, for the commands that take check options (serve --check-options)."""
    p = argparse.ArgumentParser(prog="nok-audit check")
    add_arguments(p)
    return p


def handle(args, command: list[str]) -> int:
    code, report = audit_site(plan_from_args(args, url=args.url, out=args.out), command)
    return gate(args, report, code)
