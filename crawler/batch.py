"""Auditing every organisation of a registry: one `nok-audit check` process per site, a bounded number at
a time, each with its own wall-time limit, so one site failing or hanging never stops the run.

A site whose folder already holds an intact evidence pack (manifest.json that verifies) is finished: a
rerun of the same command resumes and fetches only what is not finished yet.
"""
from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from crawler.registry import Organisation

EXIT_TEXT = {0: "проверен", 2: "ошибка входных данных", 3: "сайт недоступен", 5: "проверен"}


@dataclass
class SiteRun:
    org: Organisation
    folder: Path
    code: int | None          # None: not run now (finished earlier) or killed by the time limit
    note: str


def is_finished(folder: Path) -> bool:
    from reports.manifest import verify

    return (folder / "manifest.json").exists() and not verify(folder)


def _audit(org: Organisation, folder: Path, check_args: list[str], time_limit: float) -> SiteRun:
    command = [sys.executable, "-m", "crawler.cli", "check", org.url, "--out", str(folder), "--quiet",
               *[a for h in org.extra_hosts for a in ("--extra-host", h)], *check_args]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=time_limit)
    except subprocess.TimeoutExpired:
        return SiteRun(org, folder, None, f"не уложился в предел {time_limit:g} с — будет проверен при повторном запуске")
    note = EXIT_TEXT.get(proc.returncode, f"внутренняя ошибка (код {proc.returncode})")
    if proc.returncode not in EXIT_TEXT:
        (folder / "error.log").write_text(proc.stderr[-20000:], encoding="utf-8")
    return SiteRun(org, folder, proc.returncode, note)


def run_registry(orgs: list[Organisation], out_root: Path, check_args: list[str], jobs: int = 2,
                 time_limit: float = 1800.0) -> list[SiteRun]:
    out_root.mkdir(parents=True, exist_ok=True)
    runs, todo = [], []
    for org in orgs:
        folder = out_root / org.key
        if is_finished(folder):
            runs.append(SiteRun(org, folder, None, "проверен ранее"))
        else:
            todo.append((org, folder))
    total, started = len(todo), time.monotonic()
    print(f"Организаций: {len(orgs)}; проверено ранее: {len(runs)}; проверить сейчас: {total}", file=sys.stderr)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(_audit, org, folder, check_args, time_limit) for org, folder in todo]
        for done, future in enumerate(as_completed(futures), start=1):
            run = future.result()
            runs.append(run)
            print(f"  [{done}/{total}, {time.monotonic() - started:.0f} с] {run.org.name} ({run.org.url}): {run.note}",
                  file=sys.stderr)
    order = {org.key: n for n, org in enumerate(orgs)}
    return sorted(runs, key=lambda r: order[r.org.key])
