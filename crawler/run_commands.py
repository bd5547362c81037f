"""The store-backed commands: `run` (audit a registry, resumable), `rescore` (re-evaluate a stored run with
another checklist or methodology, no fetching), `runs` (list), `prune` (retention), and the store side of
`report` and `diff`.

Layout on disk: `OUT/nok-audit.db` (the default SQLite store) and `OUT/run-<id>/<site>/` — each site's
evidence pack as filed in the store — with the batch summary in `OUT/run-<id>/summary/`.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import sys
from datetime import timedelta
from pathlib import Path

from crawler.audit import BadInput
from crawler.store import StoreError, queue
from crawler.store.db import Store, default_db_url, open_store, safe_url
from reports.manifest import sha256_of

SUMMARY = "summary"


def _open(db: str | None, out: Path) -> Store:
    try:
        return open_store(db or default_db_url(out))
    except StoreError as exc:
        raise BadInput(str(exc)) from None


def _registry(path: str, sheet: str | None, allow_private: bool = False, resolve: bool = True):
    from crawler.registry import RegistryError, load_registry, refuse_private

    try:
        orgs, problems = load_registry(path, sheet=sheet)
    except RegistryError as exc:
        raise BadInput(f"реестр: {exc}") from None
    if not allow_private:
        orgs, refused = refuse_private(orgs, resolve)
        problems = problems + refused
    for problem in problems:
        print(f"Предупреждение: {problem}", file=sys.stderr)
    if not orgs:
        raise BadInput("в реестре нет ни одной пригодной строки — проверка не начата")
    return orgs, problems


def run_cmd(args, check_args: list[str], checklist: str, methodology: str) -> int:
    from crawler.batch import Batch, display_for_terminal

    if args.jobs < 1 or args.site_time_limit <= 0 or args.browsers < 1:
        raise BadInput("--jobs, --browsers и --site-time-limit должны быть положительными")
    if args.max_sites_per_process < 1 or args.processes < 1:
        raise BadInput("--max-sites-per-process и --processes должны быть положительными")
    if args.keep is not None and args.keep < 1:
        raise BadInput("--keep должно быть не меньше 1")
    if not args.registry and args.resume is None:
        raise BadInput("укажите файл реестра или --resume, чтобы продолжить прерванный прогон")
    orgs = (_registry(args.registry, args.sheet, args.allow_private, resolve=not args.check_registry)[0]
            if args.registry else [])
    if args.check_registry:
        print(f"Реестр {args.registry}: пригодных строк {len(orgs)}; проверка сайтов не начиналась.")
        return 0
    out = Path(args.out).resolve()
    nodes = _nodes(args)
    store = _open(args.db, out)
    try:
        if nodes is not None:
            _check_nodes(store, args, nodes)
        try:
            run_id, run_dir, check_args = _prepare_run(store, args, orgs, out, check_args, checklist, methodology)
        except StoreError as exc:           # nothing fetched yet: a bad store is bad input
            raise BadInput(str(exc)) from None
        if nodes is not None:
            _run_on_nodes(store, args, nodes, run_id)
            return _finish(store, args, run_id, run_dir)
        if args.in_process:
            _run_in_process(store, args, run_id, run_dir)
            return _finish(store, args, run_id, run_dir)
        display = display_for_terminal()
        try:
            state = Batch(store, run_id, run_dir, check_args, args.jobs, args.site_time_limit,
                          browsers=args.browsers).run(display)
        finally:
            display.close()
        if state.db_error:
            raise StoreError(f"{state.db_error}\nПрогон {run_id} остановлен. Готовые проверки сохранены в {run_dir} "
                             "и будут занесены в базу без повторной загрузки сайтов: nok-audit run --resume "
                             f"{run_id}" + (f" --db {safe_url(store.url)}" if args.db else f" --out {args.out}"))
        return _finish(store, args, run_id, run_dir)
    finally:
        store.close()


def _finish(store: Store, args, run_id: int, run_dir: Path) -> int:
    """The run's end: mark it finished when nothing is left, write the summary, apply retention."""
    finished = queue.finish_run_if_complete(store, run_id)
    p = queue.progress(store, run_id)
    write_run_summary(store, run_id, run_dir)
    print(f"Прогон {run_id}: результатов {p.with_result} из {p.total}"
          + (f"; без результата (предел времени или ошибка): {p.unsuccessful} — повторите с --resume"
             if p.unsuccessful else "") + ("" if finished else "; прогон не завершён"), file=sys.stderr)
    if finished and args.keep:
        prune_runs(store, args.keep)
    return 0


def _nodes(args):
    from crawler.dispatch import parse_nodes

    if not args.nodes:
        return None
    if args.node_slots < 1 or args.node_dead_after <= 0:
        raise BadInput("--node-slots и --node-dead-after должны быть положительными")
    try:
        return parse_nodes(args.nodes, args.node_slots)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _check_nodes(store: Store, args, nodes) -> None:
    from crawler.dispatch import NodeError, check_nodes

    if store.is_sqlite and not args.node_db:
        print("Предупреждение: база SQLite доступна узлам, только если они на этой же машине; для нескольких "
              "машин укажите --db postgresql+psycopg://…", file=sys.stderr)
    try:
        check_nodes(nodes)
    except NodeError as exc:
        raise BadInput(f"узел Scrapyd: {exc}") from None


def _run_in_process(store: Store, args, run_id: int, run_dir: Path) -> None:
    """Sites audited by --processes worker processes that each run up to --jobs sites at once
    (crawler/worker.py); a worker is replaced when it ends (after --max-sites-per-process sites, or after a
    site overran its limit), its unfinished sites going back to the queue."""
    import subprocess
    import time

    from crawler.batch import BROWSER_POOL, BatchState, die_with_parent, display_for_terminal
    from crawler.browser_pool import POOL_ENV, make_pool
    from crawler.worker import EXIT_STORE

    jobs_dir = run_dir / ".jobs"
    command = [sys.executable, "-m", "crawler.worker", "--db", store.url, "--run", str(run_id), "--jobs",
               str(args.jobs), "--max-sites", str(args.max_sites_per_process),
               "--site-time-limit", str(args.site_time_limit)]
    env = {**os.environ, "NOK_WORK_DIR": str(jobs_dir),
           POOL_ENV: str(make_pool(run_dir / BROWSER_POOL, args.browsers))}
    p = queue.progress(store, run_id)
    state = BatchState(total=p.total, done_before=p.done)
    display = display_for_terminal()
    seen = {row[0] for row in queue.finished_sites(store, run_id, None)}
    since = None
    procs: list[subprocess.Popen] = []
    try:
        with open(run_dir / "worker.log", "ab") as log:
            while True:
                ended = [proc for proc in procs if proc.poll() is not None]
                if any(proc.returncode == EXIT_STORE for proc in ended):
                    raise StoreError("база недоступна из рабочего процесса (подробности в "
                                     f"{run_dir / 'worker.log'}); продолжите с --resume")
                if ended:
                    procs = [proc for proc in procs if proc not in ended]
                    queue.release_stale(store, run_id)            # the sites the ended workers left unfinished
                p = queue.progress(store, run_id)
                # a new worker per free process slot, as long as sites wait (each claims up to --jobs)
                while len(procs) < args.processes and p.pending > args.jobs * len(procs):
                    procs.append(subprocess.Popen(command, stdout=log, stderr=log, env=env,
                                                  preexec_fn=die_with_parent))
                with state.lock:
                    # Another process may commit a site stamped a little earlier than the last one seen.
                    window = since - timedelta(minutes=5) if since else None
                    for site_id, name, url, outcome, note, at in queue.finished_sites(store, run_id, window):
                        since = max(since, at) if since else at
                        if site_id in seen:
                            continue
                        seen.add(site_id)
                        state.done += 1
                        state.failed += outcome in queue.RETRIED_ON_RESUME
                        state.lines.append(f"{name} ({url}): {note}")
                    state.running = {key: jobs_dir / f"run-{run_id}" / f"{key}.{attempt}"
                                     for key, attempt in queue.running_sites(store, run_id)}
                display.update(state)
                if not procs and p.pending == 0 and p.running == 0:
                    break
                time.sleep(0.5)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        display.close()


def _run_on_nodes(store: Store, args, nodes, run_id: int) -> None:
    from crawler.dispatch import Dispatcher, NodeError

    print(f"Узлы Scrapyd: {', '.join(n.url for n in nodes)} (заданий на узле: {args.node_slots})", file=sys.stderr)
    try:
        Dispatcher(store, run_id, nodes, args.node_db or store.url, dead_after=args.node_dead_after).run()
    except NodeError as exc:
        raise StoreError(f"{exc}; прогон {run_id}: nok-audit run --resume {run_id} --nodes …") from None


def _prepare_run(store, args, orgs, out: Path, check_args, checklist, methodology):
    """Create or resume the run and queue its sites; (run id, run folder, check options)."""
    if args.resume is not None:
        run = (queue.latest_run(store, active=True) if args.resume == "last"
               else queue.get_run(store, _run_id(args.resume)))
        if run is None:
            raise BadInput("в базе нет незавершённого прогона — начните новый: nok-audit run РЕЕСТР"
                           if args.resume == "last" else f"прогона {args.resume} нет в базе")
        if run.kind != "audit":
            raise BadInput(f"прогон {run.id} — пересчёт, а не проверка сайтов; его нельзя продолжить")
        run_id, check_args = run.id, list(run.check_args)
        run_dir = Path(run.out_dir)
        released = queue.release_stale(store, run_id) + queue.requeue_unsuccessful(store, run_id)
        print(f"Продолжение прогона {run_id} (начат {run.started_at:%d.%m.%Y %H:%M}); возвращено в очередь "
              f"прерванных и неудачных сайтов: {released}", file=sys.stderr)
    else:
        active = queue.latest_run(store, active=True, kind="audit")
        if active is not None:
            print(f"Примечание: в базе есть незавершённый прогон {active.id}; он продолжается командой "
                  "nok-audit run --resume", file=sys.stderr)
        run_id = queue.create_run(store, registry_file=str(Path(args.registry).resolve()),
                                  registry_sha256=sha256_of(Path(args.registry)), checklist=checklist,
                                  methodology=methodology, check_args=check_args)
        run_dir = out / f"run-{run_id}"
        with store.session() as s:
            from crawler.store.schema import Run
            s.get(Run, run_id).out_dir = str(run_dir)
    if orgs:
        queue.add_sites(store, run_id, orgs)
    run_dir.mkdir(parents=True, exist_ok=True)
    p = queue.progress(store, run_id)
    print(f"Прогон {run_id}: организаций {p.total}; проверено ранее: {p.done}; проверить сейчас: "
          f"{p.pending + p.running}. База: {safe_url(store.url)}; папка: {run_dir}", file=sys.stderr)
    return run_id, run_dir, check_args


def _run_id(raw) -> int:
    try:
        return int(str(raw).removeprefix("run-"))
    except ValueError:
        raise BadInput(f"номер прогона «{raw}» не распознан: ожидается число (см. nok-audit runs)") from None


def materialize_run(store: Store, run_id: int, run_dir: Path) -> dict[str, str]:
    """The run's evidence packs as folders (those not on disk are written from the store); {folder: name}."""
    from crawler.batch import is_finished
    from crawler.store.results import materialize, results_of

    folders = {}
    for result, org in results_of(store, run_id):
        folder = run_dir / org.key
        if not is_finished(folder):
            shutil.rmtree(folder, ignore_errors=True)
            materialize(store, result.id, folder)
        folders[str(folder)] = org.name
    return folders


def write_run_summary(store: Store, run_id: int, run_dir: Path) -> None:
    from crawler.cli import report_cmd

    folders = materialize_run(store, run_id, run_dir)
    if folders:
        report_cmd(list(folders), str(run_dir / SUMMARY), names=folders)


def prune_runs(store: Store, keep: int) -> None:
    from crawler.store.results import prune
    from crawler.store.schema import Run

    with store.session() as s:
        dirs = {r.id: r.out_dir for r in s.query(Run).all()}
    removed = prune(store, keep)
    for run_id in removed:
        if dirs.get(run_id) and Path(dirs[run_id]).name == f"run-{run_id}":
            shutil.rmtree(dirs[run_id], ignore_errors=True)
    if removed:
        print(f"Хранение: удалены старые прогоны {', '.join(map(str, removed))} (оставлено последних: {keep})",
              file=sys.stderr)


def rescore_cmd(args, inputs, command: list[str]) -> int:
    """A new run of kind «rescore»: every result of RUN evaluated again with the given checklist/methodology."""
    from crawler.audit import evaluate_and_report
    from crawler.registry import given_name
    from crawler.store.results import materialize, report_of, results_of, store_result

    out = Path(args.out).resolve()
    store = _open(args.db, out)
    try:
        source = queue.get_run(store, _run_id(args.run))
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
        with store.session() as s:
            from crawler.store.schema import Run
            s.get(Run, run_id).out_dir = str(run_dir)
        from crawler.registry import Organisation as Row
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
            print(f"  {claim.name}: доля 1.1 "
                  f"{_percent(report['summary']['site_share_1_1'].get('share'))}", file=sys.stderr)
        queue.finish_run_if_complete(store, run_id)
        write_run_summary(store, run_id, run_dir)
        print(f"Пересчёт готов: прогон {run_id}, папка {run_dir}", file=sys.stderr)
        return 0
    finally:
        store.close()


def _percent(share) -> str:
    from checklists.russian_numbers import num

    return "—" if share is None else f"{num(share * 100, 1)} %"


def runs_cmd(args) -> int:
    out = Path(args.out).resolve()
    store = _open(args.db, out)
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


def prune_cmd(args) -> int:
    if args.keep < 1:
        raise BadInput("--keep должно быть не меньше 1")
    store = _open(args.db, Path(args.out).resolve())
    try:
        prune_runs(store, args.keep)
        return 0
    finally:
        store.close()


def report_from_store(args) -> int:
    """`nok-audit report --run N`: the run's evidence packs and summary written again from the store."""
    store = _open(args.db, Path(args.store_out).resolve())
    try:
        run = queue.get_run(store, _run_id(args.run))
        if run is None:
            raise BadInput(f"прогона {args.run} нет в базе (см. nok-audit runs)")
        out = Path(args.out)
        folders = materialize_run(store, run.id, out)
        if not folders:
            raise BadInput(f"в прогоне {run.id} нет ни одного результата")
        from crawler.cli import report_cmd
        return report_cmd(list(folders), str(out / SUMMARY), names=folders)
    finally:
        store.close()


def diff_from_store(args) -> int:
    """`nok-audit diff --db …`: two runs (default: the last two finished audit runs), per organisation."""
    from reports.diff import compare, terminal_lines
    from crawler.store.results import results_of

    store = _open(args.db, Path(args.out).resolve())
    try:
        if args.old and args.new:
            old, new = queue.get_run(store, _run_id(args.old)), queue.get_run(store, _run_id(args.new))
            if old is None or new is None:
                raise BadInput("прогона с таким номером нет в базе (см. nok-audit runs)")
        else:
            with store.session() as s:
                from sqlalchemy import select

                from crawler.store.schema import RUN_FINISHED, Run
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
