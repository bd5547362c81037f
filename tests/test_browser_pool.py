"""The browser slots of a batch (crawler/browser_pool.py): real processes contending for real file locks."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli
from crawler.browser_pool import POOL_ENV, make_pool

HOLDER = """
import sys, time
from crawler.browser_pool import browser_slot
with browser_slot():
    start = time.monotonic()
    print("in", flush=True)
    time.sleep(float(sys.argv[1]))
    print(f"{start} {time.monotonic()}", flush=True)
"""
REPO = Path(__file__).parent.parent


def _holders(pool: Path, n: int, hold: float) -> list[subprocess.Popen]:
    env = {**os.environ, POOL_ENV: str(pool)}
    return [subprocess.Popen([sys.executable, "-c", HOLDER, str(hold)], stdout=subprocess.PIPE, text=True, env=env,
                             cwd=REPO) for _ in range(n)]


def _intervals(procs) -> list[tuple[float, float]]:
    out = []
    for p in procs:
        stdout, _ = p.communicate(timeout=60)
        start, end = stdout.split()[-2:]
        out.append((float(start), float(end)))
    return out


def _most_at_once(intervals) -> int:
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    now = most = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


@pytest.mark.parametrize("size", [1, 2])
def test_no_more_processes_hold_a_browser_at_once_than_the_pool_has_slots(tmp_path, size):
    pool = make_pool(tmp_path / ".browsers", size)
    intervals = _intervals(_holders(pool, 4, 0.6))
    assert _most_at_once(intervals) == size
    # all four got their turn, the last one no earlier than the slots allowed
    assert max(e for _, e in intervals) - min(s for s, _ in intervals) >= 0.6 * (4 // size) - 0.05


def test_a_killed_holder_frees_its_slot(tmp_path):
    pool = make_pool(tmp_path / ".browsers", 1)
    holder = _holders(pool, 1, 60)[0]
    assert holder.stdout.readline().strip() == "in"
    waiting = _holders(pool, 1, 0)[0]
    time.sleep(0.5)
    assert waiting.poll() is None, "the second one waits while the slot is held"
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert waiting.wait(timeout=10) == 0


def test_resume_with_fewer_browsers_resizes_the_pool(tmp_path):
    pool = make_pool(tmp_path / ".browsers", 3)
    make_pool(pool, 1)
    assert sorted(p.name for p in pool.iterdir()) == ["slot-0.lock"]


def test_run_refuses_zero_browsers(tmp_path):
    registry = tmp_path / "reg.csv"
    registry.write_text("Наименование;Сайт\nКЦСОН;kcson.example.ru\n", encoding="utf-8")
    run = run_cli(["run", str(registry), "--browsers", "0", "--out", str(tmp_path / "runs")], timeout=60)
    assert run.code == 2 and "--browsers" in run.stderr
