"""What every store-backed command shares: opening the store, reading a registry into rows, creating or resuming
a run and queueing its sites, the run's end (summary, retention) and its evidence packs written back as folders.

Layout on disk: `OUT/nok-audit.db` (the default SQLite store) and `OUT/run-<id>/<site>/` — each site's
evidence pack as filed in the store — with the batch summary in `OUT/run-<id>/summary/`.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from crawler.exits import BadInput
from crawler.plan import AuditPlan, storable
from crawler.registry import RegistryError, load_registry, refuse_private
from crawler.runs.local import is_finished
from crawler.runs.summary import summarise_folders
from crawler.store import StoreError, queue
from crawler.store.db import Store, default_db_url, open_store, safe_url
from crawler.store.results import materialize, prune, results_of
from crawler.store.schema import Run
from reports.manifest import sha256_of

SUMMARY = "summary"


def open_store_at(db: str | None, out: Path) -> Store:
    """The store of `--db`, or OUT/nok-audit.db; a store that cannot be opened is bad input."""
    try:
        return open_store(db or default_db_url(out))
    except StoreError as exc:
        raise BadInput(str(exc)) from None


def registry_rows(path: str, sheet: str | None, allow_private: bool = False, resolve: bool = True):
    """The registry's usable rows and the problems of the others (printed as warnings)."""
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


def run_id_of(raw) -> int:
    try:
        return int(str(raw).removeprefix("run-"))
    except ValueError:
        raise BadInput(f"номер прогона «{raw}» не распознан: ожидается число (см. nok-audit runs)") from None


def set_run_dir(store: Store, run_id: int, run_dir: Path) -> None:
    with store.session() as s:
        s.get(Run, run_id).out_dir = str(run_dir)


def new_run(store: Store, registry: str, plan: AuditPlan, out: Path, orgs) -> tuple[int, Path]:
    """A new audit run of `orgs` by `plan` (a plan without a site); (run id, run folder)."""
    active = queue.latest_run(store, active=True, kind="audit")
    if active is not None:
        print(f"Примечание: в базе есть незавершённый прогон {active.id}; он продолжается командой "
              "nok-audit run --resume", file=sys.stderr)
    run_id = queue.create_run(store, registry_file=str(Path(registry).resolve()),
                              registry_sha256=sha256_of(Path(registry)), checklist=plan.report.checklist or "",
                              methodology=plan.report.methodology or "", check_args=storable(plan))
    run_dir = out / f"run-{run_id}"
    set_run_dir(store, run_id, run_dir)
    return queue_sites(store, run_id, run_dir, orgs)


def resumed_run(store: Store, run: Run, orgs) -> tuple[int, Path]:
    """An interrupted run continued: its stale and unsuccessful sites back in the queue."""
    released = queue.release_stale(store, run.id, refund=True) + queue.requeue_unsuccessful(store, run.id)
    print(f"Продолжение прогона {run.id} (начат {run.started_at:%d.%m.%Y %H:%M}); возвращено в очередь "
          f"прерванных и неудачных сайтов: {released}", file=sys.stderr)
    return queue_sites(store, run.id, Path(run.out_dir), orgs)


def store_plan(store: Store, run_id: int, plan: AuditPlan) -> None:
    """Write the run's plan (a run stored before plans gets its options converted once, on resume)."""
    with store.session() as s:
        s.get(Run, run_id).check_args = storable(plan)


def queue_sites(store: Store, run_id: int, run_dir: Path, orgs) -> tuple[int, Path]:
    if orgs:
        queue.add_sites(store, run_id, orgs)
    run_dir.mkdir(parents=True, exist_ok=True)
    p = queue.progress(store, run_id)
    print(f"Прогон {run_id}: организаций {p.total}; проверено ранее: {p.done}; проверить сейчас: "
          f"{p.pending + p.running}. База: {safe_url(store.url)}; папка: {run_dir}", file=sys.stderr)
    return run_id, run_dir


def finish_run(store: Store, run_id: int, run_dir: Path, keep: int | None) -> int:
    """The run's end: mark it finished when nothing is left, write the summary, apply retention."""
    finished = queue.finish_run_if_complete(store, run_id)
    p = queue.progress(store, run_id)
    write_run_summary(store, run_id, run_dir)
    print(f"Прогон {run_id}: результатов {p.with_result} из {p.total}"
          + (f"; без результата (предел времени или ошибка): {p.unsuccessful} — повторите с --resume"
             if p.unsuccessful else "") + ("" if finished else "; прогон не завершён"), file=sys.stderr)
    if finished and keep:
        prune_runs(store, keep)
    return 0


def materialize_run(store: Store, run_id: int, run_dir: Path) -> dict[str, str]:
    """The run's evidence packs as folders (those not on disk are written from the store); {folder: name}."""
    folders = {}
    for result, org in results_of(store, run_id, reports=False):
        folder = run_dir / org.key
        if not is_finished(folder):
            shutil.rmtree(folder, ignore_errors=True)
            materialize(store, result.id, folder)
        folders[str(folder)] = org.name
    return folders


def write_run_summary(store: Store, run_id: int, run_dir: Path, summary_dir: Path | None = None) -> int:
    """The run's batch summary (default: RUN_DIR/summary), over its evidence packs with the registry's names."""
    folders = materialize_run(store, run_id, run_dir)
    if not folders:
        return 0
    return summarise_folders(list(folders), str(summary_dir or run_dir / SUMMARY), names=folders)


def prune_runs(store: Store, keep: int) -> None:
    with store.session() as s:
        dirs = {r.id: r.out_dir for r in s.query(Run).all()}
    removed = prune(store, keep)
    for run_id in removed:
        if dirs.get(run_id) and Path(dirs[run_id]).name == f"run-{run_id}":
            shutil.rmtree(dirs[run_id], ignore_errors=True)
    if removed:
        print(f"Хранение: удалены старые прогоны {', '.join(map(str, removed))} (оставлено последних: {keep})",
              file=sys.stderr)
