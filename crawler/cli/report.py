"""`nok-audit report DIR … --out SUMMARY_DIR`: the batch summary over audit folders; with `--run N`, a stored
run's evidence packs and summary written again from the store."""
from __future__ import annotations

from pathlib import Path

from crawler.cli.options import add_db_option
from crawler.exits import BadInput
from crawler.runs.store_run import SUMMARY, open_store_at, run_id_of, write_run_summary
from crawler.runs.summary import summarise_folders
from crawler.store import queue


def add_parser(sub) -> None:
    rep = sub.add_parser("report", help="сводка по нескольким проверкам: summary.html, summary.csv, summary.xlsx; "
                         "с --run — отчёты прогона из базы")
    rep.add_argument("dirs", nargs="*", metavar="DIR", help="папки проверок (в каждой report.json)")
    rep.add_argument("--out", default="nok-reports/summary",
                     help="папка для сводки (по умолчанию nok-reports/summary)")
    rep.add_argument("--run", default=None, metavar="N", help="прогон из базы: отчёты всех организаций и сводка")
    rep.add_argument("--store-out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    add_db_option(rep)


def handle(args, command: list[str]) -> int:
    if args.run is not None:
        return _from_store(args)
    if not args.dirs:
        raise BadInput("укажите папки проверок или --run НОМЕР прогона из базы")
    return summarise_folders(args.dirs, args.out)


def _from_store(args) -> int:
    store = open_store_at(args.db, Path(args.store_out).resolve())
    try:
        run = queue.get_run(store, run_id_of(args.run))
        if run is None:
            raise BadInput(f"прогона {args.run} нет в базе (см. nok-audit runs)")
        out = Path(args.out)
        if not queue.progress(store, run.id).with_result:
            raise BadInput(f"в прогоне {run.id} нет ни одного результата")
        return write_run_summary(store, run.id, out, out / SUMMARY)
    finally:
        store.close()
