"""Throughput of `nok-audit run` on Scrapyd worker nodes (issue «Audit on many machines»): one node, two
nodes, and the single-machine run for comparison, on the generated corpus of bench/run.py, with a
PostgreSQL store.

    .venv/bin/python bench/nodes.py [--sites 40] [--pages 50] [--seed 1] [--nodes 1,2] [--node-slots 2]
                                    [--jobs 2] [--concurrency 8] [--no-local] [--no-write]

1. generates (or reuses) the corpus (bench/gen_corpus.py, bench/work/corpus/) and serves it with nginx on
   loopback, one address per site (bench/run.py's Nginx);
2. starts a throw-away PostgreSQL server (tests/pgserver.py: a folder from pg_folder(), a free port of
   127.0.0.1; fsync off, as in the tests) and, for every batch, creates a fresh database on it;
3. runs, each time into a fresh database and --out folder (bench/work/nodes/<batch>/):
     local    nok-audit run REGISTRY --db PG --out DIR --jobs 2 …
     nodes-K  K Scrapyd nodes started for this batch only (tests/scrapydserver.py: max_proc = --node-slots,
              folders bench/work/nodes/nodes-K/node*), then
              nok-audit run REGISTRY --db PG --out DIR --nodes URL1,…,URLK --node-slots 2 …
   always with the check options of bench/batch.py's plain batch: --delay 0 --concurrency 8 --no-browser
   --render never; the nodes are stopped (with their jobs) after their batch, also on failure or Ctrl-C;
   PostgreSQL and nginx at the end;
4. samples every 0.5 s the PSS of the measured tree — the runner (dispatcher), the Scrapyd daemons and their
   job processes (`scrapy crawl audit …`, children of the daemons, which this script started) or the local
   runner's `nok-audit check` processes — and, apart, of PostgreSQL (postmaster and backends); counts the
   CPU of each (os.wait4 for the runner, /proc for the daemons' and PostgreSQL's trees);
5. writes bench/results/<YYYY-MM-DD>-nodes.md and .json, with the extrapolation to 100 000 sites a month.

`--nodes 2x1` = two nodes with one slot each (the local run's total of 2 jobs at a time).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from statistics import median as _median
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402
from batch import Batch, BatchRun, become_subreaper, dump_json  # noqa: E402
from run import (PY, REPO, RESULTS, WORK, BenchError, Nginx, Site, _proc_parents, _proc_tree, _pss_kb,  # noqa: E402
                 bench_start, find_tool, fmt, free_port, machine_info, site_ip, write_results)

sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
import pgserver  # noqa: E402
import scrapydserver  # noqa: E402

CHECK_OPTIONS = ["--delay", "0", "--no-browser", "--render", "never"]
SITES_PER_MONTH = 100_000
HOURS_PER_MONTH = 30 * 24
DEFAULT_DELAY = 0.5           # nok-audit check's default --delay, s
DEFAULT_MAX_PAGES = 300       # … --max-pages
DEFAULT_MAX_DOCUMENTS = 150   # … --max-documents
WAIT_FOR_RESULTS = 60.0       # s to wait at the end for a node's job that is still filing its result


def _stat_fields(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def tree_cpu(roots: list[int]) -> float:
    """user+sys of the processes under `roots`, their reaped children's included (cutime+cstime), in s."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in _proc_tree([r for r in roots if r > 0]):
        f = _stat_fields(pid)
        if len(f) > 14:
            total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total / tick


def own_cpu_of(pids: list[int]) -> float:
    """user+sys of these processes themselves (not their children), in s."""
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(f[11]) + int(f[12]) for f in map(_stat_fields, pids) if len(f) > 12) / tick


def span(a, b) -> str:
    return f"{a}" if a == b else f"{a}–{b}"


def median(xs: list[float]) -> float:
    return _median(xs) if xs else 0.0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Plan:
    key: str
    nodes: int        # 0 = local run (--jobs)
    slots: int        # per node; the local run's --jobs

    @property
    def slots_total(self) -> int:
        return self.slots * max(self.nodes, 1)

    @property
    def title(self) -> str:
        if not self.nodes:
            return f"nok-audit run --jobs {self.slots} (one machine, no Scrapyd)"
        return f"{self.nodes} Scrapyd node{'s' if self.nodes > 1 else ''} × {self.slots} slot{'s' if self.slots > 1 else ''}"


class PgServer:
    """tests/pgserver.py's throw-away server: started in a pg_folder(), always stopped and removed."""

    def __init__(self):
        self.folder: Path | None = None
        self.url = ""

    def start(self) -> str:
        self.folder = pgserver.pg_folder()
        self.url = pgserver.start(self.folder)
        return self.url

    def postmaster(self) -> int:
        try:
            return int((self.folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError, TypeError):
            return -1

    def version(self) -> str:
        import psycopg
        with psycopg.connect(plain_url(self.url) + "/postgres") as conn:
            return conn.execute("SHOW server_version").fetchone()[0]

    def stop(self) -> None:
        if self.folder is None:
            return
        try:
            pgserver.stop(self.folder)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class Nodes:
    """K Scrapyd daemons of tests/scrapydserver.py, in folders under `where`; stop() kills them and their jobs."""

    def __init__(self, where: Path, count: int, slots: int):
        self.where, self.count, self.slots = where, count, slots
        self.urls: list[str] = []
        self.procs: list[subprocess.Popen] = []
        self.folders: list[Path] = []

    def start(self) -> list[str]:
        for n in range(self.count):
            folder = self.where / f"node{n}"
            self.folders.append(folder)
            url, proc = scrapydserver.start_node(folder, slots=self.slots)
            self.urls.append(url)
            self.procs.append(proc)
        return self.urls

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.poll() is None]

    def stop(self) -> None:
        for folder in self.folders:
            scrapydserver.stop_node(folder)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


class NodesRun(BatchRun):
    """One `nok-audit run` into a PostgreSQL database, locally (--jobs) or on Scrapyd nodes (--nodes)."""

    def __init__(self, plan: Plan, nok: str, sites: list[Site], out: Path, args, nginx: Nginx, pg: PgServer,
                 db_url: str, nodes: Nodes | None):
        super().__init__(Batch.parse("plain", plan.slots), nok, sites, out, args, nginx)
        self.plan, self.pg, self.db_url, self.nodes = plan, pg, db_url, nodes
        self.key, self.title = plan.key, plan.title
        self.registry = out.parent / f"{plan.key}-registry.csv"
        self.db = None                                    # no SQLite file: PostgreSQL
        self.cmd = [nok, "run", str(self.registry), "--db", db_url, "--out", str(out), "--allow-private"]
        if nodes:
            self.cmd += ["--nodes", ",".join(nodes.urls), "--node-slots", str(plan.slots)]
        else:
            self.cmd += ["--jobs", str(plan.slots)]
        self.cmd += ["--site-time-limit", f"{args.site_time_limit:g}", "--concurrency", str(args.concurrency),
                     *CHECK_OPTIONS]
        if args.pages + 50 > DEFAULT_MAX_PAGES:
            self.cmd += ["--max-pages", str(args.pages + 50)]
        self.conn = None                                  # the sampler's connection (autocommit, read-only use)
        self.empty_db_bytes = self._query("SELECT pg_database_size(current_database())")[0][0]
        self.cpu0: tuple[float, float, float] = (0.0, 0.0, 0.0)

    # -- PostgreSQL -----------------------------------------------------------------------------------------
    def _query(self, sql: str) -> list[tuple]:
        import psycopg
        with psycopg.connect(plain_url(self.db_url), autocommit=True) as conn:
            return conn.execute(sql).fetchall()

    def _done(self) -> int:
        import psycopg
        try:
            if self.conn is None or self.conn.closed:
                self.conn = psycopg.connect(plain_url(self.db_url), autocommit=True, connect_timeout=2)
            row = self.conn.execute("SELECT COUNT(*) FILTER (WHERE status = 'done') FROM run_sites").fetchone()
            return int(row[0] or 0)
        except psycopg.Error:                         # the runner has not created the tables yet
            return 0

    def store_facts(self) -> dict:
        q = self._query
        outcomes = {o or "?": n for o, n in q("SELECT outcome, COUNT(*) FROM run_sites GROUP BY outcome")}
        statuses = {s: n for s, n in q("SELECT status, COUNT(*) FROM run_sites GROUP BY status")}
        results, pages = q("SELECT COUNT(*), COALESCE(SUM(pages), 0) FROM results")[0]
        tables = {t: q(f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("artefacts", "blobs", "findings")}
        blob_bytes, blob_raw = q("SELECT COALESCE(SUM(LENGTH(data)), 0), COALESCE(SUM(size), 0) FROM blobs")[0]
        workers = {w: n for w, n in q("SELECT split_part(worker, ':', 1), COUNT(*) FROM run_sites GROUP BY 1")}
        docs = q("SELECT COALESCE(SUM((report::jsonb #>> '{crawl,documents}')::int), 0) FROM results "
                 "WHERE jsonb_typeof(report::jsonb #> '{crawl,documents}') = 'number'")[0][0]
        return {"outcomes": outcomes, "statuses": statuses, "results": results, "pages": int(pages),
                "documents": int(docs), "rows": tables, "blob_bytes": int(blob_bytes),
                "blob_uncompressed_bytes": int(blob_raw), "sites_by_worker": workers}

    def store_size(self) -> dict:
        size = self._query("SELECT pg_database_size(current_database())")[0][0]
        return {"files_at_exit": {}, "bytes_at_exit": size, "files": {}, "bytes": size - self.empty_db_bytes,
                "database_bytes": size, "empty_database_bytes": self.empty_db_bytes, "free_pages_bytes": 0}

    # -- processes ------------------------------------------------------------------------------------------
    def keep_pids(self) -> set[int]:
        return super().keep_pids() | set(self.nodes.pids() if self.nodes else ()) | {self.pg.postmaster()}

    def _cpu_now(self) -> tuple[float, float, float]:
        """(daemons and their jobs, PostgreSQL, the daemons alone)"""
        pids = self.nodes.pids() if self.nodes else []
        return tree_cpu(pids) if pids else 0.0, tree_cpu([self.pg.postmaster()]), own_cpu_of(pids)

    def _sample(self, t0: float) -> None:
        parent = _proc_parents()
        orphans = self._orphans(parent)
        self.orphans_seen.update(orphans)
        node_pids = self.nodes.pids() if self.nodes else []
        tree = _proc_tree([self.proc.pid, *node_pids, *orphans], parent)
        pss = {p: _pss_kb(p) for p in tree}
        node_tree = _proc_tree(node_pids, parent) if node_pids else set()
        jobs = sum(1 for p in tree if " crawl audit " in _cmdline(p) or " check " in _cmdline(p))
        pg_kb = sum(_pss_kb(p) for p in _proc_tree([self.pg.postmaster()], parent))
        self.samples.append((round(time.perf_counter() - t0, 2), self._done(), sum(pss.values()),
                             pss.get(self.proc.pid, 0), len(tree), 0,
                             sum(pss.get(p, 0) for p in node_pids), sum(pss.get(p, 0) for p in node_tree),
                             pg_kb, jobs))

    def run(self) -> dict:
        self.cpu0 = self._cpu_now()
        try:
            return super().run()
        finally:
            if self.conn is not None:
                self.conn.close()

    def summarize(self, wall: float, cpu: float, nginx_cpu: float, others: float, log_path: Path) -> dict:
        node_cpu, pg_cpu, daemons_cpu = (b - a for a, b in zip(self.cpu0, self._cpu_now()))
        others = max(0.0, others - node_cpu - pg_cpu)
        out = super().summarize(wall, cpu, nginx_cpu, others, log_path)
        st = out["store"]
        n = out["sites"]
        out["documents"] = st["documents"] or out["documents"]
        mb = lambda kb: round(kb / 1024, 1)                   # noqa: E731
        busy = [s for s in self.samples if s[1] < n]           # until the last site is done
        out.update({
            "mode": "nodes" if self.nodes else "local", "nodes": self.plan.nodes, "slots_per_node": self.plan.slots,
            "slots_total": self.plan.slots_total, "node_urls": self.nodes.urls if self.nodes else [],
            "runner_cpu_s": round(cpu, 1), "nodes_cpu_s": round(node_cpu, 1),
            "daemons_cpu_s": round(daemons_cpu, 1), "jobs_cpu_s": round(node_cpu - daemons_cpu, 1), "postgres_cpu_s": round(pg_cpu, 1),
            "cpu_s": round(cpu + node_cpu, 1), "cpu_s_per_site": round((cpu + node_cpu) / n, 2),
            "slot_s_per_site": round(wall * self.plan.slots_total / n, 2),
            "peak_daemons_pss_mb": mb(max((s[6] for s in self.samples), default=0)),
            "peak_nodes_pss_mb": mb(max((s[7] for s in self.samples), default=0)),
            "peak_postgres_pss_mb": mb(max((s[8] for s in self.samples), default=0)),
            "max_jobs": max((s[9] for s in self.samples), default=0),
            "peak_pss_per_job_mb": mb(max(((s[2] - s[3] - s[6]) / s[9] for s in self.samples if s[9]), default=0)),
            "median_pss_per_job_mb": mb(median([(s[2] - s[3] - s[6]) / s[9] for s in self.samples if s[9]])),
            "mean_jobs_running": round(sum(s[9] for s in busy) / len(busy), 2) if busy else None,
            "slot_use": round(sum(s[9] for s in busy) / len(busy) / self.plan.slots_total, 3) if busy else None,
            "samples_columns": ["t_s", "sites_done", "tree_pss_kb", "runner_pss_kb", "processes", "chromium",
                                "daemons_pss_kb", "nodes_tree_pss_kb", "postgres_pss_kb", "jobs"],
        })
        out["command"] = out["command"].replace(self.db_url, "postgresql+psycopg://postgres@127.0.0.1:PORT/DB")
        for url in out["node_urls"]:
            out["command"] = out["command"].replace(url, f"http://127.0.0.1:{url.rsplit(':', 1)[1]}")
        if self.nodes:
            used = {w for w in st["sites_by_worker"] if w.startswith("node-")}
            if len(used) < self.plan.nodes:
                out["warnings"].append(f"only {len(used)} of {self.plan.nodes} nodes ran sites: {st['sites_by_worker']}")
        return out


# --------------------------------------------------------------------------------------------- estimate

def estimate(res: dict) -> dict:
    """100 000 sites a month from the measured rates (the markdown states the assumptions). The work of a site
    at 300 pages is bracketed: low = the measured work per site unchanged (as if it were all per-site start-up,
    imports and reports), high = the measured work × 300 / pages measured (as if it all grew with the pages)."""
    by = {b["key"]: b for b in res["batches"]}
    need = SITES_PER_MONTH / HOURS_PER_MONTH
    ref = next((b for b in res["batches"] if b["nodes"] == 1), None) or next(iter(res["batches"]), None)
    if ref is None:
        return {}
    pages_per_site = ref["pages"] / ref["sites"] if ref["sites"] else 0
    docs_ratio = (ref["documents"] / ref["pages"]) if ref["pages"] else 0
    scale = max(1.0, DEFAULT_MAX_PAGES / pages_per_site) if pages_per_site else 1.0
    requests = 1 + DEFAULT_MAX_PAGES + min(DEFAULT_MAX_DOCUMENTS, DEFAULT_MAX_PAGES * docs_ratio)
    crawl_s = requests * DEFAULT_DELAY
    slots = ref["slots_per_node"] if ref["nodes"] else ref["slots_total"]
    polite = {"delay_s": DEFAULT_DELAY, "max_pages": DEFAULT_MAX_PAGES, "documents_per_page": round(docs_ratio, 3),
              "requests_per_site": round(requests), "crawl_s_at_least": round(crawl_s),
              "pages_per_site_measured": round(pages_per_site, 1), "scale_to_300_pages": round(scale, 2),
              "slots_per_node": slots,
              "pss_per_job_mb": round(ref.get("median_pss_per_job_mb") or ref["peak_pss_per_job_mb"])}
    for bound, factor in (("low", 1.0), ("high", scale)):
        work = ref["slot_s_per_site"] * factor          # slot time per site beyond the politeness waits
        cpu = ref["cpu_s_per_site"] * factor
        t_site = crawl_s + work                        # no overlap of work and waiting: pessimistic
        rate = slots * 3600 / t_site
        polite[bound] = {"work_slot_s_per_site": round(work, 1), "cpu_s_per_site": round(cpu, 1),
                         "s_per_site": round(t_site), "sites_per_hour_per_node": round(rate, 1),
                         "nodes_needed": math.ceil(need / rate),
                         "concurrent_jobs_needed": round(need * t_site / 3600, 1),
                         "cpu_cores_needed": round(need * cpu / 3600, 2)}
    browser = res.get("browser_reference")
    if browser:
        extra = browser["cpu_s_per_site"] - browser["plain_cpu_s_per_site"]
        polite["browser_cpu_s_per_site_extra"] = round(extra, 1)
        polite["cpu_cores_needed_with_browser_high"] = round(need * (polite["high"]["cpu_s_per_site"] + extra) / 3600, 2)
    return {"sites_per_month": SITES_PER_MONTH, "hours_per_month": HOURS_PER_MONTH,
            "sites_per_hour_needed": round(need, 1), "reference_batch": ref["key"],
            "measured": {k: {"sites_per_hour": b["sites_per_hour"],
                             "sites_per_hour_per_node": round(b["sites_per_hour"] / max(b["nodes"], 1)),
                             "machines_needed": math.ceil(need / b["sites_per_hour"])}
                         for k, b in by.items() if b["nodes"] <= 1},
            "polite": polite}


def browser_reference() -> dict | None:
    """CPU per site with and without the browser stage from the latest bench/batch.py result, if any."""
    found = sorted(RESULTS.glob("*-batch.json"))
    if not found:
        return None
    try:
        res = json.loads(found[-1].read_text(encoding="utf-8"))
        by = {b["key"]: b for b in res["batches"]}
        p, b = by["plain"], by["browser"]
    except (OSError, ValueError, KeyError):
        return None
    return {"file": str(found[-1].relative_to(REPO)), "sites": b["sites"],
            "plain_cpu_s_per_site": round(p["cpu_s"] / p["sites"], 2),
            "cpu_s_per_site": round((b["cpu_s"] + b.get("orphans_cpu_s", 0)) / b["sites"], 2),
            "plain_sites_per_hour": p["sites_per_hour"], "browser_sites_per_hour": b["sites_per_hour"]}


# --------------------------------------------------------------------------------------------- report

def render_md(res: dict) -> str:
    p, c, m, v = res["params"], res["corpus"], res["env"]["machine"], res["env"]["versions"]
    L = [f"# nok-audit on Scrapyd nodes — throughput of one and two nodes — {res['date']}", "",
         f"Command: `{res['command']}`  ", f"Run at {res['started_at']}, total time {res['total_s']:.0f} s.", "",
         "## Corpus and machine", "",
         f"- corpus: {p['sites']} sites × {p['pages']} pages, seed {p['seed']} (bench/gen_corpus.py v"
         f"{c['params']['generator_version']}): {c['total_pages']} HTML pages ({c['html_bytes'] / 1e6:.1f} MB), "
         f"{c['total_documents']} documents ({c['doc_bytes'] / 1e6:.1f} MB); {len(c['windows_1251_sites'])} sites in windows-1251",
         f"- served by nginx (1 worker) on 127.0.1.1–{res['sites'][-1]['ip']}:{res['port']}, same machine; registry CSV, one row per site",
         f"- store: PostgreSQL {res['env'].get('postgresql', '?')} on 127.0.0.1 of the same machine (tests/pgserver.py: "
         "fsync, synchronous_commit and full_page_writes off), a fresh database per batch",
         f"- nodes: `scrapyd` {v.get('scrapyd', '?')} daemons on 127.0.0.1 of the same machine (tests/scrapydserver.py: "
         f"max_proc = slots, poll_interval 0.3 s), started for their batch only; the dispatcher polls them every 1 s",
         f"- check options of every site: `--delay 0 --concurrency {p['concurrency']} --no-browser --render never` "
         "(bench/batch.py's plain batch)",
         f"- machine: {m.get('nproc')} CPUs ({m.get('cpu_model', '?')}), {m.get('ram_gib', '?')} GiB RAM; {m.get('platform')}; "
         f"load average at start {', '.join(f'{x:.2f}' for x in m.get('loadavg_at_start', ()))}",
         f"- versions: Python {v.get('python')}, Scrapy {v.get('scrapy')}, Scrapyd {v.get('scrapyd')}, psycopg "
         f"{v.get('psycopg')}, nok-audit {v.get('nok-audit')}; {v.get('nginx')}",
         f"- git: {res['env']['git'].get('commit', '?')}"
         + (f" with uncommitted changes in {', '.join(res['env']['git']['modified_files'])}"
            if res['env']['git'].get('modified_files') else ""),
         "", "## Throughput and memory", "",
         "| mode | nodes | slots total | sites | pages | wall s | sites/h | pages/s | s/site | peak PSS MB "
         "| of which Scrapyd daemons MB | PostgreSQL peak PSS MB | CPU s (runner + nodes) | CPU s/site | PostgreSQL CPU s | others' CPU s |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b in res["batches"]:
        L.append(f"| {b['title']} | {b['nodes'] or '— (local)'} | {b['slots_total']} | {b['sites']} | {b['pages']} | "
                 f"{fmt(b['wall_s'], 1)} | {fmt(b['sites_per_hour'])} | {fmt(b['pages_per_s'])} | {fmt(b['s_per_site'], 2)} | "
                 f"{fmt(b['peak_tree_pss_mb'], 0)} | {fmt(b['peak_daemons_pss_mb'], 0) if b['nodes'] else '—'} | "
                 f"{fmt(b['peak_postgres_pss_mb'], 0)} | {fmt(b['cpu_s'], 0)} | {fmt(b['cpu_s_per_site'], 2)} | "
                 f"{fmt(b['postgres_cpu_s'], 0)} | {fmt(b['other_cpu_s'], 0)} |")
    L.append("")
    for b in res["batches"]:
        L.append(f"- {b['key']}: `{b['command'].replace(str(WORK.relative_to(REPO)) + '/nodes/', '')}`")
    for note in res.get("notes", []):
        L.append(f"- {note}")
    for b in res["batches"]:
        for w in b["warnings"]:
            L.append(f"- WARNING ({b['key']}): {w}")
    L += ["", "wall = start of `nok-audit run` to its exit (registry, queue, all sites, run summary); sites/h = sites / wall; "
          "pages/s = HTML pages stored (results.pages) / wall; s/site = wall / sites; "
          "peak PSS = sum of the proportional set sizes of the runner (dispatcher) and, with nodes, the Scrapyd daemons "
          "and their job processes (`scrapy crawl audit`), locally the runner's `nok-audit check` processes; "
          f"PostgreSQL apart (postmaster and backends); sampled every {p.get('sample_every', 0.5)} s; "
          "CPU = user+sys of the runner and its children (os.wait4) plus the daemons' trees (/proc, reaped jobs included); "
          "others' CPU = CPU the machine used during the batch that is neither these, PostgreSQL, nginx nor this script.", ""]
    L += interpretation(res)
    return "\n".join(L)


def interpretation(res: dict) -> list[str]:
    by = {b["key"]: b for b in res["batches"]}
    local = by.get("local")
    ones = [b for b in res["batches"] if b["nodes"] == 1]
    twos = [b for b in res["batches"] if b["nodes"] == 2 and b["slots_per_node"] == res["params"]["node_slots"]]
    L = ["## What the numbers say", "",
         f"All of it ran on one {res['env']['machine'].get('nproc')}-core machine: nginx with the sites, PostgreSQL, "
         "the dispatcher and every Scrapyd node. Two nodes here are two daemons competing for the same two CPUs, so "
         "the two-node row does not show how the tool scales over machines; it shows what the Scrapyd path costs "
         "against the local path when the CPUs are shared.", ""]
    if local and ones:
        o = ones[0]
        d_cpu = o["cpu_s_per_site"] - local["cpu_s_per_site"]
        L.append(f"- Scrapyd path vs. local path with the same 2 jobs at a time: {fmt(o['sites_per_hour'])} vs. "
                 f"{fmt(local['sites_per_hour'])} sites/h ({100 * (o['sites_per_hour'] / local['sites_per_hour'] - 1):+.0f} %); "
                 f"a site holds a slot {fmt(o['slot_s_per_site'], 2)} s on the node vs. {fmt(local['slot_s_per_site'], 2)} s "
                 f"locally (+{fmt(o['slot_s_per_site'] - local['slot_s_per_site'], 2)} s).")
        if o.get("slot_use") and local.get("slot_use"):
            job_s, check_s = o["slot_s_per_site"] * o["slot_use"], local["slot_s_per_site"] * local["slot_use"]
            L.append(f"  - the slots were busy {100 * o['slot_use']:.0f} % of the time on the node vs. "
                     f"{100 * local['slot_use']:.0f} % locally (mean jobs running {o['mean_jobs_running']} vs. "
                     f"{local['mean_jobs_running']} of 2, sampled every 0.5 s): a job process lives about {job_s:.2f} s per "
                     f"site vs. {check_s:.2f} s for a `nok-audit check`, and about "
                     f"{o['slot_s_per_site'] - job_s:.2f} s per site a slot stands empty between jobs (the dispatcher "
                     "polls listjobs.json every 1 s, Scrapyd launches pending jobs every 0.3 s).")
        if "daemons_cpu_s" in o:
            n = o["sites"]
            L.append(f"  - CPU per site {fmt(o['cpu_s_per_site'], 2)} s vs. {fmt(local['cpu_s_per_site'], 2)} s ({d_cpu:+.2f} s): "
                     f"the jobs {o['jobs_cpu_s'] / n:.2f} s, the Scrapyd daemon itself {o['daemons_cpu_s'] / n:.2f} s, the "
                     f"dispatcher {o['runner_cpu_s'] / n:.2f} s; locally the runner and its checks "
                     f"{local['runner_cpu_s'] / local['sites']:.2f} s.")
        L.append(f"- memory: one node with {o['slots_total']} jobs peaks at {fmt(o['peak_tree_pss_mb'], 0)} MB PSS "
                 f"(daemon {fmt(o['peak_daemons_pss_mb'], 0)} MB, dispatcher {fmt(o['peak_runner_pss_mb'], 0)} MB) vs. "
                 f"{fmt(local['peak_tree_pss_mb'], 0)} MB for the local run; PostgreSQL {fmt(o['peak_postgres_pss_mb'], 0)} vs. "
                 f"{fmt(local['peak_postgres_pss_mb'], 0)} MB.")
    if ones and twos:
        o, t = ones[0], twos[0]
        L.append(f"- two nodes ({t['slots_total']} jobs at a time on 2 CPUs): {fmt(t['sites_per_hour'])} sites/h, "
                 f"{100 * (t['sites_per_hour'] / o['sites_per_hour'] - 1):+.0f} % against one node — "
                 + (f"a gain only because one node's 2 jobs left the CPUs partly idle (slots busy "
                    f"{100 * (o.get('slot_use') or 0):.0f} %), so 4 jobs fill the gaps; "
                    if t["sites_per_hour"] > o["sites_per_hour"] * 1.05 else
                    "no gain: the CPUs were already busy; ")
                 + (f"still {100 * (1 - t['sites_per_hour'] / local['sites_per_hour']):.0f} % below the local run; "
                    if local and t["sites_per_hour"] < local["sites_per_hour"] else "")
                 + f"peak PSS {fmt(t['peak_tree_pss_mb'], 0)} MB (two daemons and up to {t['max_jobs']} jobs). "
                 "On two machines each node would bring its own 2 CPUs; this row cannot show that.")
    for b in res["batches"]:
        if b["nodes"] == 2 and b["slots_per_node"] != res["params"]["node_slots"]:
            one = ones[0] if ones else None
            L.append(f"- {b['title']} (the local run's total of {b['slots_total']} jobs): {fmt(b['sites_per_hour'])} sites/h"
                     + (f", {100 * (b['sites_per_hour'] / one['sites_per_hour'] - 1):+.0f} % against one node with "
                        f"{one['slots_total']} slots: splitting the same jobs over two daemons costs nothing measurable"
                        if one and one["slots_total"] == b["slots_total"]
                        and abs(b["sites_per_hour"] / one["sites_per_hour"] - 1) < 0.05 else "") + ".")
    e = res.get("estimate") or {}
    if e:
        pol, ref = e["polite"], by[e["reference_batch"]]
        lo, hi = pol["low"], pol["high"]
        meas = e["measured"][e["reference_batch"]]
        cores = res["env"]["machine"].get("nproc") or 2
        cpu_nodes = max(1, math.ceil(hi["cpu_cores_needed"] / (0.7 * cores)))
        jobs_hi = math.ceil(hi["concurrent_jobs_needed"] * 1.5)
        L += ["", "## 100 000 sites a month", "",
              f"100 000 sites in a month of 30 × 24 h = **{e['sites_per_hour_needed']} sites/h** around the clock. "
              "Assumptions: one node per 2-core machine like this one, with the throughput of a node as measured here "
              f"on the local corpus ({ref['title']}: {fmt(ref['sites_per_hour'])} sites/h, "
              f"{fmt(ref['slot_s_per_site'], 2)} s of a slot and {fmt(ref['cpu_s_per_site'], 2)} CPU s per "
              f"{pol['pages_per_site_measured']:.0f}-page site); the dispatcher and PostgreSQL on another machine and not "
              "the bottleneck (here they shared the node's CPUs, so the node figures are conservative); no browser stage "
              "(`--no-browser`) unless said.", "",
              f"1. **As measured, delay 0** (loopback sites, no politeness): {fmt(meas['sites_per_hour_per_node'])} sites/h "
              f"per node → {meas['machines_needed']} node{'s' if meas['machines_needed'] > 1 else ''}. This is the ceiling set by the CPU; real sites do not allow it.",
              f"2. **With the default politeness** — `--delay {DEFAULT_DELAY:g}` (one request to a site every 0.5 s on "
              "average, randomised 0.25–0.75 s; AutoThrottle can only lengthen it) and `--max-pages 300`: a site at the "
              f"page limit takes about {pol['requests_per_site']} requests (300 pages + {pol['documents_per_page']:.2f} "
              "documents per page as in the corpus + robots.txt), so at least "
              f"{pol['crawl_s_at_least']} s of crawling. Adding the measured work per site, counted as if it never "
              f"overlapped the waits — as measured ({lo['work_slot_s_per_site']:g} s, low) or grown "
              f"× {pol['scale_to_300_pages']:g} with the pages ({hi['work_slot_s_per_site']:g} s, high) — a site holds "
              f"a slot {span(lo['s_per_site'], hi['s_per_site'])} s (nearer the low end: parsing overlaps the waits). With {pol['slots_per_node']} slots a node does "
              f"{hi['sites_per_hour_per_node']:g}–{lo['sites_per_hour_per_node']:g} sites/h → "
              f"**{span(lo['nodes_needed'], hi['nodes_needed'])} nodes at `--node-slots {pol['slots_per_node']}`**.",
              f"3. **Where the limit is then.** The work is {lo['cpu_s_per_site']:g}–{hi['cpu_s_per_site']:g} CPU s "
              f"per 300-page site, so {e['sites_per_hour_needed']} sites/h need {lo['cpu_cores_needed']:g}–"
              f"{hi['cpu_cores_needed']:g} cores in all"
              + (f" (up to {pol['cpu_cores_needed_with_browser_high']:g} with the browser stage, which costs about "
                 f"{pol['browser_cpu_s_per_site_extra']:g} CPU s more per site in {res['browser_reference']['file']})"
                 if pol.get("cpu_cores_needed_with_browser_high") is not None else "")
              + f", while {lo['concurrent_jobs_needed']:g}–{hi['concurrent_jobs_needed']:g} jobs must run at once "
              f"(about {pol['pss_per_job_mb']} MB PSS each, {jobs_hi * pol['pss_per_job_mb'] / 1024:.1f} GB for "
              f"{jobs_hi}). The politeness delay, not the CPU, sets the number "
              f"of slots: instead of {hi['nodes_needed']} machines at 2 slots, {'one' if cpu_nodes == 1 else cpu_nodes} 2-core node"
              f"{'s' if cpu_nodes > 1 else ''} (CPU at most 70 % busy) with `--node-slots` (and max_proc) of about "
              f"{math.ceil(jobs_hi / cpu_nodes)} (the jobs needed + 50 %)"
              + (" — or two such nodes for redundancy —" if cpu_nodes == 1 else "")
              + " should keep up; to be confirmed on real sites.",
              "", "Real sites are slower than this corpus: network latency (AutoThrottle raises the delay to the response "
              "time when that exceeds 0.5 s), slow or unreachable hosts that hold a slot up to the timeouts, larger "
              "documents; many sites have fewer than 300 pages, which works the other way. Figures 2 and 3 are estimates "
              "from the measured per-site costs, not measurements."]
    return L


# --------------------------------------------------------------------------------------------- main

def parse_plan(raw: str, slots: int, jobs: int, local: bool) -> list[Plan]:
    plan = [Plan("local", 0, jobs)] if local else []
    for part in raw.split(","):
        part = part.strip().lower()
        if not part:
            continue
        k, _, s = part.partition("x")
        k, s = int(k), int(s) if s else slots
        if k < 1 or s < 1:
            raise ValueError(part)
        plan.append(Plan(f"nodes-{k}" + (f"x{s}" if s != slots else ""), k, s))
    return plan


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="throughput of nok-audit run on Scrapyd nodes vs. one machine, "
                                             "with a PostgreSQL store")
    ap.add_argument("--sites", type=int, default=40, help="number of sites (default 40)")
    ap.add_argument("--pages", type=int, default=50, help="HTML pages per site (default 50)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--nodes", default="1,2", help="node counts to measure, comma-separated; KxS = K nodes with S "
                                                   "slots each (default 1,2)")
    ap.add_argument("--node-slots", type=int, default=2, help="slots per node: --node-slots and max_proc (default 2)")
    ap.add_argument("--jobs", type=int, default=2, help="--jobs of the local run (default 2)")
    ap.add_argument("--no-local", action="store_true", help="skip the local (single-machine) run")
    ap.add_argument("--concurrency", type=int, default=8, help="requests per site (default 8, as bench/batch.py)")
    ap.add_argument("--site-time-limit", type=float, default=600, help="nok-audit run --site-time-limit, s (default 600)")
    ap.add_argument("--port", type=int, default=0, help="port for every site (default: a free one)")
    ap.add_argument("--regen", action="store_true", help="regenerate the corpus even if it matches")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write bench/results/")
    ap.add_argument("--suffix", default="nodes", help="results file: bench/results/<date>-SUFFIX.md (default nodes)")
    ap.add_argument("--render-only", metavar="JSON", default=None,
                    help="only write the markdown again from a results JSON (bench/results/<date>-nodes.json)")
    a = ap.parse_args(argv)
    if min(a.sites, a.pages, a.jobs, a.concurrency, a.node_slots) < 1:
        ap.error("--sites, --pages, --jobs, --concurrency and --node-slots must be positive")
    try:
        a.plan = parse_plan(a.nodes, a.node_slots, a.jobs, not a.no_local)
    except ValueError as exc:
        ap.error(f"--nodes: {exc} (expected e.g. 1,2 or 2x1)")
    if not a.plan:
        ap.error("nothing to measure")
    return a


def versions_extra() -> dict:
    from importlib.metadata import version
    out = {}
    for pkg in ("scrapyd", "psycopg", "sqlalchemy"):
        try:
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = "?"
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.render_only:
        src = Path(args.render_only)
        res = json.loads(src.read_text(encoding="utf-8"))
        res["estimate"] = estimate(res)                 # derived: recomputed with the current formula
        md = render_md(res)
        src.with_suffix(".md").write_text(md, encoding="utf-8")
        print(f"written: {src.with_suffix('.md')}", file=sys.stderr)
        return 0
    started = bench_start("bench/nodes.py", argv, ("nok-audit", "scrapyd"))
    if started is None:
        return 2
    command, nginx = started
    nok = str(Path(PY).parent / "nok-audit")
    if pgserver.bindir() is None:
        print("error: PostgreSQL is not installed (apt-get install postgresql)", file=sys.stderr)
        return 2
    t_start = time.perf_counter()
    started_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"corpus: {args.sites} sites × {args.pages} pages, seed {args.seed} …", file=sys.stderr)
    manifest = gen_corpus.make_corpus(WORK / "corpus", args.sites, args.pages, args.seed, force=args.regen)
    port = args.port or free_port(site_ip(0))
    sites = [Site(name=s["name"], ip=site_ip(i), port=port, encoding=s["encoding"], pages=s["pages"],
                  documents=s["documents"]) for i, s in enumerate(manifest["sites"])]
    env = machine_info(nginx, find_tool("wget", ("/usr/bin/wget",)) or "wget")
    env["versions"].update(versions_extra())
    batches = []
    server = Nginx(nginx, WORK / "corpus", sites, WORK / "nginx")
    pg = PgServer()
    nodes: Nodes | None = None
    current: NodesRun | None = None
    try:
        print("PostgreSQL …", file=sys.stderr)
        pg.start()                              # before becoming a subreaper: its postmaster is no orphan of ours
        env["postgresql"] = pg.version()
        if not become_subreaper():
            print("warning: could not become a child subreaper", file=sys.stderr)
        with server:
            print(f"nginx: {len(sites)} sites on {sites[0].ip}…{sites[-1].ip} port {port}", file=sys.stderr)
            for plan in args.plan:
                out = WORK / "nodes" / plan.key
                shutil.rmtree(out, ignore_errors=True)
                if plan.nodes:
                    nodes = Nodes(out / "scrapyd", plan.nodes, plan.slots)
                    nodes.start()
                db = pgserver.create_database(pg.url, f"bench_{plan.key.replace('-', '_')}")
                current = NodesRun(plan, nok, sites, out / "out", args, server, pg, db, nodes)
                print(f"[{plan.key}] {plan.title}: {len(sites)} sites …", file=sys.stderr)
                b = current.run()
                current = None
                if nodes:
                    nodes.stop()
                    nodes = None
                batches.append(b)
                print(f"    {b['sites']} sites, {b['pages']} pages in {b['wall_s']:.1f} s: {b['sites_per_hour']} sites/h, "
                      f"{b['pages_per_s']:.1f} pages/s, {b['s_per_site']:.2f} s/site; peak PSS {b['peak_tree_pss_mb']:.0f} MB "
                      f"(+ PostgreSQL {b['peak_postgres_pss_mb']:.0f} MB); CPU {b['cpu_s']:.0f} s", file=sys.stderr)
                for w in b["warnings"]:
                    print(f"    WARNING: {w}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted: nok-audit run, the nodes, PostgreSQL and nginx stopped", file=sys.stderr)
        return 130
    except (BenchError, RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        if current:
            current.kill()
        if nodes:
            nodes.stop()
        server.stop()
        pg.stop()

    date = dt.date.today().isoformat()
    a = {k: v for k, v in vars(args).items() if k != "plan"}
    res = {"date": date, "started_at": started_at, "command": command, "total_s": time.perf_counter() - t_start,
           "params": {**a, "plan": [vars(p) for p in args.plan], "sample_every": 0.5}, "port": port,
           "corpus": {k: v for k, v in manifest.items() if k != "sites"},
           "sites": [{"name": s.name, "ip": s.ip, "pages": s.pages, "documents": s.documents} for s in sites],
           "env": env, "notes": [], "batches": batches, "browser_reference": browser_reference()}
    res["estimate"] = estimate(res)
    md = render_md(res)
    print(md)
    (WORK / "nodes" / "last.json").write_text(dump_json(res), encoding="utf-8")
    if not args.no_write:
        write_results(f"{date}-{args.suffix}", md, dump_json(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
