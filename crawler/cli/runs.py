"""`nok-audit runs`: the runs in the store — when, how many sites, what is unfinished."""
from __future__ import annotations

from pathlib import Path

from crawler.cli.options import add_db_option
from crawler.runs.store_run import open_store_at
from crawler.store import queue


def add_parser(sub) -> None:
    runs = sub.add_parser("runs", help="прогоны в базе: когда, сколько сайтов, что не завершено")
    runs.add_argument("--out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    add_db_option(runs)


def handle(args, command: list[str]) -> int:
    store = open_store_at(args.db, Path(args.out).resolve())
    try:
        rows = queue.list_runs(store)
        if not rows:
            print("В базе нет прогонов.")
            return 0
        print("№   вид       начат             состояние    сайтов  с результатом  без результата  в очереди")
        for run, p in rows:
            kind = "пересчёт" if run.kind == "rescore" else "проверка"
            state = "завершён" if run.status == "finished" else "не завершён"
            print(f"{run.id:<3} {kind:<9} {run.started_at:%d.%m.%Y %H:%M}  {state:<12} {p.total:>6}  "
                  f"{p.with_result:>13}  {p.unsuccessful:>14}  {p.pending + p.running:>9}")
        return 0
    finally:
        store.close()
