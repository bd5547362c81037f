"""Batch benchmark of `nok-audit run` (issues #7, #15): «wall time and peak memory of a batch of generated sites
on this machine, without and with the browser stage; memory must not grow with the number of sites».

    .venv/bin/python bench/batch.py [--sites 100] [--pages 50] [--seed 1] [--jobs 2] [--concurrency 8]
                                    [--browser-sites N] [--batches plain,browser] [--name batch] [--no-write]
    .venv/bin/python bench/batch.py --scale 100,1000 --pages 10 --batches plain --name scale   (issue #15)
    .venv/bin/python bench/batch.py --batches plain,plain:ip,plain:ip:j4,plain:ip:m1000,browser:ip --name inprocess
    .venv/bin/python bench/batch.py --sites 20 --batches browser:j4,browser:j4:b2 --name browsers   (issue #13)

1. generates (or reuses) the corpus of bench/run.py (bench/gen_corpus.py, in bench/work/corpus/) and serves it
   with nginx on loopback, one address per site (bench/run.py's Nginx: always stopped at the end);
2. writes a registry CSV (`Наименование;Сайт`, one row per site) and runs each batch of --batches, each time
   into a fresh store (bench/work/batch/<batch>/nok-audit.db, SQLite):
     plain    nok-audit run REGISTRY --out DIR --jobs 2 --delay 0 --concurrency 8 --allow-private --no-browser --render never
     browser  nok-audit run REGISTRY --out DIR --jobs 2 --delay 0 --concurrency 8 --allow-private --offline   (first N sites)
   i.e. the politeness settings of bench/run.py's runners (c) and (d), in `run`'s default mode (no mode flag);
   a batch STAGE:ip adds --in-process, :jN sets --jobs N, :mN --max-sites-per-process N, :bN --browsers N;
   with --scale N,M every batch runs twice, on the first N and on all M sites of one corpus of M sites;
3. every 0.5 s samples the PSS of the whole process tree (the runner, its `check` or worker processes, Chromium
   and any helper that outlives its parent: this script is a child subreaper, so orphans stay in the tree), the
   PSS of the runner's largest child alone, and reads the number of finished sites from the store
   (run_sites.status = 'done', read-only);
4. records wall time, sites/hour, pages/s, CPU s/site, peak PSS, peak PSS in each decile of finished sites
   (memory must not grow with the number of sites), store size per site and the run folder's size on disk;
   with --scale also the line «peak N vs M sites» of each batch (tree, largest child, runner);
5. writes bench/results/<YYYY-MM-DD>-<--name, default batch>.md and .json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402
from run import (PY, REPO, WORK, BenchError, Nginx, Site, _comm, _proc_parents, _proc_tree, _pss_kb,  # noqa: E402
                 _state, become_subreaper, bench_start, find_tool, fmt, free_port, machine_info, own_cpu, site_ip,
                 system_busy_cpu, write_registry, write_results)

SAMPLE_EVERY = 0.5
STAGES = {"plain": ["--no-browser", "--render", "never"], "browser": ["--offline"]}


@dataclass(frozen=True)
class Batch:
    """One batch of the plan, written STAGE[:ip|:pps][:jN][:mN][:bN] (see --batches): STAGE plain (no browser) or
    browser (--offline); ip = --in-process (worker processes, the default mode, named); pps = --process-per-site
    (one `check` process per site, the former default); jN = --jobs N
    (default: --jobs); mN = --max-sites-per-process N (with ip; default: nok-audit's, 200); bN = --browsers N
    (Chromiums at once for the whole run; default: nok-audit's, 1)."""
    key: str
    stage: str
    in_process: bool = False
    per_site: bool = False
    jobs: int = 2
    max_sites: int | None = None
    browsers: int | None = None

    @classmethod
    def parse(cls, spec: str, default_jobs: int) -> "Batch":
        stage, *opts = spec.strip().split(":")
        if stage not in STAGES:
            raise ValueError(f"{spec!r}: the stage must be one of {', '.join(STAGES)}")
        in_process, per_site, jobs, max_sites, browsers = False, False, default_jobs, None, None
        for o in opts:
            if o == "ip":
                in_process = True
            elif o == "pps":
                per_site = True
            elif o[:1] in ("j", "m", "b") and o[1:].isdigit() and int(o[1:]) > 0:
                if o[0] == "j":
                    jobs = int(o[1:])
                elif o[0] == "m":
                    max_sites = int(o[1:])
                else:
                    browsers = int(o[1:])
            else:
                raise ValueError(f"{spec!r}: unknown option {o!r} (ip, pps, jN, mN, bN)")
        if in_process and per_site:
            raise ValueError(f"{spec!r}: ip and pps are two different modes")
        if max_sites is not None and per_site:
            raise ValueError(f"{spec!r}: mN (--max-sites-per-process) is for worker processes, not pps")
        return cls(spec.strip(), stage, in_process, per_site, jobs, max_sites, browsers)

    @property
    def browser(self) -> bool:
        return self.stage == "browser"

    @property
    def title(self) -> str:
        how = (f"--in-process --jobs {self.jobs}" + (f" --max-sites-per-process {self.max_sites}" if self.max_sites else "")
               if self.in_process else ("--process-per-site " if self.per_site else "") + f"--jobs {self.jobs}") + (f" --browsers {self.browsers}" if self.browsers else "")
        return f"nok-audit run {how}, " + ("with the browser stage" if self.browser else "no browser")

    @property
    def describe(self) -> str:
        if self.per_site:
            return f"--process-per-site: one `nok-audit check` process per site, {self.jobs} at a time"
        if not self.in_process:
            return f"{self.jobs} sites at a time in `nok-audit run`'s default mode (no mode flag)"
        limit = f"{self.max_sites} sites" if self.max_sites else "nok-audit's default number of sites"
        return (f"--in-process: worker processes (python -m crawler.runs.in_process) auditing {self.jobs} sites at a "
                f"time in one Scrapy reactor, each replaced after {limit}")

    def extra_args(self) -> list[str]:
        extra = ["--in-process"] if self.in_process else ["--process-per-site"] if self.per_site else []
        if self.max_sites:
            extra += ["--max-sites-per-process", str(self.max_sites)]
        if self.browsers:
            extra += ["--browsers", str(self.browsers)]
        return extra + STAGES[self.stage]


def disk_usage(path: Path) -> tuple[int, int, int]:
    """(bytes allocated on disk, apparent bytes, files) of everything under `path`."""
    alloc = apparent = files = 0
    for root, dirs, names in os.walk(path):
        for n in names + dirs:
            try:
                st = os.lstat(os.path.join(root, n))
            except OSError:
                continue
            alloc += st.st_blocks * 512
            if n in names:
                apparent += st.st_size
                files += 1
    return alloc, apparent, files


def sites_done(db: Path) -> tuple[int, int] | None:
    """(finished sites, sites in the queue) from the run's SQLite store, read-only; None while it is not
    readable yet. A connection per call, closed at once: a reader left open would hold back the runner's WAL
    checkpoints (and keep the WAL file after it exits)."""
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            row = conn.execute("SELECT SUM(status = 'done'), COUNT(*) FROM run_sites").fetchall()[0]
        finally:
            conn.close()
        return int(row[0] or 0), int(row[1] or 0)
    except sqlite3.Error:
        return None


class BatchRun:
    """One `nok-audit run` over a registry, with the process tree's PSS sampled every 0.5 s."""

    def __init__(self, spec: Batch, nok: str, sites: list[Site], folder: Path, args, nginx: Nginx, scaled: bool = False):
        self.spec = spec
        # With --scale the same batch runs on several numbers of sites: KEY@N tells them apart.
        self.key = f"{spec.key}@{len(sites)}" if scaled else spec.key
        self.slug = self.key.replace(":", "-").replace("@", "-n")
        self.title = spec.title
        self.sites = sites
        self.out = out = folder / self.slug
        self.nginx = nginx
        self.registry = folder / f"{self.slug}-registry.csv"
        self.db = out / "nok-audit.db"
        self.cmd = [nok, "run", str(self.registry), "--out", str(out), "--jobs", str(spec.jobs),
                    "--site-time-limit", f"{args.site_time_limit:g}",
                    "--delay", "0", "--concurrency", str(args.concurrency), "--allow-private", *spec.extra_args()]
        if args.pages + 50 > 300:                       # nok-audit's default limit is 300 pages per site
            self.cmd += ["--max-pages", str(args.pages + 50)]
        self.proc: subprocess.Popen | None = None
        # t, done, tree kB, runner kB, procs, chromium, largest child of the runner kB (a check process or a worker)
        self.samples: list[tuple[float, int, int, int, int, int, int]] = []
        self.children_seen: set[int] = set()       # the runner's children: check processes or worker processes
        self.orphans_seen: set[int] = set()
        self.orphans_cpu = 0.0                     # user+sys of orphans reaped by this script
        self.leftovers: list[str] = []

    def keep_pids(self) -> set[int]:
        """Children of this script that are servers, not orphans of the run: never measured as such nor killed."""
        return {self.nginx.proc.pid if self.nginx.proc else -1}

    def _orphans(self, parent: dict[int, int]) -> list[int]:
        me, skip = os.getpid(), {self.proc.pid, *self.keep_pids()}
        found = []
        for pid, ppid in parent.items():
            if ppid == me and pid not in skip:
                if _state(pid) == "Z":
                    self._reap(pid, os.WNOHANG)         # an orphan re-parented to us
                    continue
                found.append(pid)
        return found

    def _reap(self, pid: int, flags: int) -> None:
        try:
            got, _status, ru = os.wait4(pid, flags)
        except ChildProcessError:
            return
        if got:
            self.orphans_cpu += ru.ru_utime + ru.ru_stime

    def _sample(self, t0: float) -> None:
        parent = _proc_parents()
        orphans = self._orphans(parent)
        self.orphans_seen.update(orphans)
        tree = _proc_tree([self.proc.pid, *orphans], parent)
        total = sum(_pss_kb(p) for p in tree)
        chromium = sum(1 for p in tree if "chrom" in _comm(p).lower())
        children = [p for p, pp in parent.items() if pp == self.proc.pid]
        self.children_seen.update(children)
        child = max((_pss_kb(p) for p in children), default=0)
        d = sites_done(self.db)
        done = d[0] if d else 0
        self.samples.append((round(time.perf_counter() - t0, 2), done, total, _pss_kb(self.proc.pid), len(tree), chromium,
                             child))

    def _sampler(self, t0: float, stop: threading.Event) -> None:
        while True:
            try:
                self._sample(t0)
            except Exception as exc:                      # never let sampling kill the measurement
                print(f"    (sampling error: {exc!r})", file=sys.stderr)
            if stop.wait(SAMPLE_EVERY):
                break

    def stop_leftovers(self) -> None:
        """Processes of ours still alive once the runner exited (orphans re-parented to us): record and kill."""
        parent = _proc_parents()
        me = os.getpid()
        skip = self.keep_pids()
        for pid in sorted(_proc_tree([p for p, pp in parent.items() if pp == me and p not in skip], parent)):
            if _state(pid) not in ("", "Z"):
                self.leftovers.append(f"{pid} {_comm(pid)}")
        for pid, ppid in parent.items():
            if ppid == me and pid not in skip:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._reap(pid, 0)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)    # its own session: the runner and its checks
            except ProcessLookupError:
                pass
        self.stop_leftovers()

    def run(self) -> dict:
        if self.out.exists():
            import shutil
            shutil.rmtree(self.out)
        self.out.mkdir(parents=True)
        write_registry(self.registry, self.sites)
        env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
        log_path = self.out.parent / f"{self.slug}.log"
        cpu0, sys0, own0 = self.nginx.cpu_seconds(), system_busy_cpu(), own_cpu()
        stop = threading.Event()
        with open(log_path, "wb") as log:
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(self.cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=WORK, env=env, start_new_session=True)
        sampler = threading.Thread(target=self._sampler, args=(t0, stop), daemon=True)
        sampler.start()
        try:
            _pid, status, ru = os.wait4(self.proc.pid, 0)
            wall = time.perf_counter() - t0
            self.proc.returncode = os.waitstatus_to_exitcode(status)
        except BaseException:
            stop.set()
            self.kill()
            raise
        finally:
            stop.set()
            sampler.join()
        self.stop_leftovers()
        nginx_cpu = self.nginx.cpu_seconds() - cpu0
        cpu = ru.ru_utime + ru.ru_stime
        others = max(0.0, system_busy_cpu() - sys0 - (own_cpu() - own0) - nginx_cpu - cpu - self.orphans_cpu)
        if self.proc.returncode != 0:
            raise BenchError(f"{self.key}: nok-audit run exited with {self.proc.returncode}; log: {log_path}\n"
                             + "\n".join(log_path.read_text(errors="replace").splitlines()[-15:]))
        return self.summarize(wall, cpu, nginx_cpu, others, log_path)

    def store_size(self) -> dict:
        """The store's files as the runner left them, then after a WAL checkpoint (the size it settles at)."""
        before = {p.name: p.stat().st_size for p in sorted(self.out.glob("nok-audit.db*"))}
        conn = sqlite3.connect(str(self.db))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            page_size = conn.execute("PRAGMA page_size").fetchall()[0][0]
            free = conn.execute("PRAGMA freelist_count").fetchall()[0][0]
        finally:
            conn.close()
        after = {p.name: p.stat().st_size for p in sorted(self.out.glob("nok-audit.db*"))}
        return {"files_at_exit": before, "bytes_at_exit": sum(before.values()), "files": after,
                "bytes": sum(after.values()), "free_pages_bytes": free * page_size}

    # ------------------------------------------------------------------------------------------- results
    def store_facts(self) -> dict:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            q = lambda sql: conn.execute(sql).fetchall()          # noqa: E731
            outcomes = {o or "?": n for o, n in q("SELECT outcome, COUNT(*) FROM run_sites GROUP BY outcome")}
            statuses = {s: n for s, n in q("SELECT status, COUNT(*) FROM run_sites GROUP BY status")}
            results, pages = q("SELECT COUNT(*), COALESCE(SUM(pages), 0) FROM results")[0]
            tables = {t: q(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("artefacts", "blobs", "findings")}
            blob_bytes, blob_raw = q("SELECT COALESCE(SUM(LENGTH(data)), 0), COALESCE(SUM(size), 0) FROM blobs")[0]
        finally:
            conn.close()
        return {"outcomes": outcomes, "statuses": statuses, "results": results, "pages": pages,
                "rows": tables, "blob_bytes": blob_bytes, "blob_uncompressed_bytes": blob_raw}

    def deciles(self) -> list[dict]:
        """Peak PSS while the number of finished sites was in each tenth of the batch (+ the summary phase)."""
        n = len(self.sites)
        rows = []
        for k in range(10):
            lo, hi = -(-k * n // 10), -(-(k + 1) * n // 10)   # sites done in [lo, hi)
            if lo >= hi:
                continue
            ss = [s for s in self.samples if lo <= s[1] < hi]
            span = f"{lo}" if hi - 1 == lo else f"{lo}–{hi - 1}"
            rows.append(self._bucket(f"{span} ({10 * k}–{10 * (k + 1)} %)", lo, hi, ss))
        ss = [s for s in self.samples if s[1] >= n]
        rows.append(self._bucket("after the last site (summary)", n, n, ss))
        return rows

    @staticmethod
    def _bucket(label: str, lo: int, hi: int, ss: list) -> dict:
        mb = lambda kb: round(kb / 1024, 1)                       # noqa: E731
        return {"decile": label, "done_from": lo, "done_to": hi, "samples": len(ss),
                "t_from_s": ss[0][0] if ss else None, "t_to_s": ss[-1][0] if ss else None,
                "peak_tree_pss_mb": mb(max(s[2] for s in ss)) if ss else None,
                "median_tree_pss_mb": mb(sorted(s[2] for s in ss)[len(ss) // 2]) if ss else None,
                "peak_runner_pss_mb": mb(max(s[3] for s in ss)) if ss else None,
                "peak_child_pss_mb": mb(max(s[6] for s in ss)) if ss else None,
                "max_processes": max(s[4] for s in ss) if ss else None}

    def summarize(self, wall: float, cpu: float, nginx_cpu: float, others: float, log_path: Path) -> dict:
        n = len(self.sites)
        st = self.store_facts()
        run_dir = next(iter(sorted(self.out.glob("run-*"))), self.out / "run-1")
        docs = pages_json = 0
        for s in run_dir.iterdir() if run_dir.is_dir() else ():
            try:
                j = json.loads((s / "crawl" / "crawl.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            docs += j.get("documents", 0) or 0
            pages_json += j.get("pages", 0) or 0
        size = self.store_size()
        store_bytes = size["bytes"]
        alloc, apparent, files = disk_usage(run_dir) if run_dir.is_dir() else (0, 0, 0)
        pages = st["pages"] or pages_json
        dec = self.deciles()
        full = [d for d in dec if d["done_to"] > d["done_from"]]
        t_all_done = next((s[0] for s in self.samples if s[1] >= n), None)
        ncpu = len(os.sched_getaffinity(0))
        out = {
            "key": self.key, "batch": self.spec.key, "title": self.title, "in_process": self.spec.in_process, "browser": self.spec.browser,
            "jobs": self.spec.jobs, "max_sites_per_process": self.spec.max_sites, "describe": self.spec.describe,
            "command": " ".join(self.cmd).replace(str(REPO) + "/", ""),
            "sites": n, "pages": pages, "documents": docs,
            "expected_pages": sum(s.pages for s in self.sites), "expected_documents": sum(s.documents for s in self.sites),
            "wall_s": round(wall, 2), "sites_per_hour": round(3600 * n / wall), "s_per_site": round(wall / n, 2),
            "pages_per_s": round(pages / wall, 1),
            "summary_phase_s": round(wall - t_all_done, 1) if t_all_done is not None else None,
            "cpu_s": round(cpu, 1), "cpu_s_per_site": round((cpu + self.orphans_cpu) / n, 2), "orphans_cpu_s": round(self.orphans_cpu, 1), "nginx_cpu_s": round(nginx_cpu, 2), "other_cpu_s": round(others, 1),
            "peak_tree_pss_mb": round(max((s[2] for s in self.samples), default=0) / 1024, 1),
            "peak_runner_pss_mb": round(max((s[3] for s in self.samples), default=0) / 1024, 1),
            "peak_child_pss_mb": round(max((s[6] for s in self.samples), default=0) / 1024, 1),
            "runner_children": len(self.children_seen),
            "max_processes": max((s[4] for s in self.samples), default=0),
            "max_chromium_processes": max((s[5] for s in self.samples), default=0),
            "first_10pct_peak_pss_mb": full[0]["peak_tree_pss_mb"] if full else None,
            "last_10pct_peak_pss_mb": full[-1]["peak_tree_pss_mb"] if full else None,
            "first_10pct_runner_pss_mb": full[0]["peak_runner_pss_mb"] if full else None,
            "first_10pct_child_pss_mb": full[0]["peak_child_pss_mb"] if full else None,
            "last_10pct_child_pss_mb": full[-1]["peak_child_pss_mb"] if full else None,
            "last_10pct_runner_pss_mb": full[-1]["peak_runner_pss_mb"] if full else None,
            "deciles": dec,
            "store": {**size, "bytes_per_site": round(store_bytes / n), **st},
            "run_folder": {"path": str(run_dir.relative_to(REPO)) if run_dir.is_relative_to(REPO) else str(run_dir),
                           "disk_bytes": alloc, "apparent_bytes": apparent, "files": files,
                           "disk_bytes_per_site": round(alloc / n)},
            "orphans_seen": len(self.orphans_seen), "leftover_processes": self.leftovers,
            "log": str(log_path.relative_to(REPO)) if log_path.is_relative_to(REPO) else str(log_path),
            "warnings": [],
            "samples_columns": ["t_s", "sites_done", "tree_pss_kb", "runner_pss_kb", "processes", "chromium",
                                "largest_runner_child_pss_kb"],
            "samples": self.samples,
        }
        w = out["warnings"]
        if st["results"] != n:
            w.append(f"{st['results']} results in the store for {n} sites (outcomes: {st['outcomes']})")
        if out["expected_pages"] and abs(pages - out["expected_pages"]) > 0.05 * out["expected_pages"]:
            w.append(f"{pages} pages fetched, expected about {out['expected_pages']}")
        if others > max(1.0, 0.1 * wall * ncpu):
            w.append(f"other processes on this machine used {others:.0f} CPU s during this batch "
                     f"({100 * others / (wall * ncpu):.0f} % of the machine): the timings are disturbed"
                     + (" (with the browser this also holds Chromium helpers that nok-audit does not wait for)"
                        if self.spec.browser else ""))
        if self.leftovers:
            w.append(f"processes left running after nok-audit run exited (killed): {', '.join(self.leftovers[:5])}")
        return out


# --------------------------------------------------------------------------------------------- report

def dump_json(res: dict) -> str:
    """Indented like bench/run.py's results, but one line per PSS sample."""
    marks = {}
    for i, b in enumerate(res["batches"]):
        marks[f"@@samples{i}@@"] = "[\n" + ",\n".join("  " + json.dumps(x) for x in b["samples"]) + "\n ]"
    copy = {**res, "batches": [{**b, "samples": f"@@samples{i}@@"} for i, b in enumerate(res["batches"])]}
    text = json.dumps(copy, ensure_ascii=False, indent=1, default=str)
    for k, v in marks.items():
        text = text.replace(f'"{k}"', v)
    return text


def scale_comparison(res: dict) -> list[dict]:
    """With --scale: per batch, the peaks of its runs on the smallest and the largest number of sites."""
    out = []
    for spec in dict.fromkeys(b.get("batch", b["key"]) for b in res["batches"]):
        runs = sorted((b for b in res["batches"] if b.get("batch") == spec), key=lambda b: b["sites"])
        if len(runs) < 2:
            continue
        lo, hi = runs[0], runs[-1]
        row = {"batch": spec, "sites": [lo["sites"], hi["sites"]]}
        for k in ("peak_tree_pss_mb", "peak_child_pss_mb", "peak_runner_pss_mb"):
            a, b = lo.get(k), hi.get(k)
            row[k] = [a, b]
            row[k.replace("_mb", "_change")] = round((b - a) / a, 3) if a and b is not None else None
        out.append(row)
    return out


def scale_lines(res: dict) -> list[str]:
    rows = res.get("scale") or []
    if not rows:
        return []
    L = ["", "## Peak memory against the number of sites (--scale)", ""]
    for r in rows:
        n1, n2 = r["sites"]
        (t1, t2), (c1, c2), (r1, r2) = r["peak_tree_pss_mb"], r["peak_child_pss_mb"], r["peak_runner_pss_mb"]
        pct = lambda x: "—" if x is None else f"{100 * x:+.0f} %"      # noqa: E731
        L.append(f"- **{r['batch']}: peak {n1} vs {n2} sites: PSS of the whole tree {fmt(t1, 0)} vs {fmt(t2, 0)} MB "
                 f"({pct(r['peak_tree_pss_change'])})**; largest child of the runner {fmt(c1, 0)} vs {fmt(c2, 0)} MB "
                 f"({pct(r['peak_child_pss_change'])}); the runner alone {fmt(r1, 0)} vs {fmt(r2, 0)} MB "
                 f"({pct(r['peak_runner_pss_change'])})")
    return L


def render_batch_md(res: dict) -> str:
    p, c, m, v = res["params"], res["corpus"], res["env"]["machine"], res["env"]["versions"]
    L = [f"# nok-audit batch benchmark{' (' + res['name'] + ')' if res.get('name', 'batch') != 'batch' else ''} — {res['date']}", "",
         f"Command: `{res['command']}`  ", f"Run at {res['started_at']}, total time {res['total_s']:.0f} s.", "",
         "## Corpus and machine", "",
         f"- corpus: {p['sites']} sites × {p['pages']} pages, seed {p['seed']} (bench/gen_corpus.py v"
         f"{c['params']['generator_version']}): {c['total_pages']} HTML pages ({c['html_bytes'] / 1e6:.1f} MB), "
         f"{c['total_documents']} documents ({c['doc_bytes'] / 1e6:.1f} MB); {len(c['windows_1251_sites'])} sites in windows-1251",
         f"- served by nginx (1 worker) on 127.0.1.1–{res['sites'][-1]['ip']}:{res['port']}, same machine; "
         f"registry CSV `Наименование;Сайт`, one row per site; store: SQLite file in the run's --out folder",
         *([f"- `nok-audit run --jobs {p['jobs']}`: {p['jobs']} sites at a time, one `nok-audit check` process per site"]
           if not any("describe" in b for b in res["batches"]) else
           [f"- {b['key']}: {b['describe']}" for b in res["batches"]]),
         f"- machine: {m.get('nproc')} CPUs ({m.get('cpu_model', '?')}), {m.get('ram_gib', '?')} GiB RAM; {m.get('platform')}; "
         f"load average at start {', '.join(f'{x:.2f}' for x in m.get('loadavg_at_start', ()))}",
         f"- versions: Python {v.get('python')}, Scrapy {v.get('scrapy')}, nok-audit {v.get('nok-audit')}; {v.get('nginx')}",
         f"- git: {res['env']['git'].get('commit', '?')}"
         + (f" with uncommitted changes in {', '.join(res['env']['git']['modified_files'])}"
            if res['env']['git'].get('modified_files') else ""),
         "", "## Batch: wall time, throughput, memory, store", "",
         "| batch | sites | pages | docs | wall s | sites/hour | s/site | pages/s | CPU s/site | peak PSS tree MB "
         "| peak PSS runner MB | peak PSS largest child MB | children | store bytes/site | run folder MB on disk "
         "| others' CPU s |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b in res["batches"]:
        cpu_site = b.get("cpu_s_per_site", round((b["cpu_s"] + b.get("orphans_cpu_s", 0)) / b["sites"], 2))
        L.append(f"| {b['title']} | {b['sites']} | {b['pages']} | {b['documents']} | {fmt(b['wall_s'], 1)} | "
                 f"{fmt(b['sites_per_hour'])} | {fmt(b['s_per_site'], 2)} | {fmt(b['pages_per_s'])} | {fmt(cpu_site, 2)} | "
                 f"{fmt(b['peak_tree_pss_mb'], 0)} | {fmt(b['peak_runner_pss_mb'], 0)} | "
                 f"{fmt(b.get('peak_child_pss_mb'), 0)} | {fmt(b.get('runner_children'))} | "
                 f"{fmt(b['store']['bytes_per_site'])} | {fmt(b['run_folder']['disk_bytes'] / 1e6, 1)} | "
                 f"{fmt(b['other_cpu_s'], 0)} |")
    L.append("")
    for b in res["batches"]:
        L.append(f"- {b['key']}: `{b['command'].replace(str(WORK.relative_to(REPO)) + '/batch/', '')}`")
    if res.get("note"):
        L.append(f"- note: {res['note']}")
    for note in res.get("notes", []):
        L.append(f"- {note}")
    for b in res["batches"]:
        for w in b["warnings"]:
            L.append(f"- WARNING ({b['key']}): {w}")
    L += ["", "## Memory by tenth of the batch (does it grow with the number of sites?)", "",
          "Rows: the number of finished sites was in that tenth of the batch. Tree = the whole process tree (runner, "
          "its check or worker processes, Chromium); largest child = the biggest of the runner's children alone (a "
          "`nok-audit check` process, or a `crawler.runs.in_process` process with --in-process); runner = the `nok-audit run` "
          "process alone; s = time the batch took to finish that tenth of its sites.", ""]
    keys = [b["key"] for b in res["batches"]]
    span: dict[tuple[str, str], float | None] = {}
    by_label: dict[str, dict[str, dict]] = {}
    order: list[str] = []
    same_size = len({b["sites"] for b in res["batches"]}) == 1
    tenth = lambda lbl: (lbl if same_size or "%" not in lbl       # noqa: E731
                         else lbl.rsplit("(", 1)[1].rstrip(")"))
    for b in res["batches"]:
        ds = b["deciles"]
        for i, d in enumerate(ds):
            end = ds[i + 1]["t_from_s"] if i + 1 < len(ds) else b["wall_s"]
            span[b["key"], d["decile"]] = (round(end - d["t_from_s"], 1)
                                           if end is not None and d["t_from_s"] is not None else None)
            if tenth(d["decile"]) not in by_label:
                by_label[tenth(d["decile"])] = {}
                order.append(tenth(d["decile"]))
            by_label[tenth(d["decile"])][b["key"]] = d
    pct = lambda lbl: int(lbl.rsplit("(", 1)[-1].split("–")[0]) if "%" in lbl else 1000   # noqa: E731
    order.sort(key=pct)
    tables = [("PSS of the tree, peak / median MB",
               lambda k, d: f"{fmt(d and d['peak_tree_pss_mb'], 0)} / {fmt(d and d['median_tree_pss_mb'], 0)}"),
              ("PSS of the largest child / of the runner, peak MB",
               lambda k, d: f"{fmt(d and d.get('peak_child_pss_mb'), 0)} / {fmt(d and d['peak_runner_pss_mb'], 0)}"),
              ("seconds to finish the tenth", lambda k, d: fmt(span.get((k, d["decile"])) if d else None, 1))]
    for caption, cell in tables:
        L += [f"{caption}:", "", f"| finished {'sites' if same_size else 'share of the sites'} | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for label in order:
            L.append(f"| {label} | " + " | ".join(cell(k, by_label[label].get(k)) for k in keys) + " |")
        L.append("")
    L.append("")
    for b in res["batches"]:
        f, l = b["first_10pct_peak_pss_mb"], b["last_10pct_peak_pss_mb"]
        fr, lr = b["first_10pct_runner_pss_mb"], b["last_10pct_runner_pss_mb"]
        if f and l:
            summ = b["deciles"][-1]["peak_runner_pss_mb"]
            fc, lc = b.get("first_10pct_child_pss_mb"), b.get("last_10pct_child_pss_mb")
            L.append(f"- {b['key']}: peak PSS of the tree over the first 10 % of sites {f:.0f} MB, over the last 10 % "
                     f"{l:.0f} MB ({100 * (l - f) / f:+.0f} %)"
                     + (f"; the largest child of the runner {fc:.0f} → {lc:.0f} MB ({100 * (lc - fc) / fc:+.0f} %)"
                        if fc and lc else "")
                     + f"; the runner alone {fr:.0f} → {lr:.0f} MB"
                     + (f", {summ:.0f} MB while writing the run summary after the last site" if summ else ""))
    L += scale_lines(res)
    L += ["", "## Store and run folder", ""]
    for b in res["batches"]:
        s, r = b["store"], b["run_folder"]
        L.append(f"- {b['key']}: store {s['bytes'] / 1e6:.1f} MB for {b['sites']} sites = {s['bytes_per_site'] / 1024:.0f} KB/site "
                 f"({s['rows']['blobs']} blobs holding {s['blob_bytes'] / 1e6:.1f} MB compressed of "
                 f"{s['blob_uncompressed_bytes'] / 1e6:.1f} MB, {s['rows']['artefacts']} artefacts, "
                 f"{s['rows']['findings']} findings; {s['bytes_at_exit'] / 1e6:.1f} MB with the WAL as the runner left it); run folder {r['disk_bytes'] / 1e6:.1f} MB on disk "
                 f"({r['apparent_bytes'] / 1e6:.1f} MB in {r['files']} files) = {r['disk_bytes_per_site'] / 1024:.0f} KB/site; "
                 f"outcomes {', '.join(f'{k} {n}' for k, n in sorted(s['outcomes'].items()))}; "
                 f"summary written {fmt(b['summary_phase_s'], 1)} s after the last site; at most {b['max_processes']} "
                 f"processes in the tree ({b['max_chromium_processes']} Chromium), {b['orphans_seen']} orphaned helpers seen"
                 + (f"; {b['runner_children']} {'worker' if b.get('in_process') else 'check'} "
                    f"process{'es' if b['runner_children'] != 1 else ''} started by the runner"
                    if "runner_children" in b else ""))
    L += ["", "wall = start of `nok-audit run` to its exit (registry load, store creation, all sites, run summary); "
          "sites/hour = sites / wall; pages/s = HTML pages stored (results.pages) / wall; CPU s/site = user+system "
          "CPU of the runner and every descendant it or this script reaped (os.wait4; Chromium included) / sites; "
          "children = processes started by the runner as seen by the 0.5 s sampler (check processes, or worker "
          "processes with --in-process); "
          "PSS tree = sum of the proportional set sizes of the runner, its check (or worker) processes and their descendants "
          "(Chromium included; this script is a child subreaper, so helpers orphaned by their parent still count), "
          f"sampled every {SAMPLE_EVERY} s; finished sites read from the store during the run "
          "(run_sites.status = 'done'); store = the SQLite file with its -wal/-shm after `PRAGMA wal_checkpoint(TRUNCATE)`; run folder = OUT/run-1/ "
          "(evidence packs and summary), blocks allocated on disk; others' CPU = CPU time used during the batch by "
          "processes that are neither the runner's (os.wait4), nginx nor this script.", ""]
    return "\n".join(L)


# --------------------------------------------------------------------------------------------- main

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="batch benchmark of nok-audit run: wall time, peak memory per tenth of "
                                             "the batch, store size (issue #7)")
    ap.add_argument("--sites", type=int, default=100, help="number of sites (default 100)")
    ap.add_argument("--pages", type=int, default=50, help="HTML pages per site (default 50)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--jobs", type=int, default=2, help="nok-audit run --jobs of batches without jN (default 2)")
    ap.add_argument("--concurrency", type=int, default=8, help="requests per site (default 8, as bench/run.py)")
    ap.add_argument("--browser-sites", type=int, default=None,
                    help="sites of the batches with the browser stage (default: all --sites; 0 = skip them)")
    ap.add_argument("--batches", default="plain,browser",
                    help="batches to run, in order, comma-separated, each STAGE[:ip|:pps][:jN][:mN][:bN]: STAGE plain "
                         "(--no-browser --render never) or browser (--offline); ip = --in-process; pps = --process-per-site; jN = --jobs N "
                         "(default --jobs); mN = --max-sites-per-process N (not with pps); bN = --browsers N. Default: "
                         "plain,browser; e.g. plain,plain:ip,plain:ip:j4,plain:ip:m1000,browser:ip,browser:j4:b2")
    ap.add_argument("--only", choices=sorted(STAGES), default=None, help="same as --batches STAGE")
    ap.add_argument("--scale", default=None, metavar="N,M",
                    help="run every batch on the first N sites and on M sites of one corpus of max(N, M) sites (it "
                         "replaces --sites and --browser-sites) and compare their peak memory: is it flat in the number "
                         "of sites? e.g. --scale 100,1000 --pages 10 --batches plain")
    ap.add_argument("--name", default="batch", help="results file name: bench/results/<date>-NAME.md/.json "
                                                    "(default batch)")
    ap.add_argument("--site-time-limit", type=float, default=600, help="nok-audit run --site-time-limit, s (default 600)")
    ap.add_argument("--port", type=int, default=0, help="port for every site (default: a free one)")
    ap.add_argument("--regen", action="store_true", help="regenerate the corpus even if it matches")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write bench/results/")
    ap.add_argument("--render-only", metavar="JSON", default=None,
                    help="only write the markdown again from a results JSON (bench/results/<date>-batch.json)")
    a = ap.parse_args(argv)
    if a.sites < 1 or a.pages < 1 or a.jobs < 1 or a.concurrency < 1:
        ap.error("--sites, --pages, --jobs and --concurrency must be positive")
    if a.only:
        a.batches = a.only
    if a.scale:
        try:
            a.scale = sorted({int(x) for x in a.scale.split(",") if x.strip()})
        except ValueError:
            ap.error("--scale: numbers of sites, e.g. 100,1000")
        if len(a.scale) < 2 or a.scale[0] < 1:
            ap.error("--scale: two numbers of sites at least, e.g. 100,1000")
        a.sites = a.scale[-1]
    try:
        a.plan = [Batch.parse(s, a.jobs) for s in a.batches.split(",") if s.strip()]
    except ValueError as exc:
        ap.error(f"--batches: {exc}")
    if len({b.key for b in a.plan}) != len(a.plan) or not a.plan:
        ap.error("--batches: one batch at least, each once")
    if not a.name.replace("-", "").replace("_", "").isalnum():
        ap.error("--name: letters, digits, - and _")
    if a.browser_sites is None:
        a.browser_sites = a.sites
    if not 0 <= a.browser_sites <= a.sites:
        ap.error("--browser-sites: between 0 and --sites")
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.render_only:
        src = Path(args.render_only)
        md = render_batch_md(json.loads(src.read_text(encoding="utf-8")))
        src.with_suffix(".md").write_text(md, encoding="utf-8")
        print(f"written: {src.with_suffix('.md')}", file=sys.stderr)
        return 0
    started = bench_start("bench/batch.py", argv)
    if started is None:
        return 2
    command, nginx = started
    nok = str(Path(PY).parent / "nok-audit")
    if not become_subreaper():
        print("warning: could not become a child subreaper: orphaned Chromium helpers would not be measured",
              file=sys.stderr)
    t_start = time.perf_counter()
    started_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"corpus: {args.sites} sites × {args.pages} pages, seed {args.seed} …", file=sys.stderr)
    t = time.perf_counter()
    manifest = gen_corpus.make_corpus(WORK / "corpus", args.sites, args.pages, args.seed, force=args.regen)
    print(f"  {'reused' if manifest.get('reused') else 'generated'}: {manifest['total_pages']} pages, "
          f"{manifest['total_documents']} documents ({time.perf_counter() - t:.1f} s)", file=sys.stderr)
    port = args.port or free_port(site_ip(0))
    sites = [Site(name=s["name"], ip=site_ip(i), port=port, encoding=s["encoding"], pages=s["pages"],
                  documents=s["documents"]) for i, s in enumerate(manifest["sites"])]
    env = machine_info(nginx, find_tool("wget", ("/usr/bin/wget",)) or "wget")
    if args.scale:                  # each batch on the first N sites of the one corpus, for every N
        plan = [(b, sites[:n]) for b in args.plan for n in args.scale]
    else:
        plan = [(b, sites[:args.browser_sites] if b.browser else sites) for b in args.plan]
    plan = [(b, s) for b, s in plan if s]
    notes = []
    if any(b.browser for b, _ in plan) and args.browser_sites < args.sites:
        notes.append(f"the browser batches ran on the first {args.browser_sites} of the {args.sites} sites (--browser-sites)")
    batches = []
    server = Nginx(nginx, WORK / "corpus", sites, WORK / "nginx")
    current: BatchRun | None = None
    try:
        with server:
            print(f"nginx: {len(sites)} sites on {sites[0].ip}…{sites[-1].ip} port {port}", file=sys.stderr)
            for spec, run_sites in plan:
                current = BatchRun(spec, nok, run_sites, WORK / "batch", args, server, scaled=bool(args.scale))
                print(f"[{current.key}] {current.title}: {len(run_sites)} sites …", file=sys.stderr)
                b = current.run()
                current = None
                batches.append(b)
                print(f"    {b['sites']} sites, {b['pages']} pages in {b['wall_s']:.1f} s: {b['sites_per_hour']} sites/h, "
                      f"{b['pages_per_s']:.1f} pages/s, {b['cpu_s_per_site']:.2f} CPU s/site; "
                      f"peak PSS tree {b['peak_tree_pss_mb']:.0f} MB, largest child {b['peak_child_pss_mb']:.0f} MB "
                      f"(first 10 % {fmt(b['first_10pct_peak_pss_mb'], 0)}, last 10 % {fmt(b['last_10pct_peak_pss_mb'], 0)}); "
                      f"store {b['store']['bytes_per_site']} B/site", file=sys.stderr)
                for w in b["warnings"]:
                    print(f"    WARNING: {w}", file=sys.stderr)
    except KeyboardInterrupt:
        if current:
            current.kill()
        print("\ninterrupted: nginx and nok-audit run stopped", file=sys.stderr)
        return 130
    except BenchError as exc:
        if current:
            current.kill()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if current:
            current.kill()
        server.stop()

    date = dt.date.today().isoformat()
    a = {k: v for k, v in vars(args).items() if k != "plan"}
    res = {"date": date, "name": args.name, "started_at": started_at, "command": command, "total_s": time.perf_counter() - t_start,
           "params": a, "port": port, "corpus": {k: v for k, v in manifest.items() if k != "sites"},
           "sites": [{"name": s.name, "ip": s.ip, "pages": s.pages, "documents": s.documents} for s in sites],
           "env": env, "notes": notes, "batches": batches}
    res["scale"] = scale_comparison(res)
    for line in scale_lines(res)[3:]:
        print(line.replace("**", ""), file=sys.stderr)
    md = render_batch_md(res)
    print(md)
    (WORK / "batch" / f"last-{args.name}.json").write_text(dump_json(res), encoding="utf-8")
    if not args.no_write:
        write_results(f"{date}-{args.name}", md, dump_json(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
