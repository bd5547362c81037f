"""`nok-audit prune --keep N`: retention — all but the N newest finished runs deleted, from the store and disk."""
from __future__ import annotations

from pathlib import Path

from crawler.cli.options import add_db_option
from crawler.exits import BadInput
from crawler.runs.store_run import open_store_at, prune_runs


def add_parser(sub) -> None:
    prune = sub.add_parser("prune", help="удалить старые прогоны, оставив N последних")
    prune.add_argument("--keep", type=int, required=True, metavar="N")
    prune.add_argument("--out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    add_db_option(prune)


def handle(args, command: list[str]) -> int:
    if args.keep < 1:
        raise BadInput("--keep должно быть не меньше 1")
    store = open_store_at(args.db, Path(args.out).resolve())
    try:
        prune_runs(store, args.keep)
        return 0
    finally:
        store.close()
