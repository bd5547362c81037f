"""`nok-audit run REGISTRY`: audit every organisation of a registry into the store, then write the batch
summary; `--resume` continues an interrupted run. The run's options become one AuditPlan (stored with the run);
the sites are audited by one of the run modes of crawler/runs/: worker processes (default), a process per site
(`--process-per-site`), or jobs on Scrapyd `--nodes`."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from crawler.cli.check import check_parser
from crawler.cli.options import add_db_option, plan_from_args
from crawler.exits import BadInput
from crawler.plan import AuditPlan, stored_plan
from crawler.runs.in_process import run_in_process
from crawler.runs.local import Batch, display_for_terminal
from crawler.runs.scrapyd import NodeError, check_nodes, parse_nodes, run_on_nodes
from crawler.runs.store_run import (finish_run, new_run, open_store_at, registry_rows, resumed_run, run_id_of,
                                    store_plan)
from crawler.store import StoreError, queue
from crawler.store.db import Store, safe_url

# Options of `check` a run takes for each of its sites (the others are each site's own or the check's default).
PASS_THROUGH = ("max_pages", "max_depth", "delay", "concurrency", "timeout", "time_limit", "max_retry_after",
                "checklist", "methodology", "operator_data", "render", "chromium", "contact", "net_probe")
PASS_FLAGS = ("no_browser", "ignore_robots", "allow_private", "offline", "no_pdf", "no_accessibility")


def add_parser(sub) -> None:
    run = sub.add_parser("run", help="проверить все организации реестра (CSV/XLSX) с сохранением в базу; "
                         "прерванный прогон продолжается с --resume")
    run.add_argument("registry", nargs="?", default=None,
                     help="реестр: CSV (UTF-8 или windows-1251, «;» или «,») или XLSX")
    run.add_argument("--out", default="nok-reports", help="папка отчётов и базы по умолчанию (nok-reports)")
    add_db_option(run)
    run.add_argument("--resume", nargs="?", const="last", default=None, metavar="RUN",
                     help="продолжить прерванный прогон (по умолчанию последний незавершённый): готовые сайты "
                          "не проверяются заново")
    run.add_argument("--jobs", type=int, default=4,
                     help="сайтов одновременно на весь прогон (по умолчанию 4: при паузе --delay сайт ограничен "
                          "вежливостью, а не процессором)")
    run.add_argument("--site-time-limit", type=float, default=1800.0,
                     help="предел времени на один сайт, с (по умолчанию 1800)")
    run.add_argument("--browsers", type=int, default=1, metavar="N",
                     help="браузеров Chromium одновременно на весь прогон (по умолчанию 1): сайты обходятся по "
                          "--jobs сразу, а проверки в браузере ждут свободного браузера; около 0,6 ГБ памяти на браузер")
    run.add_argument("--keep", type=int, default=None, metavar="N",
                     help="хранить только N последних завершённых прогонов (старые удаляются из базы и с диска)")
    run.add_argument("--sheet", default=None, help="лист XLSX с реестром (по умолчанию первый)")
    run.add_argument("--check-registry", action="store_true", help="только проверить реестр, сайты не загружать")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument("--in-process", action="store_true",
                      help="рабочие процессы, каждый проверяет свою долю --jobs сайтов одновременно (Python и Scrapy "
                           "загружаются один раз, а не для каждого сайта) — так работает run по умолчанию; "
                           "ключ оставлен для совместимости")
    mode.add_argument("--process-per-site", action="store_true",
                      help="каждый сайт в собственном процессе nok-audit check (медленнее: Python и Scrapy "
                           "загружаются для каждого сайта; короткий сбой базы пережидается)")
    run.add_argument("--processes", type=int, default=None, metavar="N",
                     help="рабочих процессов (по умолчанию — число ядер, но не больше --jobs); --jobs делится "
                          "между ними")
    run.add_argument("--max-sites-per-process", type=int, default=100, metavar="N",
                     help="рабочий процесс заменяется новым после N сайтов (по умолчанию 100)")
    nodes = run.add_argument_group("распределённый прогон на узлах Scrapyd (база — PostgreSQL)")
    nodes.add_argument("--nodes", default=None, metavar="URL,…",
                       help="узлы Scrapyd, например http://w1:6800,http://user:pass@w2:6800")
    nodes.add_argument("--node-slots", type=int, default=2, help="заданий одновременно на узле (по умолчанию 2)")
    nodes.add_argument("--node-db", default=None, metavar="URL",
                       help="адрес базы, как его видят узлы (по умолчанию тот же, что --db)")
    nodes.add_argument("--node-dead-after", type=float, default=60.0, metavar="S",
                       help="узел, не отвечающий столько секунд, считается выбывшим (по умолчанию 60)")
    passed = run.add_argument_group("параметры проверки каждого сайта (как у nok-audit check, см. check --help)")
    check_types = {a.dest: a for a in check_parser()._actions}      # argparse has no public look-up by name
    for name in PASS_THROUGH:
        passed.add_argument("--" + name.replace("_", "-"), default=None, metavar="…", type=check_types[name].type,
                            choices=check_types[name].choices)
    for name in PASS_FLAGS:
        passed.add_argument("--" + name.replace("_", "-"), action="store_true")


def run_plan(args) -> AuditPlan:
    """The run's AuditPlan (no site yet): `check`'s defaults overlaid with the check options given to `run`."""
    options = check_parser().parse_args(["-"])
    for name in PASS_THROUGH:
        if getattr(args, name) is not None:
            setattr(options, name, getattr(args, name))
    for name in PASS_FLAGS:
        setattr(options, name, getattr(args, name))
    options.quiet = True                # each site's crawl runs without a progress bar of its own
    return plan_from_args(options)


def plan_of_old_run(run) -> AuditPlan:
    """A run stored before plans kept its sites' `check` options as a list: read them with `check`'s parser."""
    try:
        options = check_parser().parse_args(["-", "--quiet", *run.check_args])
    except SystemExit:
        raise BadInput(f"параметры прогона {run.id}, сохранённые прежней версией nok-audit, не прочитаны "
                       "(см. сообщение выше); начните новый прогон") from None
    return plan_from_args(options)


def handle(args, command: list[str]) -> int:
    if args.jobs < 1 or args.site_time_limit <= 0 or args.browsers < 1:
        raise BadInput("--jobs, --browsers и --site-time-limit должны быть положительными")
    if args.max_sites_per_process < 1 or (args.processes is not None and args.processes < 1):
        raise BadInput("--max-sites-per-process и --processes должны быть положительными")
    if args.keep is not None and args.keep < 1:
        raise BadInput("--keep должно быть не меньше 1")
    if not args.registry and args.resume is None:
        raise BadInput("укажите файл реестра или --resume, чтобы продолжить прерванный прогон")
    plan = run_plan(args)
    orgs = (registry_rows(args.registry, args.sheet, args.allow_private, resolve=not args.check_registry)[0]
            if args.registry else [])
    if args.check_registry:
        print(f"Реестр {args.registry}: пригодных строк {len(orgs)}; проверка сайтов не начиналась.")
        return 0
    out = Path(args.out).resolve()
    nodes = _nodes(args)
    store = open_store_at(args.db, out)
    try:
        if nodes is not None:
            _check_nodes(store, args, nodes)
        try:
            run_id, run_dir, plan = _start(store, args, orgs, out, plan)
        except StoreError as exc:           # nothing fetched yet: a bad store is bad input
            raise BadInput(str(exc)) from None
        if nodes is not None:
            run_on_nodes(store, run_id, nodes, args.node_db or store.url, plan, args.node_dead_after)
        elif args.process_per_site:
            _run_locally(store, args, run_id, run_dir, plan)
        else:
            try:
                run_in_process(store, run_id, run_dir, jobs=args.jobs,
                               processes=args.processes or os.cpu_count() or 1, max_sites=args.max_sites_per_process,
                               site_time_limit=args.site_time_limit, browsers=args.browsers)
            except StoreError as exc:
                raise _stopped(str(exc), store, args, run_id, run_dir) from None
        return finish_run(store, run_id, run_dir, args.keep)
    finally:
        store.close()


def _start(store: Store, args, orgs, out: Path, plan: AuditPlan) -> tuple[int, Path, AuditPlan]:
    """Create or resume the run and queue its sites; (run id, run folder, the run's plan)."""
    if args.resume is None:
        return (*new_run(store, args.registry, plan, out, orgs), plan)
    run = (queue.latest_run(store, active=True) if args.resume == "last"
           else queue.get_run(store, run_id_of(args.resume)))
    if run is None:
        raise BadInput("в базе нет незавершённого прогона — начните новый: nok-audit run РЕЕСТР"
                       if args.resume == "last" else f"прогона {args.resume} нет в базе")
    if run.kind != "audit":
        raise BadInput(f"прогон {run.id} — пересчёт, а не проверка сайтов; его нельзя продолжить")
    plan = stored_plan(run.check_args)
    if plan is None:
        plan = plan_of_old_run(run)
        store_plan(store, run.id, plan)
    return (*resumed_run(store, run, orgs), plan)


def _run_locally(store: Store, args, run_id: int, run_dir: Path, plan: AuditPlan) -> None:
    display = display_for_terminal()
    try:
        state = Batch(store, run_id, run_dir, plan, args.jobs, args.site_time_limit, browsers=args.browsers).run(display)
    finally:
        display.close()
    if state.db_error:
        raise _stopped(state.db_error, store, args, run_id, run_dir)


def _stopped(reason: str, store: Store, args, run_id: int, run_dir: Path) -> StoreError:
    """The store failed mid-run (both local modes keep finished audits on disk for --resume)."""
    resume = f"nok-audit run --resume {run_id}" + (f" --db {safe_url(store.url)}" if args.db else f" --out {args.out}")
    return StoreError(f"{reason}\nПрогон {run_id} остановлен. Готовые проверки сохранены в {run_dir} и будут "
                      f"занесены в базу без повторной загрузки сайтов: {resume}")


def _nodes(args):
    if not args.nodes:
        return None
    if args.node_slots < 1 or args.node_dead_after <= 0:
        raise BadInput("--node-slots и --node-dead-after должны быть положительными")
    try:
        return parse_nodes(args.nodes, args.node_slots)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def _check_nodes(store: Store, args, nodes) -> None:
    if store.is_sqlite and not args.node_db:
        print("Предупреждение: база SQLite доступна узлам, только если они на этой же машине; для нескольких "
              "машин укажите --db postgresql+psycopg://…", file=sys.stderr)
    try:
        check_nodes(nodes)
    except NodeError as exc:
        raise BadInput(f"узел Scrapyd: {exc}") from None
