"""The `nok-audit` command.

    nok-audit check URL [--out DIR]      crawl a site, evaluate the checklist, write report.json/.html
    nok-audit evaluate DIR               re-evaluate a stored crawl (another checklist), no fetching
    nok-audit demo                       audit the demo site shipped with nok-audit (served on loopback)
    nok-audit report DIR [DIR ...] --out SUMMARY_DIR
                                         summary over many audit folders: summary.html/.csv/.xlsx
    nok-audit verify DIR                 check an audit folder against its manifest.json (evidence pack)
    nok-audit run REGISTRY [--db URL]    audit every organisation of a registry (CSV/XLSX) into the store
                                         (SQLite by default, or PostgreSQL), then write the batch summary;
                                         --resume continues an interrupted run
    nok-audit rescore RUN                re-evaluate a stored run with another checklist/methodology
    nok-audit runs | prune --keep N      list the runs in the store | retention
    nok-audit report --run N --out DIR   a stored run's reports and summary, written again from the store
    nok-audit diff [OLD NEW]             what changed between two audits, run folders or stored runs
                                         (default: the last two runs in the store; regressions first)
    nok-audit schedule install|remove|list
                                         a monthly run as a cron entry or a systemd timer
    nok-audit run REGISTRY --db postgresql+psycopg://… --nodes http://w1:6800,…
                                         the same run, each site a job on a Scrapyd node
    nok-audit node-config DIR            a Scrapyd worker node's folder (scrapyd.conf, scrapy.cfg)
    nok-audit serve [--host H --port P]  the self-check web page (http://127.0.0.1:8765/); --print-unit

Besides report.json/.html an audit writes report.md (a Markdown summary), report.pdf (printed by Chromium
in the browser stage; --no-pdf skips it) and, last, manifest.json (size, SHA-256 and capture time of every
artefact).

Exit codes: 0 audit done (verify: folder intact); 1 internal error; 2 bad input; 3 site unreachable (reports
still written); 4 evidence pack does not match its manifest (verify: a file missing, changed or unlisted);
5 the site falls short of --fail-under / --require (reports still written).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from crawler import __version__
from crawler.exits import guarded

# One module per command (crawler/cli/<command>.py, «-» as «_»), in the order of `nok-audit --help`: each adds
# its subparser and handles its arguments.
COMMANDS = ("check", "evaluate", "run", "rescore", "runs", "prune", "diff", "demo", "verify", "report", "schedule",
            "node-config", "serve")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or only the command `only` (its module alone is imported: a `check` does not
    pay for loading the store, the scheduler and the web server)."""
    parser = argparse.ArgumentParser(prog="nok-audit", description="Проверка официальных сайтов организаций "
                                     "социальной сферы для независимой оценки качества (НОК).")
    parser.add_argument("--version", action="version", version=f"nok-audit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"crawler.cli.{name.replace('-', '_')}")
        module.add_parser(sub)
        sub.choices[name].set_defaults(handle=module.handle)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv[0] if argv and argv[0] in COMMANDS else None).parse_args(argv)
    return guarded(lambda: args.handle(args, ["nok-audit", *argv]))


if __name__ == "__main__":
    sys.exit(main())
