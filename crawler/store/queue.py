"""A run's work queue: one `run_sites` row per organisation, claimed atomically by a worker, kept alive by a
heartbeat, and finished in the same transaction that stores its result.

Claiming is a conditional UPDATE (`… WHERE id = :id AND status = 'pending'`) whose row count tells the
worker whether it won, so two processes (or two machines) working on the same run never take the same
site. A site whose worker died (SIGKILL, power loss) stays `running` until it is released: at once when
the worker ran on this host and its process is gone, otherwise when its heartbeat is older than
STALE_AFTER.
"""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, func, or_, select, update

from crawler import __version__
from crawler.store.db import Store
from crawler.store.schema import (DONE, PENDING, RUN_ACTIVE, RUN_FINISHED, RUNNING, Organisation, Result, Run,
                                  RunSite)

STALE_AFTER = timedelta(seconds=120)
HEARTBEAT_EVERY = 30.0
# outcomes of a finished site; those without a result are queued again by --resume
CHECKED, UNREACHABLE, TIMEOUT, FAILED = "checked", "unreachable", "timeout", "failed"
RETRIED_ON_RESUME = (TIMEOUT, FAILED)
MAX_ATTEMPTS = 3          # a site whose audit keeps failing is done without result after this many


def now() -> datetime:
    return datetime.now(timezone.utc)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive_here(worker: str) -> bool | None:
    """Whether the worker's process still runs (None: it ran on another host, cannot tell)."""
    host, _, rest = worker.partition(":")
    if host != socket.gethostname():
        return None
    try:
        pid = int(rest.split(":")[0])
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    # A killed worker whose parent has not collected it yet (an orphan under an init that does not reap, as
    # in some containers) still answers signal 0: a zombie is gone too.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@dataclass
class Claim:
    site_id: int
    run_id: int
    org_id: int
    key: str
    name: str
    url: str
    extra_hosts: list[str]
    attempt: int
    sector: str = "social"      # chooses the checklist (checklists/sectors.py) unless the run gives --checklist


def create_run(store: Store, *, kind: str = "audit", parent: int | None = None, registry_file: str = "",
               registry_sha256: str = "", checklist: str = "", methodology: str = "",
               check_args: dict | None = None, out_dir: str = "") -> int:
    """`check_args`: the run's AuditPlan as crawler.plan.storable gives it."""
    with store.session() as s:
        run = Run(kind=kind, parent_run_id=parent, status=RUN_ACTIVE, started_at=now(), tool_version=__version__,
                  registry_file=registry_file, registry_sha256=registry_sha256, checklist=checklist,
                  methodology=methodology, check_args=check_args or {}, out_dir=out_dir)
        s.add(run)
        s.flush()
        return run.id


def upsert_organisations(store: Store, orgs) -> dict[str, int]:
    """Organisation rows by key (the site's host), created or updated from the registry; {key: id}."""
    ids: dict[str, int] = {}
    keys = [o.key for o in orgs]
    with store.session() as s:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            ids.update(dict(s.execute(select(Organisation.key, Organisation.id)
                                      .where(Organisation.key.in_(chunk))).all()))
        fields = ("name", "url", "sector", "region", "inn", "ogrn", "bus_gov_id", "extra_hosts")
        for org in orgs:
            values = {f: getattr(org, f) for f in fields}
            if org.key in ids:
                s.execute(update(Organisation).where(Organisation.id == ids[org.key]).values(**values))
            else:
                row = Organisation(key=org.key, **values)
                s.add(row)
                s.flush()
                ids[org.key] = row.id
    return ids


def add_sites(store: Store, run_id: int, orgs) -> int:
    """Queue the organisations in the run (those already queued are left as they are); the number added."""
    ids = upsert_organisations(store, orgs)
    with store.session() as s:
        queued = set(s.scalars(select(RunSite.org_id).where(RunSite.run_id == run_id)))
        new = [RunSite(run_id=run_id, org_id=ids[o.key], row=o.row, status=PENDING) for o in orgs
               if ids[o.key] not in queued]
        s.add_all(new)
    return len(new)


def _gone(worker: str, beat: datetime | None) -> bool:
    """A running site's worker is gone: its process here has ended, or another host's heartbeat is stale."""
    alive = _alive_here(worker)
    beat = beat.replace(tzinfo=timezone.utc) if beat is not None and beat.tzinfo is None else beat
    return alive is False or (alive is None and (beat is None or beat < now() - STALE_AFTER))


def gone_sites(store: Store, run_id: int) -> dict[int, str]:
    """The run's running sites whose worker is gone, with that worker (interrupted: `--resume` puts them back
    in the queue)."""
    with store.session() as s:
        rows = s.execute(select(RunSite.id, RunSite.worker, RunSite.heartbeat_at)
                         .where(RunSite.run_id == run_id, RunSite.status == RUNNING)).all()
    return {site_id: worker for site_id, worker, beat in rows if _gone(worker, beat)}


def release_stale(store: Store, run_id: int, *, refund: bool = False) -> int:
    """Put sites whose worker is gone back in the queue; the number released.

    A worker that died during the run (killed, crashed, out of memory) may have been killed by one of its sites:
    each of them keeps the attempt it was charged, and one that reaches MAX_ATTEMPTS is done without result
    (`--resume` tries it again) instead of killing worker after worker. `refund`: the run itself was
    interrupted (resume after Ctrl-C or a killed runner), not the sites' fault, so the attempt is given back."""
    gone = gone_sites(store, run_id)
    if gone:
        with store.session() as s:      # still the dead worker's: a gone worker never comes back
            mine = and_(RunSite.id.in_(gone), RunSite.worker.in_(set(gone.values())), RunSite.status == RUNNING)
            if refund:
                s.execute(update(RunSite).where(mine).values(status=PENDING, worker="", attempts=RunSite.attempts - 1,
                                                            note="прерван — будет проверен заново"))
                return len(gone)
            s.execute(update(RunSite).where(mine, RunSite.attempts >= MAX_ATTEMPTS)
                      .values(status=DONE, outcome=FAILED, finished_at=now(),
                              note=f"рабочий процесс аварийно завершался при проверке этого сайта {MAX_ATTEMPTS} раза "
                                   "— будет проверен заново при запуске с --resume"))
            s.execute(update(RunSite).where(mine, RunSite.attempts < MAX_ATTEMPTS)
                      .values(status=PENDING, worker="", note="прерван — будет проверен заново"))
    return len(gone)


def requeue_unsuccessful(store: Store, run_id: int) -> int:
    """--resume: sites that hit the time limit or failed get another attempt."""
    with store.session() as s:
        return s.execute(update(RunSite).where(RunSite.run_id == run_id, RunSite.status == DONE,
                                               RunSite.outcome.in_(RETRIED_ON_RESUME))
                         .values(status=PENDING, worker="")).rowcount


def claim(store: Store, run_id: int, worker: str, *, first_attempt: bool = False) -> Claim | None:
    """Take the next pending site of the run for `worker`, or None when none is left; `first_attempt`: only a
    site never tried before."""
    while True:
        with store.session() as s:
            q = select(RunSite.id).where(RunSite.run_id == run_id, RunSite.status == PENDING)
            if first_attempt:
                q = q.where(RunSite.attempts == 0)
            site_id = s.scalar(q.order_by(RunSite.row, RunSite.id).limit(1))
            if site_id is None:
                return None
            stamp = now()
            won = s.execute(update(RunSite).where(RunSite.id == site_id, RunSite.status == PENDING)
                            .values(status=RUNNING, worker=worker, claimed_at=stamp, heartbeat_at=stamp,
                                    attempts=RunSite.attempts + 1)).rowcount
            if not won:
                continue                          # another worker took it between the SELECT and the UPDATE
            site, org = s.execute(select(RunSite, Organisation).join(Organisation, Organisation.id == RunSite.org_id)
                                  .where(RunSite.id == site_id)).one()
            return Claim(site.id, run_id, org.id, org.key, org.name, org.url, list(org.extra_hosts or []),
                         site.attempts, org.sector or "social")


def heartbeat(store: Store, worker: str) -> None:
    with store.session() as s:
        s.execute(update(RunSite).where(RunSite.worker == worker, RunSite.status == RUNNING)
                  .values(heartbeat_at=now()))


def mark_done(s, claim: Claim, worker: str, outcome: str, note: str) -> bool:
    """Within the caller's transaction: the site is done, if this worker still holds it."""
    return bool(s.execute(update(RunSite).where(RunSite.id == claim.site_id, RunSite.worker == worker,
                                                RunSite.status == RUNNING)
                          .values(status=DONE, outcome=outcome, note=note, finished_at=now())).rowcount)


def release(store: Store, claim: Claim, worker: str, note: str, *, refund: bool = False) -> None:
    """Give a claimed site back to the queue (the worker is stopping before finishing it); `refund`: the stop
    is not the site's fault, its attempt is given back."""
    values = {"attempts": RunSite.attempts - 1} if refund else {}
    with store.session() as s:
        s.execute(update(RunSite).where(RunSite.id == claim.site_id, RunSite.worker == worker,
                                        RunSite.status == RUNNING)
                  .values(status=PENDING, worker="", note=note, **values))


def retry_or_fail(store: Store, claim: Claim, worker: str, note: str) -> None:
    """A claimed site whose audit failed: back in the queue, or — after MAX_ATTEMPTS — done without result
    (`--resume` tries it again), so a site that always breaks the audit cannot loop forever."""
    if claim.attempt >= MAX_ATTEMPTS:
        with store.session() as s:
            mark_done(s, claim, worker, FAILED, f"{note} (попыток: {claim.attempt})")
    else:
        release(store, claim, worker, note)


@dataclass
class Progress:
    total: int
    pending: int
    running: int
    done: int
    with_result: int
    unsuccessful: int


def progress(store: Store, run_id: int) -> Progress:
    with store.session() as s:
        counts = dict(s.execute(select(RunSite.status, func.count()).where(RunSite.run_id == run_id)
                                .group_by(RunSite.status)).all())
        results = s.scalar(select(func.count()).select_from(Result).where(Result.run_id == run_id))
        bad = s.scalar(select(func.count()).select_from(RunSite).where(
            RunSite.run_id == run_id, RunSite.status == DONE, RunSite.outcome.in_(RETRIED_ON_RESUME)))
    return Progress(sum(counts.values()), counts.get(PENDING, 0), counts.get(RUNNING, 0), counts.get(DONE, 0),
                    results, bad)


def finish_run_if_complete(store: Store, run_id: int) -> bool:
    """Mark the run finished when no site is pending or running."""
    with store.session() as s:
        left = s.scalar(select(func.count()).select_from(RunSite).where(
            RunSite.run_id == run_id, or_(RunSite.status == PENDING, RunSite.status == RUNNING)))
        if left:
            return False
        s.execute(update(Run).where(Run.id == run_id, Run.status == RUN_ACTIVE)
                  .values(status=RUN_FINISHED, finished_at=now()))
        return True


def get_run(store: Store, run_id: int) -> Run | None:
    with store.session() as s:
        return s.get(Run, run_id)


def latest_run(store: Store, *, active: bool | None = None, kind: str | None = None) -> Run | None:
    with store.session() as s:
        q = select(Run).order_by(Run.id.desc()).limit(1)
        if active is not None:
            q = q.where(Run.status == (RUN_ACTIVE if active else RUN_FINISHED))
        if kind:
            q = q.where(Run.kind == kind)
        return s.scalar(q)


def list_runs(store: Store) -> list[tuple[Run, Progress]]:
    with store.session() as s:
        runs = list(s.scalars(select(Run).order_by(Run.id)))
    return [(r, progress(store, r.id)) for r in runs]


def sites_of(store: Store, run_id: int) -> list[tuple[RunSite, Organisation]]:
    with store.session() as s:
        return [tuple(r) for r in s.execute(select(RunSite, Organisation)
                                           .join(Organisation, Organisation.id == RunSite.org_id)
                                           .where(RunSite.run_id == run_id).order_by(RunSite.row, RunSite.id))]


def finished_sites(store: Store, run_id: int, since: datetime | None) -> list[tuple[int, str, str, str, str, datetime]]:
    """(site id, name, url, outcome, note, finished at) of the run's sites done at or after `since`, oldest
    first — the progress lines of sites finished by other processes."""
    with store.session() as s:
        q = (select(RunSite.id, Organisation.name, Organisation.url, RunSite.outcome, RunSite.note, RunSite.finished_at)
             .join(Organisation, Organisation.id == RunSite.org_id)
             .where(RunSite.run_id == run_id, RunSite.status == DONE).order_by(RunSite.finished_at))
        if since is not None:
            q = q.where(RunSite.finished_at >= since)
        return [tuple(r) for r in s.execute(q)]


def running_sites(store: Store, run_id: int) -> list[tuple[str, int]]:
    """(site key, attempt) of the run's sites being audited."""
    with store.session() as s:
        return [tuple(r) for r in s.execute(select(Organisation.key, RunSite.attempts)
                                           .join(Organisation, Organisation.id == RunSite.org_id)
                                           .where(RunSite.run_id == run_id, RunSite.status == RUNNING))]


def previous_result_id(store: Store, org_id: int, before_run: int) -> int | None:
    """The newest result of the organisation in an earlier audit run (for «изменения с прошлой проверки»)."""
    with store.session() as s:
        return s.scalar(select(Result.id).join(Run, Run.id == Result.run_id)
                        .where(and_(Result.org_id == org_id, Result.run_id < before_run, Run.kind == "audit"))
                        .order_by(Result.run_id.desc()).limit(1))
