"""`nok-audit diff [OLD NEW]`: what changed between two audits — audit or run folders, or runs in the store
(default: the last two finished audit runs), regressions first."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from crawler.cli.options import add_db_option
from crawler.exits import EXIT_OK, BadInput
from crawler.runs.store_run import open_store_at, run_id_of
from crawler.store import queue
from crawler.store.results import results_of
from crawler.store.schema import RUN_FINISHED, Run
from reports.diff import compare, diff_folders, terminal_lines


def add_parser(sub) -> None:
    diff = sub.add_parser("diff", help="что изменилось между двумя проверками: папки проверок или прогонов, "
                          "или номера прогонов в базе (по умолчанию два последних)")
    diff.add_argument("old", nargs="?", default=None, help="прежняя проверка (папка или номер прогона)")
    diff.add_argument("new", nargs="?", default=None, help="новая проверка (папка или номер прогона)")
    diff.add_argument("--out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    add_db_option(diff)


def handle(args, command: list[str]) -> int:
    if args.db is not None or args.old is None or (args.old.isdigit() and not Path(args.old).exists()):
        return _runs(args)
    if args.new is None:
        raise BadInput("укажите две папки проверок (прежнюю и новую)")
    for folder in (args.old, args.new):
        if not Path(folder).is_dir():
            raise BadInput(f"папка {folder} не найдена")
    diffs, notes = diff_folders(Path(args.old), Path(args.new))
    if not diffs:
        raise BadInput("в папках нет пар отчётов report.json для сравнения")
    print("\n".join(terminal_lines(diffs, notes)))
    return EXIT_OK


def _runs(args) -> int:
    """Two runs of the store, per organisation."""
    store = open_store_at(args.db, Path(args.out).resolve())
    try:
        if args.old and args.new:
            old, new = queue.get_run(store, run_id_of(args.old)), queue.get_run(store, run_id_of(args.new))
            if old is None or new is None:
                raise BadInput("прогона с таким номером нет в базе (см. nok-audit runs)")
        else:
            with store.session() as s:
                last = list(s.scalars(select(Run).where(Run.kind == "audit", Run.status == RUN_FINISHED)
                                      .order_by(Run.id.desc()).limit(2)))
            if len(last) < 2:
                raise BadInput("для сравнения нужны два завершённых прогона; в базе их меньше")
            new, old = last
        a = {o.key: (o, r.report) for r, o in results_of(store, old.id)}
        b = {o.key: (o, r.report) for r, o in results_of(store, new.id)}
        diffs = compare((b[k][0].name, a[k][1], b[k][1]) for k in a.keys() & b.keys())
        notes = ([f"{a[k][0].name}: нет в прогоне {new.id}" for k in sorted(a.keys() - b.keys())]
                 + [f"{b[k][0].name}: новый в прогоне {new.id}" for k in sorted(b.keys() - a.keys())])
        print(f"Прогон {old.id} → прогон {new.id}")
        print("\n".join(terminal_lines(diffs, notes)))
        return 0
    finally:
        store.close()
