"""`nok-audit evaluate DIR`: evaluate a stored crawl again (another checklist or methodology), no fetching."""
from __future__ import annotations

from pathlib import Path

from crawler.audit import (CRAWL_SUBDIR, evaluate_and_report, load_previous_report, registry_name_of,
                           summary_text)
from crawler.cli.options import add_report_options, gate, report_options
from crawler.crawlstore import load_crawl
from crawler.exits import EXIT_OK, EXIT_UNREACHABLE, BadInput


def add_parser(sub) -> None:
    ev = sub.add_parser("evaluate", help="заново оценить сохранённый обход (без загрузки сайта)")
    ev.add_argument("dir", help="папка проверки (в ней подпапка crawl/)")
    add_report_options(ev)


def handle(args, command: list[str]) -> int:
    """--previous may be this folder's own report.json (read before it is rewritten): the changes are then
    those of the re-evaluation."""
    inputs = report_options(args)
    out = Path(args.dir)
    if not (out / CRAWL_SUBDIR / "crawl.json").exists():
        raise BadInput(f"в папке {out} нет сохранённого обхода ({CRAWL_SUBDIR}/crawl.json)")
    start_url = load_crawl(out / CRAWL_SUBDIR).journal.start_url
    inputs.validate(start_url)
    previous = load_previous_report(args.previous, start_url) if args.previous else None
    inputs.name = inputs.name or registry_name_of(out)
    report, json_path, html_path = evaluate_and_report(out, inputs, command, previous=previous)
    print(summary_text(report, json_path, html_path, out))
    return gate(args, report, EXIT_OK if report["crawl"]["entry_ok"] else EXIT_UNREACHABLE)
