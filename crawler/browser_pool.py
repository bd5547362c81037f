"""The browser slots of a batch: at most N Chromiums at once, however many sites are audited in parallel.

A Chromium with a site's contexts takes ~0.5–1.3 GB, a crawl ~0.1 GB; so `nok-audit run --jobs 4` crawls four
sites at once while their browser stages (control checks, accessibility, the PDF) take turns for `--browsers`
slots. A slot is an exclusive `flock` on one of the files `slot-<i>.lock` in the run's pool folder, named to
the `check` processes (and the in-process workers' threads) by $NOK_BROWSER_POOL. The kernel releases a lock
when its holder dies, so a killed check never keeps a slot; no pool named: no waiting (a single `check`).
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path

POOL_ENV = "NOK_BROWSER_POOL"
POLL_SECONDS = 0.2


def make_pool(folder: Path, size: int) -> Path:
    """Create (or resize, on --resume) the pool folder with `size` slot files."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("slot-*.lock"):
        if int(path.stem.split("-")[1]) >= size:
            path.unlink()
    for i in range(size):
        (folder / f"slot-{i}.lock").touch()
    return folder


@contextmanager
def browser_slot():
    """Hold one slot of the batch's pool while the block runs (waits for a free one)."""
    folder = os.environ.get(POOL_ENV)
    slots = sorted(Path(folder).glob("slot-*.lock")) if folder else []
    if not slots:
        yield
        return
    while True:
        for path in slots:
            fd = os.open(path, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield
            finally:
                os.close(fd)            # closing the descriptor releases the lock
            return
        time.sleep(POLL_SECONDS)
