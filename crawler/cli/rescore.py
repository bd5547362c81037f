"""`nok-audit rescore RUN`: a new run of kind «rescore» — every result of RUN evaluated again with the given
checklist or methodology from its stored crawl, nothing fetched."""
from __future__ import annotations

import dataclasses
import shutil
import sys
from pathlib import Path

from checklists.russian_numbers import num
from crawler.audit import evaluate_and_report
from crawler.cli.options import add_db_option
from crawler.exits import BadInput
from crawler.plan import ReportOptions
from crawler.registry import Organisation as Row
from crawler.registry import given_name
from crawler.runs.store_run import open_store_at, run_id_of, set_run_dir, write_run_summary
from crawler.store import queue
from crawler.store.results import materialize, report_of, results_of, store_result


def add_parser(sub) -> None:
    rescore = sub.add_parser("rescore", help="пересчитать сохранённый прогон с другим чек-листом или методикой "
                             "(сайты не загружаются)")
    rescore.add_argument("run", help="номер прогона (см. nok-audit runs)")
    rescore.add_argument("--out", default="nok-reports", help="папка отчётов и базы по умолчанию (nok-reports)")
    add_db_option(rescore)
    for name in ("checklist", "methodology", "operator_data"):
        rescore.add_argument("--" + name.replace("_", "-"), default=None)


def handle(args, command: list[str]) -> int:
    inputs = ReportOptions(checklist=args.checklist, methodology=args.methodology, operator_data=args.operator_data)
    out = Path(args.out).resolve()
    store = open_store_at(args.db, out)
    try:
        source = queue.get_run(store, run_id_of(args.run))
        if source is None:
            raise BadInput(f"прогона {args.run} нет в базе (см. nok-audit runs)")
        pairs = results_of(store, source.id)
        if not pairs:
            raise BadInput(f"в прогоне {source.id} нет ни одного результата — пересчитывать нечего")
        inputs.validate(pairs[0][1].url)
        run_id = queue.create_run(store, kind="rescore", parent=source.id, registry_file=source.registry_file,
                                  registry_sha256=source.registry_sha256, checklist=inputs.checklist or "",
                                  methodology=inputs.methodology or "", check_args=source.check_args)
        run_dir = out / f"run-{run_id}"
        set_run_dir(store, run_id, run_dir)
        queue.add_sites(store, run_id, [Row(row=n, name=o.name, url=o.url, sector=o.sector, region=o.region,
                                            inn=o.inn, ogrn=o.ogrn, bus_gov_id=o.bus_gov_id,
                                            extra_hosts=list(o.extra_hosts or []))
                                        for n, (_, o) in enumerate(pairs, 1)])
        source_result = {o.id: r.id for r, o in pairs}
        worker = queue.worker_id()
        print(f"Пересчёт прогона {source.id} → прогон {run_id}: организаций {len(pairs)} (сайты не загружаются)",
              file=sys.stderr)
        while (claim := queue.claim(store, run_id, worker)) is not None:
            folder = run_dir / claim.key
            shutil.rmtree(folder, ignore_errors=True)
            old_id = source_result[claim.org_id]
            materialize(store, old_id, folder)
            for stale in ("report.pdf", "manifest.json"):
                (folder / stale).unlink(missing_ok=True)
            named = dataclasses.replace(inputs, name=given_name(claim.name, claim.url))
            report = evaluate_and_report(folder, named, command, previous=report_of(store, old_id))[0]
            outcome = queue.CHECKED if report["crawl"]["entry_ok"] else queue.UNREACHABLE
            store_result(store, claim, worker, folder, outcome, "пересчитан")
            print(f"  {claim.name}: доля 1.1 {_percent(report['summary']['site_share_1_1'].get('share'))}",
                  file=sys.stderr)
        queue.finish_run_if_complete(store, run_id)
        write_run_summary(store, run_id, run_dir)
        print(f"Пересчёт готов: прогон {run_id}, папка {run_dir}", file=sys.stderr)
        return 0
    finally:
        store.close()


def _percent(share) -> str:
    return "—" if share is None else f"{num(share * 100, 1)} %"
