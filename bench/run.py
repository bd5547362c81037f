"""Benchmark of nok-audit side by side with its baselines (issues #7, #15).

    .venv/bin/python bench/run.py [--sites 20] [--pages 50] [--seed 1] [--jobs 2] [--concurrency 8]
                                  [--runners a,b,b2,c,c1,d] [--before ../other-checkout/.venv/bin/nok-audit]

1. generates (or reuses) a deterministic corpus of synthetic КЦСОН-like sites in bench/work/corpus/
   (bench/gen_corpus.py: N sites × P pages of 20–80 KB, ~20 % in windows-1251, a few real PDF/DOCX);
2. serves it with nginx on loopback, one address per site (127.0.1.1, 127.0.1.2, …, one port), from a
   config written to bench/work/nginx/ (own pid/temp/log paths, access_log off, daemon off); nginx is
   always stopped (QUIT) at the end, also on Ctrl-C or failure;
3. runs on the same corpus, --jobs sites at a time:
     (a)  wget -r -l inf                        fetch-only floor, one process per site
     (b)  bench/bare_spider.py URL              bare Scrapy CrawlSpider, one process per site, no robots/delay
     (b2) bench/bare_spider.py URL… --jobs J    the same spider, ALL sites in one process, J at a time
     (c)  nok-audit run REGISTRY --jobs J --delay 0 --no-browser --render never --allow-private
                                                the whole corpus as one batch in nok-audit's DEFAULT mode (no
                                                mode flag: whatever `run` does by default), into a fresh store
     (c1) nok-audit check URL --delay 0 --quiet --no-browser --render never   one check of the first site
     (d)  nok-audit check --offline             with the browser stage, on --browser-sites sites, once
   and, with --before PATH (the nok-audit executable of another checkout, run as its own venv's console
   script, never importing this tree), (c-before) and (c1-before): the same with that executable, interleaved
   with the others (a b b2 c c-before c1 c1-before, a b b2 …) so that before and after share the machine's state;
   measuring wall time of the whole batch, CPU (user+sys of every process: os.wait4 of each child includes
   the descendants it reaped, and this script is a child subreaper that reaps and counts orphans too), peak
   RSS (largest VmHWM of one process) and peak PSS of the whole process tree; pages from the runner's own
   output (wget's files, the spider's stats, nok-audit's store or crawl.json);
4. prints the ratios (c)/(b) and (c)/(b2) of pages/s and CPU per page against the issue's targets
   (pages/s ≥ 0.85 ×, CPU/page ≤ 1.3 ×);
5. profiles `nok-audit check` per stage on a few sites (bench/profile_audit.py);
6. prints the results and writes bench/results/<YYYY-MM-DD>.md and .json (--no-write: print only).

bench/batch.py measures memory per tenth of a batch of `nok-audit run` (100 vs 1 000 sites) and
bench/flame.py records py-spy flame graphs of it; both reuse this file's corpus, nginx and PSS helpers.

Needs nginx and wget (./setup.sh installs both). --sites 100 --pages 50 is issue #7's nominal size;
the default (20 × 50) takes a few minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import csv
import ctypes
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import re
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402

PY = sys.executable
TARGET_RATIO = 0.85          # issue #15's goal: (c) pages/s >= 0.85 x (b) …
TARGET_CPU_RATIO = 1.3       # … and (c) CPU per page <= 1.3 x bare Scrapy's
RUNNER_ORDER = ["a", "b", "b2", "c", "c-before", "c1", "c1-before", "d"]     # also the interleaving order
DOC_EXT = {"pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "rtf", "txt"}


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------------------------- sites

@dataclass
class Site:
    name: str
    ip: str
    port: int
    encoding: str
    pages: int          # expected HTML pages
    documents: int      # expected documents

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{self.port}/"


def site_ip(i: int) -> str:
    """127.0.1.1 … 127.0.1.250, then 127.0.2.1 …"""
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


def write_registry(path: Path, sites: list[Site]) -> None:
    """The registry CSV `nok-audit run` reads for the corpus: `Наименование;Сайт`, one row per site."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(["Наименование", "Сайт"])
        for s in sites:
            w.writerow([f"Бенчмарк: {s.name}", s.url])


def free_port(ip: str) -> int:
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------- nginx

def find_tool(name: str, extra: tuple[str, ...] = ()) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for p in extra:
        if os.access(p, os.X_OK):
            return p
    return None


class Nginx:
    """nginx serving every corpus site on its own loopback address; a context manager that always stops it."""

    def __init__(self, binary: str, corpus: Path, sites: list[Site], folder: Path):
        self.binary = binary
        self.corpus = corpus
        self.sites = sites
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    def write_config(self) -> Path:
        f = self.folder
        for d in ("temp/client", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi", "logs"):
            (f / d).mkdir(parents=True, exist_ok=True)
        user = ""
        if os.geteuid() == 0:            # workers keep root's uid: no permission surprises on the corpus
            import pwd
            user = f"user {pwd.getpwuid(0).pw_name};\n"
        servers = []
        for s in self.sites:
            servers.append(f"""    server {{
        listen {s.ip}:{s.port};
        server_name {s.ip};
        root {self.corpus / s.name};
        index index.html;
        charset {s.encoding};
        location / {{ try_files $uri $uri/ =404; }}
    }}""")
        conf = f"""# written by bench/run.py — nginx for the benchmark corpus (loopback only)
{user}worker_processes 1;
daemon off;
pid {f / 'nginx.pid'};
error_log {f / 'logs/error.log'} warn;
# each site's listening socket takes a connection slot too: 1 000 sites exhausted 1 024 and nginx dropped requests
worker_rlimit_nofile {4 * len(self.sites) + 2048};
events {{ worker_connections {2 * len(self.sites) + 1024}; }}
http {{
    types {{
        text/html html htm;
        text/plain txt;
        application/pdf pdf;
        application/vnd.openxmlformats-officedocument.wordprocessingml.document docx;
        application/msword doc;
    }}
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30;
    keepalive_requests 10000;
    absolute_redirect off;
    server_tokens off;
    client_body_temp_path {f / 'temp/client'};
    proxy_temp_path {f / 'temp/proxy'};
    fastcgi_temp_path {f / 'temp/fastcgi'};
    uwsgi_temp_path {f / 'temp/uwsgi'};
    scgi_temp_path {f / 'temp/scgi'};
{chr(10).join(servers)}
}}
"""
        path = f / "nginx.conf"
        path.write_text(conf, encoding="utf-8")
        return path

    def start(self) -> None:
        conf = self.write_config()
        log = open(self.folder / "logs/stderr.log", "wb")
        # Own session: Ctrl-C in the terminal reaches only bench/run.py, which then stops nginx itself.
        self.proc = subprocess.Popen([self.binary, "-p", str(self.folder), "-e", str(self.folder / "logs/error.log"),
                                      "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + 15
        pending = list(self.sites)
        while pending:
            if self.proc.poll() is not None:
                raise BenchError(f"nginx exited at start (code {self.proc.returncode}):\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise BenchError(f"nginx did not answer on {pending[0].url} within 15 s:\n{self.log_tail()}")
            s = pending[0]
            try:
                with socket.create_connection((s.ip, s.port), timeout=0.5):
                    pending.pop(0)
            except OSError:
                time.sleep(0.05)

    def log_tail(self) -> str:
        out = []
        for name in ("logs/stderr.log", "logs/error.log"):
            p = self.folder / name
            if p.exists():
                out.extend(p.read_text(errors="replace").splitlines()[-10:])
        return "\n".join(out)

    def pids(self) -> list[int]:
        if not self.proc or self.proc.poll() is not None:
            return []
        pids = [self.proc.pid]
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    stat = (d / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(d.name))
        return pids

    def cpu_seconds(self) -> float:
        """user+sys of the master and its workers so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])      # utime, stime
        return total / tick

    def stop(self) -> None:
        p = self.proc
        if not p or p.poll() is not None:
            return
        try:
            os.kill(p.pid, signal.SIGQUIT)                   # graceful shutdown
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        except ProcessLookupError:
            pass

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def system_busy_cpu() -> float:
    """CPU seconds the whole machine has been busy (all processes, all CPUs), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# --------------------------------------------------------------------------------------------- runners

@dataclass
class SiteRun:
    site: str
    exit_code: int
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    maxrss_mb: float        # high-water RSS of the process itself (VmHWM sampled every 10 ms; see rss_note)
    pages: int
    documents: int
    extra: dict = field(default_factory=dict)


class Runner:
    key = "?"
    title = "?"
    what = ""
    whole = False        # True: one process for the whole corpus (command_all/count_all), else one per site
    cwd = WORK

    def unavailable(self) -> str | None:
        return None

    def command(self, site: Site, out: Path) -> list[str]:
        raise NotImplementedError

    def count(self, site: Site, out: Path) -> tuple[int, int, dict]:
        raise NotImplementedError


class WgetRunner(Runner):
    key, title = "a", "wget -r (fetch only)"
    what = "wget -r -l inf -nv -P <tmp> URL: sequential, keep-alive, saves every file, no parsing beyond links"

    def __init__(self, wget: str):
        self.wget = wget

    def command(self, site, out):
        return [self.wget, "-r", "-l", "inf", "-nv", "-P", str(out), site.url]

    def count(self, site, out):
        pages = docs = 0
        for root, _dirs, files in os.walk(out):
            for f in files:
                ext = f.rsplit(".", 1)[-1].lower() if "." in f else ""
                if ext in ("html", "htm"):
                    pages += 1
                elif ext in DOC_EXT and f != "robots.txt":
                    docs += 1
        return pages, docs, {}


class BareScrapyRunner(Runner):
    key, title = "b", "bare Scrapy CrawlSpider"
    what = "bench/bare_spider.py: CrawlSpider, LinkExtractor on the site's host, no robots, no delay, no storage"

    def __init__(self, concurrency: int):
        self.concurrency = concurrency

    def command(self, site, out):
        return [PY, str(HERE / "bare_spider.py"), site.url, str(out / "stats.json"),
                "--concurrency", str(self.concurrency)]

    def count(self, site, out):
        try:
            st = json.loads((out / "stats.json").read_text())
        except (OSError, ValueError):
            return 0, 0, {"note": "no stats.json"}
        extra = {k: st.get(k) for k in ("t_start", "t_opened", "t_closed", "t_end", "errors")}
        return st.get("pages", 0), st.get("documents", 0), extra


def nok_check_options(nok: str) -> set[str]:
    """The options `nok-audit check` accepts (the browser stage of issue #3 added --no-browser etc.)."""
    try:
        out = subprocess.run([nok, "check", "--help"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    return set(re.findall(r"(--[a-z][a-z-]*)", out))


def checkout_cwd(nok: str) -> Path:
    """The working folder of a runner using `nok`: its own checkout (<checkout>/.venv/bin/nok-audit) when it has
    a scrapy.cfg, so that Scrapy never reads this tree's project file for another checkout's executable."""
    root = Path(nok).absolute().parents[2]
    return root if (root / "scrapy.cfg").exists() else WORK


class NokAuditRunner(Runner):
    key, title = "c1", "nok-audit check, one site (no browser)"
    what = ("nok-audit check URL --out <tmp> --delay 0 --quiet --concurrency N --no-browser --render never: "
            "crawl + checklist + reports of one site, one process")

    def __init__(self, nok: str, concurrency: int, max_pages: int, options: set[str], key: str = "",
                 label: str = ""):
        if key:
            self.key = key
        if label:
            self.title = f"{self.title}, {label}"
        self.cwd = checkout_cwd(nok)
        self.nok = nok
        self.concurrency = concurrency
        self.max_pages = max_pages
        self.options = options

    def base_args(self, site: Site, out: Path) -> list[str]:
        args = [site.url, "--out", str(out), "--delay", "0", "--quiet", "--concurrency", str(self.concurrency)]
        if self.max_pages > 300:                       # nok-audit's default limit is 300 pages
            args += ["--max-pages", str(self.max_pages)]
        return args

    def args(self, site: Site, out: Path) -> list[str]:
        args = self.base_args(site, out)
        # Without any browser: no browser stage (issue #3), no rendering of script-built pages.
        if "--no-browser" in self.options:
            args.append("--no-browser")
        if "--render" in self.options:
            args += ["--render", "never"]
        return args

    def command(self, site, out):
        return [self.nok, "check", *self.args(site, out)]

    def count(self, site, out):
        try:
            j = json.loads((out / "crawl" / "crawl.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0, 0, {"note": "no crawl/crawl.json"}
        extra = {"stop_reason": j.get("stop_reason"), "problems": len(j.get("problems", [])),
                 "rendered_pages": j.get("rendered_pages"), "report": (out / "report.json").exists()}
        try:
            rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
            statuses: dict[str, int] = {}
            for f in rep.get("findings", rep.get("items", [])):
                st = f.get("status") if isinstance(f, dict) else None
                if st:
                    statuses[st] = statuses.get(st, 0) + 1
            extra["statuses"] = statuses
        except (OSError, ValueError):
            pass
        return j.get("pages", 0), j.get("documents", 0), extra


class BrowserRunner(NokAuditRunner):
    """(d): nok-audit with its browser stage (issue #3). Runs only when the installed nok-audit has it and
    supports --offline (the corpus links vk.com, bus.gov.ru …: the benchmark must not reach the network),
    and only when asked for (--runners …d): on --browser-sites sites, once."""
    key, title = "d", "nok-audit check with the browser stage"
    what = "nok-audit check URL --out <tmp> --delay 0 --quiet --concurrency N --offline: crawl + checklist + Chromium checks + reports"

    def unavailable(self):
        if "--no-browser" not in self.options:
            return "browser stage not implemented yet (issue #3 will add it)"
        if "--offline" not in self.options:
            return "nok-audit check has no --offline: not run (the browser would reach the sites the corpus links to)"
        return None

    def args(self, site, out):
        return self.base_args(site, out) + ["--offline"]


class BareScrapyBatchRunner(Runner):
    """(b2): every site in one Scrapy process, `jobs` crawlers at a time."""
    key, title = "b2", "bare Scrapy, all sites in one process"
    what = "bench/bare_spider.py URL… --jobs J: the (b) spider, one crawler per site in one reactor, J at a time"
    whole = True

    def __init__(self, concurrency: int, jobs: int):
        self.concurrency = concurrency
        self.jobs = jobs

    def command_all(self, sites: list[Site], out: Path) -> list[str]:
        return [PY, str(HERE / "bare_spider.py"), *(s.url for s in sites), str(out / "stats.json"),
                "--jobs", str(self.jobs), "--concurrency", str(self.concurrency)]

    def count_all(self, sites, out):
        try:
            st = json.loads((out / "stats.json").read_text())
        except (OSError, ValueError):
            return 0, 0, {"note": "no stats.json"}
        return st.get("pages", 0), st.get("documents", 0), {"errors": st.get("errors"),
                                                            "sites_crawled": len(st.get("sites", [])) or 1}


class NokRunRunner(Runner):
    """(c): the whole corpus as one `nok-audit run` batch in the executable's default mode."""
    key, title = "c", "nok-audit run (default mode)"
    what = ("nok-audit run REGISTRY --out <tmp> --jobs J --delay 0 --concurrency N --no-browser --render never "
            "--allow-private: no mode flag, so whatever `run` does by default")
    whole = True

    def __init__(self, nok: str, concurrency: int, jobs: int, max_pages: int, timeout: float,
                 key: str = "c", label: str = ""):
        self.cwd = checkout_cwd(nok)
        self.nok = nok
        self.concurrency = concurrency
        self.jobs = jobs
        self.max_pages = max_pages
        self.timeout = timeout
        self.key = key
        if label:
            self.title = f"{self.title}, {label}"

    def command_all(self, sites, out):
        registry = out / "registry.csv"
        write_registry(registry, sites)
        cmd = [self.nok, "run", str(registry), "--out", str(out / "out"), "--jobs", str(self.jobs),
               "--site-time-limit", f"{self.timeout:g}", "--delay", "0", "--concurrency", str(self.concurrency),
               "--no-browser", "--render", "never", "--allow-private"]
        if self.max_pages > 300:                       # nok-audit's default limit is 300 pages
            cmd += ["--max-pages", str(self.max_pages)]
        return cmd

    def count_all(self, sites, out):
        """Pages from the store (results.pages), documents from each site's crawl.json, outcomes and finding
        statuses from the store."""
        db = out / "out" / "nok-audit.db"
        extra: dict = {}
        pages = None
        if db.exists():
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                pages = conn.execute("SELECT COALESCE(SUM(pages), 0) FROM results").fetchall()[0][0]
                extra["outcomes"] = dict(conn.execute("SELECT outcome, COUNT(*) FROM run_sites GROUP BY outcome").fetchall())
                extra["statuses"] = dict(conn.execute("SELECT status, COUNT(*) FROM findings GROUP BY status").fetchall())
            except sqlite3.Error as exc:
                extra["note"] = f"store not readable: {exc}"
            finally:
                conn.close()
        docs = pages_json = 0
        for crawl_json in (out / "out").glob("run-*/*/crawl/crawl.json"):
            try:
                j = json.loads(crawl_json.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            docs += j.get("documents", 0) or 0
            pages_json += j.get("pages", 0) or 0
        extra["pages_in_crawl_json"] = pages_json
        return (pages if pages is not None else pages_json), docs, extra


def nok_module_path(nok: str) -> str:
    """Where the executable's Python imports `crawler` from (its shebang's interpreter): proof that a --before
    executable runs its own checkout, not this tree."""
    try:
        with open(nok, "rb") as f:
            interp = f.readline().decode(errors="replace")[2:].strip().split()[0]
        r = subprocess.run([interp, "-c", "import crawler; print(crawler.__file__)"], capture_output=True, text=True,
                           timeout=60, cwd="/", env=runner_env())
        return r.stdout.strip() or r.stderr.strip()[-200:]
    except (OSError, IndexError, subprocess.SubprocessError) as exc:
        return f"? ({exc})"


def runner_env() -> dict:
    """The environment of every runner: this script's, without what could point a Python at this tree."""
    return {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV")}


class WholeBatch:
    """Runs a whole-corpus runner (b2, c) as ONE process over all sites, measured like Batch: wall, CPU of the
    process and every descendant (os.wait4 of the runner covers what it reaped; orphans re-parented to this
    subreaper are reaped and added), peak VmHWM of one process and peak PSS of the tree (every 100 ms)."""

    def __init__(self, runner: Runner, sites: list[Site], out_root: Path, timeout: float, cwd: Path, keep: set[int]):
        self.runner = runner
        self.sites = sites
        self.out_root = out_root
        self.timeout = timeout
        self.cwd = cwd
        self.keep = keep
        self.peak_tree_pss_kb = 0
        self.peak_hwm_kb = 0
        self.max_processes = 0
        self.proc: subprocess.Popen | None = None

    def _sample(self, done: threading.Event) -> None:
        while not done.wait(0.1):
            parent = _proc_parents()
            me = os.getpid()
            roots = [p for p, pp in parent.items() if pp == me and p not in self.keep]
            tree = _proc_tree(roots, parent)
            self.max_processes = max(self.max_processes, len(tree))
            self.peak_tree_pss_kb = max(self.peak_tree_pss_kb, sum(_pss_kb(p) for p in tree))
            for pid in tree:
                self.peak_hwm_kb = max(self.peak_hwm_kb, _status_kb(pid, b"VmHWM:"))

    def kill_all(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap_strays(self.keep, kill=True)

    def run(self) -> tuple[float, list[SiteRun]]:
        if self.out_root.exists():
            shutil.rmtree(self.out_root)
        self.out_root.mkdir(parents=True)
        cmd = self.runner.command_all(self.sites, self.out_root)
        done = threading.Event()
        sampler = threading.Thread(target=self._sample, args=(done,), daemon=True)
        with open(self.out_root.parent / f"{self.runner.key}.log", "wb") as log:
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.cwd, env=runner_env(), start_new_session=True)
        sampler.start()
        timer = threading.Timer(self.timeout, self.kill_all)
        timer.start()
        try:
            _pid, status, ru = os.wait4(self.proc.pid, 0)
            wall = time.perf_counter() - t0
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            stray_cpu, leftovers = reap_strays(self.keep, kill=False)
        except BaseException:
            self.kill_all()
            raise
        finally:
            timer.cancel()
            done.set()
            sampler.join()
        pages, docs, extra = self.runner.count_all(self.sites, self.out_root)
        extra.update(stray_cpu_s=round(stray_cpu, 2), leftovers=leftovers, max_processes=self.max_processes)
        cpu = ru.ru_utime + ru.ru_stime + stray_cpu
        return wall, [SiteRun(site=f"(all {len(self.sites)} sites)", exit_code=self.proc.returncode, wall_s=wall,
                              cpu_s=cpu, user_s=ru.ru_utime, sys_s=ru.ru_stime,
                              maxrss_mb=round(self.peak_hwm_kb / 1024, 1), pages=pages, documents=docs, extra=extra)]


class Batch:
    """Runs one runner over every site, `jobs` processes at a time; kills everything it started on failure."""

    def __init__(self, runner: Runner, sites: list[Site], jobs: int, out_root: Path, timeout: float, cwd: Path):
        self.cwd = cwd
        self.runner = runner
        self.sites = sites
        self.jobs = jobs
        self.out_root = out_root
        self.timeout = timeout
        self.running: dict[int, subprocess.Popen] = {}
        self.lock = threading.Lock()
        self.stopping = False
        self.hwm: dict[int, int] = {}
        self.peak_tree_pss_kb = 0      # all running processes of this runner and their descendants (Chromium)

    def sample_rss(self, done: threading.Event) -> None:
        """VmHWM of every running process, every 10 ms. (wait4's ru_maxrss cannot be used: Linux counts the
        forking parent's resident set in it, i.e. this script's ~40 MB even for a 5 MB wget.)"""
        tick = 0
        while not done.wait(0.01):
            with self.lock:
                pids = list(self.running)
            tick += 1
            if tick % 10 == 0 and pids:
                self.peak_tree_pss_kb = max(self.peak_tree_pss_kb, _tree_pss_kb(pids))
            for pid in pids:
                kb = _status_kb(pid, b"VmHWM:")
                if kb > self.hwm.get(pid, 0):
                    self.hwm[pid] = kb

    def run_one(self, site: Site) -> SiteRun:
        out = self.out_root / site.name
        out.mkdir(parents=True, exist_ok=True)
        cmd = self.runner.command(site, out)
        env = runner_env()
        with self.lock:
            if self.stopping:
                raise BenchError("interrupted")
            log = open(self.out_root / f"{site.name}.log", "wb")
            t_spawn = time.time()
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.cwd,
                                 env=env, start_new_session=True)
            self.running[p.pid] = p
        log.close()
        timer = threading.Timer(self.timeout, self._kill, args=(p,))
        timer.start()
        try:
            _pid, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
            with self.lock:
                self.running.pop(p.pid, None)
        wall = time.perf_counter() - t0
        t_reaped = time.time()
        p.returncode = os.waitstatus_to_exitcode(status)
        pages, docs, extra = self.runner.count(site, out)
        extra.update(t_spawn=t_spawn, t_reaped=t_reaped)
        hwm = self.hwm.pop(p.pid, 0)
        extra["ru_maxrss_mb"] = round(ru.ru_maxrss / 1024, 1)
        if not hwm:
            extra["rss_note"] = "exited before the first sample"
        return SiteRun(site=site.name, exit_code=p.returncode, wall_s=wall, cpu_s=ru.ru_utime + ru.ru_stime,
                       user_s=ru.ru_utime, sys_s=ru.ru_stime, maxrss_mb=round(hwm / 1024, 1), pages=pages,
                       documents=docs, extra=extra)

    @staticmethod
    def _kill(p: subprocess.Popen) -> None:
        try:
            os.killpg(p.pid, signal.SIGKILL)       # its own session: the group id is its pid
        except ProcessLookupError:
            pass

    def kill_all(self) -> None:
        with self.lock:
            self.stopping = True
            procs = list(self.running.values())
        for p in procs:
            self._kill(p)

    def run(self) -> tuple[float, list[SiteRun]]:
        if self.out_root.exists():
            shutil.rmtree(self.out_root)
        self.out_root.mkdir(parents=True)
        results: list[SiteRun] = []
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        sampling_done = threading.Event()
        sampler = threading.Thread(target=self.sample_rss, args=(sampling_done,), daemon=True)
        sampler.start()
        try:
            t0 = time.perf_counter()
            futures = {pool.submit(self.run_one, s) for s in self.sites}
            while futures:
                finished, futures = wait(futures, timeout=0.5, return_when=FIRST_COMPLETED)
                for f in finished:
                    results.append(f.result())
            wall = time.perf_counter() - t0
        except BaseException:
            self.kill_all()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            sampling_done.set()
            sampler.join()
        results.sort(key=lambda r: r.site)
        return wall, results


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Orphaned descendants (a worker whose runner exited, Chromium helpers) are re-parented to this process
    instead of init, so that they stay in the measured tree, their CPU is counted when reaped, and they can be
    stopped at the end."""
    try:
        return ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except OSError:
        return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _status_kb(pid: int, field: bytes) -> int:
    """One kB field of /proc/PID/status (e.g. VmHWM), 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def reap_strays(keep: set[int], kill: bool) -> tuple[float, list[str]]:
    """Children of this script other than `keep` (servers) once a runner has exited: orphans of the run that
    were re-parented to this subreaper. Those still running are listed and, with `kill`, or after 5 s, killed;
    all are reaped. (user+sys CPU of what was reaped, the ones that were still running)."""
    me, cpu, leftovers = os.getpid(), 0.0, []
    deadline = time.monotonic() + (0 if kill else 5)
    while True:
        strays = [p for p, pp in _proc_parents().items() if pp == me and p not in keep]
        if not strays:
            return cpu, leftovers
        late = time.monotonic() >= deadline
        for pid in strays:
            if _state(pid) not in ("", "Z"):
                if not late:
                    continue
                leftovers.append(f"{pid} {_comm(pid)}")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                _got, _status, ru = os.wait4(pid, 0)
            except ChildProcessError:
                continue
            cpu += ru.ru_utime + ru.ru_stime
        time.sleep(0.05)


def _proc_parents() -> dict[int, int]:
    """{pid: parent pid} of every process, from /proc."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                parent[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    return parent


def _proc_tree(roots: list[int], parent: dict[int, int] | None = None) -> set[int]:
    """`roots` and all their descendants."""
    parent = _proc_parents() if parent is None else parent
    children: dict[int, list[int]] = {}
    for child, ppid in parent.items():
        children.setdefault(ppid, []).append(child)
    tree, frontier = set(roots), list(roots)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in tree:
                tree.add(child)
                frontier.append(child)
    return tree


def _pss_kb(pid: int) -> int:
    """Proportional set size of one process (0 when it is gone or a zombie)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree_pss_kb(roots: list[int]) -> int:
    """Proportional set size of `roots` and all their descendants (Chromium's helpers included): memory the
    runner really occupies, shared pages counted once."""
    return sum(_pss_kb(pid) for pid in _proc_tree(roots))


def summarize(runner: Runner, wall: float, runs: list[SiteRun], server_cpu: float, sites: list[Site],
              foreign_cpu: float | None = None) -> dict:
    pages = sum(r.pages for r in runs)
    docs = sum(r.documents for r in runs)
    cpu = sum(r.cpu_s for r in runs)
    exp_pages = sum(s.pages for s in sites)
    exp_docs = sum(s.documents for s in sites)
    out = {
        "key": runner.key, "title": runner.title, "what": runner.what, "status": "ok", "n_sites": len(sites),
        "pages": pages, "documents": docs, "expected_pages": exp_pages, "expected_documents": exp_docs,
        "wall_s": round(wall, 3),
        "pages_per_s": round(pages / wall, 1) if wall else 0.0,
        "fetches_per_s": round((pages + docs) / wall, 1) if wall else 0.0,
        "s_per_site_process": (None if runner.whole or not runs else round(statistics.mean(r.wall_s for r in runs), 3)),
        "s_per_site_wall": round(wall / len(sites), 3) if sites else 0.0,
        "cpu_s": round(cpu, 2), "user_s": round(sum(r.user_s for r in runs), 2), "sys_s": round(sum(r.sys_s for r in runs), 2),
        "cpu_ms_per_page": round(1000 * cpu / pages, 2) if pages else None,
        "peak_rss_mb": round(max((r.maxrss_mb for r in runs), default=0), 1),
        "server_cpu_s": round(server_cpu, 2),
        "other_cpu_s": None if foreign_cpu is None else round(foreign_cpu, 2),
        "failed_sites": [r.site for r in runs if r.exit_code != 0],
        "warnings": [],
        "sites": [asdict(r) for r in runs],
    }
    if runner.key == "a":      # wget exits 8 when any request got an error answer; counted separately
        out["failed_sites"] = [r.site for r in runs if r.exit_code not in (0, 8)]
    ncpu = len(os.sched_getaffinity(0))
    if foreign_cpu is not None and foreign_cpu > max(0.5, 0.1 * wall * ncpu):
        out["warnings"].append(f"other processes on this machine used {foreign_cpu:.1f} CPU s during this run "
                               f"({100 * foreign_cpu / (wall * ncpu):.0f} % of the machine): the timings are disturbed")
    if exp_pages and abs(pages - exp_pages) > 0.05 * exp_pages:
        out["warnings"].append(f"fetched {pages} pages, expected about {exp_pages}")
    if exp_docs and abs(docs - exp_docs) > 0.1 * exp_docs:
        out["warnings"].append(f"fetched {docs} documents, expected about {exp_docs}")
    if out["failed_sites"]:
        out["warnings"].append(f"non-zero exit on {len(out['failed_sites'])} site(s): {', '.join(out['failed_sites'][:5])} "
                               f"(logs in {WORK.relative_to(REPO)}/runs/{runner.key}/)")
    if runner.key == "b" and runs and all(r.extra.get("t_opened") for r in runs):
        def mean(f):
            return round(statistics.mean(f(r.extra) for r in runs), 3)
        out["per_site_split"] = {
            "interpreter_start_s": mean(lambda e: e["t_start"] - e["t_spawn"]),
            "imports_setup_s": mean(lambda e: e["t_opened"] - e["t_start"]),
            "crawl_s": mean(lambda e: e["t_closed"] - e["t_opened"]),
            "stop_exit_s": mean(lambda e: e["t_reaped"] - e["t_closed"]),
        }
    if runner.whole and runs:
        out["processes"] = "one for all sites"
        out["max_processes"] = runs[0].extra.get("max_processes")
        if runs[0].extra.get("leftovers"):
            out["warnings"].append(f"processes still running after the runner exited (killed): "
                                   f"{', '.join(runs[0].extra['leftovers'][:5])}")
    if runner.key.startswith("c"):
        agg: dict[str, int] = {}
        for r in runs:
            for k, v in (r.extra.get("statuses") or {}).items():
                agg[k] = agg.get(k, 0) + v
        out["finding_statuses"] = agg
    return out


# --------------------------------------------------------------------------------------------- profile of (c)

def profile_nok(nok_runner: NokAuditRunner, sites: list[Site], out_root: Path) -> dict:
    import pstats

    import profile_audit

    if out_root.exists():
        shutil.rmtree(out_root)
    out_root.mkdir(parents=True)
    stage_tot: dict[str, dict[str, float]] = {k: {"wall": 0.0, "cpu": 0.0, "calls": 0} for k in profile_audit.STAGES}
    proc_wall = proc_cpu = imports = imports_cpu = 0.0
    prof_files = []
    per_site = []
    for s in sites:
        for mode in ("stages", "cprofile"):
            out = out_root / f"{s.name}-{mode}"
            js = out_root / f"{s.name}-{mode}.json"
            cmd = [PY, str(HERE / "profile_audit.py"), "--mode", mode, "--json", str(js)]
            if mode == "cprofile":
                cmd += ["--prof", str(out_root / f"{s.name}.prof")]
            cmd += ["--", *nok_runner.args(s, out)]
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(out_root / f"{s.name}-{mode}.log", "wb"),
                                 stdin=subprocess.DEVNULL, cwd=WORK, start_new_session=True)
            try:
                _pid, status, ru = os.wait4(p.pid, 0)
            except BaseException:
                os.killpg(p.pid, signal.SIGKILL)
                raise
            p.returncode = os.waitstatus_to_exitcode(status)
            wall = time.perf_counter() - t0
            if p.returncode != 0 or not js.exists():
                raise BenchError(f"profile run failed on {s.name} ({mode}, exit {p.returncode}); "
                                 f"see {out_root / (s.name + '-' + mode + '.log')}")
            r = json.loads(js.read_text(encoding="utf-8"))
            if mode == "stages":
                proc_wall += wall
                proc_cpu += ru.ru_utime + ru.ru_stime
                imports += r["t_imports"]
                imports_cpu += r["cpu_imports"]
                for k, v in r["stages"].items():
                    for m in ("wall", "cpu", "calls"):
                        stage_tot[k][m] += v[m]
                j = json.loads((out / "crawl" / "crawl.json").read_text(encoding="utf-8"))
                per_site.append({"site": s.name, "process_wall_s": round(wall, 3), "pages": j.get("pages"),
                                 "documents": j.get("documents"), "crawl_duration_s": j.get("duration_s")})
            else:
                prof_files.append(str(out_root / f"{s.name}.prof"))
    in_stages_wall = sum(v["wall"] for v in stage_tot.values())       # includes the lazy imports
    in_stages_cpu = sum(v["cpu"] for v in stage_tot.values())
    # outside main(): the imports (timed in the child) and the rest (interpreter start and exit, JSON dump)
    lazy = stage_tot.pop("imports")
    rows = [{"stage": "imports", "label": "imports (Scrapy, Twisted, nok-audit …; at start and lazily during the run)",
             "wall_s": imports + lazy["wall"], "cpu_s": imports_cpu + lazy["cpu"], "calls": int(lazy["calls"])},
            {"stage": "interpreter", "label": "interpreter start + exit (finalisation)",
             "wall_s": proc_wall - in_stages_wall - imports, "cpu_s": proc_cpu - in_stages_cpu - imports_cpu,
             "calls": len(sites)}]
    for k, label in profile_audit.STAGES.items():
        if k == "imports":
            continue
        v = stage_tot[k]
        rows.append({"stage": k, "label": label, "wall_s": v["wall"], "cpu_s": v["cpu"], "calls": int(v["calls"])})
    for r in rows:
        r["share_wall"] = round(r["wall_s"] / proc_wall, 4) if proc_wall else 0
        r["share_cpu"] = round(r["cpu_s"] / proc_cpu, 4) if proc_cpu else 0
        r["wall_s"] = round(r["wall_s"], 4)
        r["cpu_s"] = round(r["cpu_s"], 4)
    groups = {"Python start, imports, exit": ("imports", "interpreter", "cli"),
              "crawl (Scrapy engine, parse, documents, storage)": ("engine", "html_parse", "documents", "storage"),
              "evaluation (checklist, morphology, rules)": ("checklist", "morphology", "rules", "patterns"),
              "reports": ("reports",)}
    per_site_groups = {g: round(sum(r["wall_s"] for r in rows if r["stage"] in keys) / len(sites), 3)
                       for g, keys in groups.items()}
    per_site_groups_cpu = {g: round(sum(r["cpu_s"] for r in rows if r["stage"] in keys) / len(sites), 3)
                           for g, keys in groups.items()}
    cp = profile_audit.cprofile_summary(pstats.Stats(*prof_files)) if prof_files else {}
    imports_by_pkg = import_breakdown(nok_runner, sites[0], out_root)
    return {"sites": [s.name for s in sites], "per_site": per_site, "process_wall_s": round(proc_wall, 3),
            "process_cpu_s": round(proc_cpu, 3), "pages": sum(x["pages"] or 0 for x in per_site),
            "stages": rows, "per_site_groups": per_site_groups,
            "per_site_groups_cpu": per_site_groups_cpu, "cprofile": cp, "imports_by_package": imports_by_pkg}


def import_breakdown(nok_runner: NokAuditRunner, site: Site, out_root: Path) -> dict:
    """One more in-process run of (c) with `python -X importtime`: import time by top-level package
    (the self times of all its modules, at start and lazily during the run)."""
    log = out_root / f"{site.name}-importtime.log"
    cmd = [PY, "-X", "importtime", str(HERE / "profile_audit.py"), "--mode", "stages",
           "--json", str(out_root / f"{site.name}-importtime.json"), "--", *nok_runner.args(site, out_root / f"{site.name}-importtime")]
    with open(log, "wb") as f:
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=f, stdin=subprocess.DEVNULL, cwd=WORK,
                           start_new_session=True)
    if r.returncode != 0:
        return {}
    by_pkg: dict[str, int] = {}
    modules = 0
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        try:
            self_us = int(parts[0])
        except ValueError:
            continue                                 # the header line
        name = parts[2].strip()
        top = name.split(".")[0]
        by_pkg[top] = by_pkg.get(top, 0) + self_us
        modules += 1
    total = sum(by_pkg.values())
    top = sorted(by_pkg.items(), key=lambda kv: -kv[1])
    return {"site": site.name, "modules": modules, "total_ms": round(total / 1000, 1),
            "packages": [{"package": k, "ms": round(v / 1000, 1)} for k, v in top[:20]]}


# --------------------------------------------------------------------------------------------- environment

def machine_info(nginx: str, wget: str) -> dict:
    info = {"nproc": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["ram_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        info["loadavg_at_start"] = os.getloadavg()
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    try:
        from importlib.metadata import version
        for pkg in ("scrapy", "twisted", "lxml", "nok-audit"):
            try:
                versions[pkg] = version(pkg)
            except Exception:
                versions[pkg] = "?"
    except ImportError:
        pass
    for name, cmd in (("nginx", [nginx, "-v"]), ("wget", [wget, "--version"])):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            text = (r.stdout + r.stderr).strip().splitlines()[0]
            versions[name] = text
        except (OSError, subprocess.SubprocessError, IndexError):
            versions[name] = "?"
    git = {}
    try:
        git["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                       text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, timeout=10).stdout.split("\n")
        git["modified_files"] = [l[3:] for l in dirty if l.strip()]
    except (OSError, subprocess.SubprocessError):
        pass
    return {"machine": info, "versions": versions, "git": git}


# --------------------------------------------------------------------------------------------- report

def fmt(x, nd=1) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.{nd}f}".replace(",", " ")
    return str(x)


def render_md(res: dict) -> str:
    p = res["params"]
    c = res["corpus"]
    m = res["env"]["machine"]
    v = res["env"]["versions"]
    L = [f"# nok-audit benchmark — {res['date']}", "",
         f"Command: `{res['command']}`  ", f"Run at {res['started_at']}, total time {res['total_s']:.0f} s.", "",
         "## Corpus and machine", "",
         f"- corpus: {p['sites']} sites × {p['pages']} pages, seed {p['seed']} (generator v{c['params']['generator_version']}): "
         f"{c['total_pages']} HTML pages ({c['html_bytes'] / 1e6:.1f} MB, mean {c['html_bytes'] / max(1, c['total_pages']) / 1024:.0f} KB), "
         f"{c['total_documents']} documents (PDF/DOCX, {c['doc_bytes'] / 1e6:.1f} MB); "
         f"{len(c['windows_1251_sites'])} sites in windows-1251",
         f"- served by nginx (1 worker) on 127.0.1.1–{res['sites'][-1]['ip']}:{res['port']}, same machine",
         f"- parallelism: {p['jobs']} sites at a time (a, b, c1, d: one process per site; b2: all sites in one process; "
         f"c: `nok-audit run --jobs {p['jobs']}` in its default mode); Scrapy concurrency "
         f"{p['concurrency']} per site (CONCURRENT_REQUESTS 16)",
         f"- machine: {m.get('nproc')} CPUs ({m.get('cpu_model', '?')}), {m.get('ram_gib', '?')} GiB RAM; {m.get('platform')}",
         f"- versions: Python {v.get('python')}, Scrapy {v.get('scrapy')}, Twisted {v.get('twisted')}, lxml {v.get('lxml')}, "
         f"nok-audit {v.get('nok-audit')}; {v.get('nginx')}; {v.get('wget')}",
         f"- git: {res['env']['git'].get('commit', '?')}"
         + (f" with uncommitted changes in {', '.join(res['env']['git']['modified_files'])}" if res['env']['git'].get('modified_files') else ""),
         "", "## Throughput", "",
         "| runner | sites | pages | docs | wall s | pages/s | s/site (process) | CPU s | CPU ms/page | peak RSS MB | peak PSS all MB | nginx CPU s | others' CPU s |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in res["runners"]:
        if r["status"] != "ok":
            L.append(f"| ({r['key']}) {r['title']} | {r['status_note']} | | | | | | | | | | | |")
            continue
        L.append(f"| ({r['key']}) {r['title']} | {r.get('n_sites', len(r['sites']))} | {r['pages']} | {r['documents']} | {fmt(r['wall_s'], 2)} | "
                 f"{fmt(r['pages_per_s'])} | {fmt(r['s_per_site_process'], 2)} | {fmt(r['cpu_s'], 1)} | "
                 f"{fmt(r['cpu_ms_per_page'], 2)} | {fmt(r['peak_rss_mb'], 0)} | {fmt(r.get('peak_tree_pss_mb'), 0)} | "
                 f"{fmt(r['server_cpu_s'], 2)} | "
                 f"{fmt(r.get('other_cpu_s'), 1)} |")
    L.append("")
    L += ratio_lines(res["ratios"])
    for r in res["runners"]:
        if r.get("command"):
            L.append(f"- ({r['key']}) `{r['command']}`")
    reps = [f"({r['key']}) " + ", ".join(f"{w:.2f}" for w in r["repeats_wall_s"]) for r in res["runners"]
            if r.get("repeats_wall_s")]
    if reps:
        L.append("- wall s of every run: " + "; ".join(reps))
    warns = [(r["key"], w) for r in res["runners"] for w in r.get("warnings", [])]
    for key, w in warns:
        L.append(f"- WARNING ({key}): {w}")
    imports = res["env"].get("imports_crawler_from") or {}
    if imports:
        L.append("- `crawler` imported from: " + "; ".join(f"{k}: `{v}`" for k, v in imports.items()))
    L += ["", "pages = HTML pages fetched (documents are fetched too by every runner and counted apart; nok-audit's from "
          "its store, results.pages); pages/s = pages / wall time of the whole batch; s/site = mean wall time of one "
          "site's process (start to exit; — for the one-process runners b2 and c); CPU = user+sys of the runner's "
          "processes and all their descendants (os.wait4: a process's figure includes the children it reaped; this "
          "script is a child subreaper, so orphans are reaped and counted too), not counting nginx; peak RSS = largest "
          "VmHWM of one process (sampled every 10 ms, 100 ms for b2 and c; wget's processes are often too short to be "
          "sampled); peak PSS all = the largest sum of proportional set sizes of all the runner's running processes and "
          "their descendants, Chromium included (sampled every 100 ms); others' CPU = CPU time used during the run by "
          "processes that are neither the runner's, nginx nor this script (another job on the machine disturbs the "
          "timings)."
          + (f" Each runner ran {res['params']['repeat']} times, interleaved; the run with the median wall time is shown "
             "(all wall times in the JSON)." if res['params']['repeat'] > 1 else ""), ""]
    split = next((r.get("per_site_split") for r in res["runners"] if r["key"] == "b"), None)
    if split:
        L.append(f"(b) per site (mean): {split['interpreter_start_s']:.2f} s interpreter start, {split['imports_setup_s']:.2f} s "
                 f"imports and crawler set-up until the spider opens, {split['crawl_s']:.2f} s crawling, "
                 f"{split['stop_exit_s']:.2f} s from the spider's close to the process's exit.")
    for r in res["runners"]:
        if r["key"].startswith("c") and r.get("finding_statuses"):
            L.append(f"({r['key']}) findings over all its sites: " + ", ".join(f"{k} {v}" for k, v in sorted(r["finding_statuses"].items())))
    prof = res.get("profile")
    if prof:
        L += ["", "## Where `nok-audit check` (c1) spends its time", "",
              f"`nok-audit check` run in-process (bench/profile_audit.py, crawler.cli.main with the same arguments) on "
              f"{', '.join(prof['sites'])}: {prof['pages']} pages, {prof['process_wall_s']:.2f} s wall, "
              f"{prof['process_cpu_s']:.2f} s CPU in total (one site at a time; other processes on the machine used "
              f"{prof.get('other_cpu_s', 0):.1f} CPU s meanwhile). Time is attributed to the innermost stage (exclusive): "
              "morphology called from rule evaluation counts as morphology; the engine row is what remains of "
              "run_crawl.", "",
              "| stage | wall s | share | CPU s | share | calls |", "|---|---:|---:|---:|---:|---:|"]
        for r in prof["stages"]:
            L.append(f"| {r['label']} | {r['wall_s']:.3f} | {100 * r['share_wall']:.1f} % | {r['cpu_s']:.3f} | "
                     f"{100 * r['share_cpu']:.1f} % | {r['calls']} |")
        L.append("")
        n = len(prof["sites"])
        L.append("Per site (mean wall / CPU): " + "; ".join(
            f"{g} {v:.2f} / {prof['per_site_groups_cpu'][g]:.2f} s" for g, v in prof["per_site_groups"].items())
            + f"; total {prof['process_wall_s'] / n:.2f} / {prof['process_cpu_s'] / n:.2f} s.")
        imp = prof.get("imports_by_package") or {}
        if imp:
            L += ["", f"### Import time by package (`python -X importtime`, one run on {imp['site']}: {imp['modules']} modules, "
                  f"{imp['total_ms']:.0f} ms)", "", "| ms | package |", "|---:|---|"]
            for row in imp["packages"][:15]:
                L.append(f"| {row['ms']:.0f} | `{row['package']}` |")
        cp = prof.get("cprofile") or {}
        if cp:
            L += ["", f"### Top functions by own time (cProfile, same sites; total {cp['total_tt']:.2f} s with profiler overhead)", "",
                  "| own s | cum s | calls | function |", "|---:|---:|---:|---|"]
            for row in cp["by_tottime"][:20]:
                L.append(f"| {row['tottime']:.3f} | {row['cumtime']:.3f} | {row['ncalls']} | `{row['function']}` |")
            L += ["", "### Top functions by cumulative time", "", "| cum s | own s | calls | function |", "|---:|---:|---:|---|"]
            for row in cp["by_cumtime"][:25]:
                L.append(f"| {row['cumtime']:.3f} | {row['tottime']:.3f} | {row['ncalls']} | `{row['function']}` |")
            L += ["", "### Own time by package / file", "", "| own s | share | where |", "|---:|---:|---|"]
            for row in cp["areas"][:20]:
                L.append(f"| {row['tottime']:.3f} | {100 * row['share']:.1f} % | `{row['area']}` |")
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------------------------- main

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="nok-audit benchmark: nok-audit (default `run` over the corpus, one "
                                             "`check`) vs wget vs bare Scrapy (per site and all sites in one process) "
                                             "on a synthetic corpus served by nginx on loopback (issues #7, #15)")
    ap.add_argument("--sites", type=int, default=20, help="number of sites (default 20; the issue's nominal size is 100)")
    ap.add_argument("--pages", type=int, default=50, help="HTML pages per site (default 50)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--jobs", type=int, default=2, help="sites crawled at once: processes at a time for a, b, c1; --jobs of b2 and of `nok-audit run` (c) (default 2)")
    ap.add_argument("--concurrency", type=int, default=8, help="parallel requests per site for b, b2, c, c1, d (default 8)")
    ap.add_argument("--port", type=int, default=0, help="port for every site (default: a free one)")
    ap.add_argument("--runners", default="a,b,b2,c,c1,d",
                    help="which runners, of a, b, b2, c, c1, d (e.g. 'b,b2,c' or 'bc'; default all; "
                         "d runs only when nok-audit has its browser stage)")
    ap.add_argument("--before", metavar="PATH", default=None,
                    help="the nok-audit executable of another checkout (e.g. ../other-checkout/.venv/bin/nok-audit): "
                         "adds (c-before) and (c1-before), run with it and interleaved with the others")
    ap.add_argument("--browser-sites", type=int, default=4, help="sites for runner (d), run once (default 4)")
    ap.add_argument("--profile-sites", type=int, default=3, help="sites profiled per stage with `nok-audit check` (bench/profile_audit.py; default 3, 0 = skip)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="run every runner this many times (interleaved a b c a b c …), keep the median by wall time (default 3)")
    ap.add_argument("--timeout", type=float, default=600, help="time limit of a runner process per site, s (b2 and c, one process for all sites: this × sites / --jobs; "
                         "c also gets it as --site-time-limit) (default 600)")
    ap.add_argument("--regen", action="store_true", help="regenerate the corpus even if it matches")
    ap.add_argument("--no-write", action="store_true", help="print only, do not write bench/results/")
    a = ap.parse_args(argv)
    if a.sites < 1 or a.pages < 1 or a.jobs < 1 or a.concurrency < 1 or a.repeat < 1:
        ap.error("--sites, --pages, --jobs, --concurrency and --repeat must be positive")
    if a.sites > 250 * 200:
        ap.error("--sites: at most 50000")
    keys = re.findall(r"b2|c1|[abcd]", a.runners)
    if not keys or re.sub(r"b2|c1|[abcd]|,|\s", "", a.runners):
        ap.error("--runners: a list of a, b, b2, c, c1, d (e.g. a,b,b2,c,c1)")
    a.runners = sorted(set(keys), key=RUNNER_ORDER.index)
    if a.before and not os.access(a.before, os.X_OK):
        ap.error(f"--before: {a.before} is not an executable file")
    if a.before:                       # its runners work in its own checkout's folder
        a.before = str(Path(a.before).absolute())
    return a


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def write_results(stem: str, md: str, json_text: str) -> None:
    """bench/results/<stem>.md and .json."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.md").write_text(md, encoding="utf-8")
    (RESULTS / f"{stem}.json").write_text(json_text, encoding="utf-8")
    print(f"written: {(RESULTS / (stem + '.md')).relative_to(REPO)} and .json", file=sys.stderr)


def bench_start(script: str, argv, tools: tuple[str, ...] = ("nok-audit",)) -> tuple[str, str] | None:
    """The common start of bench/batch.py and bench/nodes.py: servers are stopped on SIGTERM/SIGHUP (and SIGINT
    when it is ignored), nginx and the venv's `tools` must be there, a busy machine is warned about.
    (the command line as run, nginx's path), or None after saying why the benchmark cannot run."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, _terminate)
    command = " ".join([script, *(sys.argv[1:] if argv is None else argv)])
    nginx = find_tool("nginx", ("/usr/sbin/nginx", "/usr/local/sbin/nginx"))
    if not nginx:
        print("error: nginx not found (./setup.sh installs it)", file=sys.stderr)
        return None
    missing = [t for t in tools if not os.access(Path(PY).parent / t, os.X_OK)]
    if missing:
        print(f"error: {', '.join(missing)} not installed in this Python's venv; run ./setup.sh", file=sys.stderr)
        return None
    load1 = os.getloadavg()[0]
    if load1 > 0.5:
        print(f"warning: load average {load1:.2f} — other processes are running; the timings will be noisy",
              file=sys.stderr)
    return command, nginx


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM/SIGHUP like Ctrl-C: unwind, so that nginx and the runner processes are stopped.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:        # started in the background by a shell
        signal.signal(signal.SIGINT, _terminate)
    command = " ".join(["bench/run.py", *(sys.argv[1:] if argv is None else argv)])
    nginx = find_tool("nginx", ("/usr/sbin/nginx", "/usr/local/sbin/nginx"))
    wget = find_tool("wget", ("/usr/bin/wget",))
    missing = [n for n, p in (("nginx", nginx), ("wget", wget)) if not p]
    if missing:
        print(f"error: {' and '.join(missing)} not found. ./setup.sh installs nginx and wget "
              f"(apt-get install {' '.join(missing)}).", file=sys.stderr)
        return 2
    nok = str(Path(PY).parent / "nok-audit")
    if not os.access(nok, os.X_OK):
        nok = shutil.which("nok-audit") or ""
    if not nok:
        print("error: nok-audit is not installed in this Python's venv; run ./setup.sh, then "
              ".venv/bin/python bench/run.py", file=sys.stderr)
        return 2
    load1 = os.getloadavg()[0]
    if load1 > 0.5:
        print(f"warning: load average {load1:.2f} — other processes are running; the timings will be noisy "
              "(each run reports the CPU others used during it)", file=sys.stderr)
    t_start = time.perf_counter()
    started_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    WORK.mkdir(parents=True, exist_ok=True)

    print(f"corpus: {args.sites} sites × {args.pages} pages, seed {args.seed} …", file=sys.stderr)
    t = time.perf_counter()
    manifest = gen_corpus.make_corpus(WORK / "corpus", args.sites, args.pages, args.seed, force=args.regen)
    print(f"  {'reused' if manifest.get('reused') else 'generated'}: {manifest['total_pages']} pages, "
          f"{manifest['total_documents']} documents, {manifest['html_bytes'] / 1e6:.1f} MB "
          f"({time.perf_counter() - t:.1f} s)", file=sys.stderr)

    port = args.port or free_port(site_ip(0))
    sites = [Site(name=s["name"], ip=site_ip(i), port=port, encoding=s["encoding"], pages=s["pages"],
                  documents=s["documents"]) for i, s in enumerate(manifest["sites"])]
    env = machine_info(nginx, wget)
    nok_options = nok_check_options(nok)
    max_pages = args.pages + 50
    all_runners: list[Runner] = [WgetRunner(wget), BareScrapyRunner(args.concurrency),
                                 BareScrapyBatchRunner(args.concurrency, args.jobs),
                                 NokRunRunner(nok, args.concurrency, args.jobs, max_pages, args.timeout),
                                 NokAuditRunner(nok, args.concurrency, max_pages, nok_options),
                                 BrowserRunner(nok, args.concurrency, max_pages, nok_options)]
    modules = {"this tree": nok_module_path(nok)}
    if args.before:
        all_runners += [NokRunRunner(args.before, args.concurrency, args.jobs, max_pages, args.timeout,
                                     key="c-before", label="--before"),
                        NokAuditRunner(args.before, args.concurrency, max_pages, nok_check_options(args.before),
                                       key="c1-before", label="--before")]
        modules["--before"] = nok_module_path(args.before)
        print(f"--before {args.before}: imports crawler from {modules['--before']}", file=sys.stderr)
    all_runners.sort(key=lambda r: RUNNER_ORDER.index(r.key))
    chosen_keys = set(args.runners) | {f"{k}-before" for k in args.runners if args.before and k in ("c", "c1")}
    runners = [r for r in all_runners if r.key in chosen_keys]
    browser = next(r for r in all_runners if r.key == "d")
    if "d" not in args.runners and not browser.unavailable():
        print("(d) nok-audit's browser stage is available: add d to --runners to measure it "
              f"(on {args.browser_sites} sites, once)", file=sys.stderr)
    if not become_subreaper():
        print("warning: could not become a child subreaper: orphaned processes of a runner would not be counted",
              file=sys.stderr)
    results: dict[str, list[dict]] = {r.key: [] for r in runners}
    profile = None
    server = Nginx(nginx, WORK / "corpus", sites, WORK / "nginx")
    try:
        with server:
            print(f"nginx: {len(sites)} sites on {sites[0].ip}…{sites[-1].ip} port {port}", file=sys.stderr)
            keep = {server.proc.pid}
            for rep in range(args.repeat):
                for r in runners:
                    why = r.unavailable()
                    if why:
                        if rep == 0:
                            print(f"({r.key}) {r.title}: {why}", file=sys.stderr)
                        continue
                    run_sites = sites
                    if r.key == "d":                 # slow: a subset, once
                        if rep > 0:
                            continue
                        run_sites = sites[:args.browser_sites]
                    elif r.key.startswith("c1"):     # the figure for one check of one site
                        run_sites = sites[:1]
                    print(f"({r.key}) {r.title}: {len(run_sites)} sites, "
                          + ("one process" if r.whole else f"{min(args.jobs, len(run_sites))} process(es) at a time")
                          + (f" (run {rep + 1}/{args.repeat})" if args.repeat > 1 and r.key != "d" else "") + " …",
                          file=sys.stderr)
                    cpu0, sys0, own0 = server.cpu_seconds(), system_busy_cpu(), own_cpu()
                    out_root = WORK / "runs" / r.key
                    batch = (WholeBatch(r, run_sites, out_root, args.timeout * max(1.0, len(run_sites) / args.jobs), r.cwd, keep) if r.whole
                             else Batch(r, run_sites, args.jobs, out_root, args.timeout, r.cwd))
                    wall, runs = batch.run()
                    if not r.whole:                   # orphans of per-site processes (Chromium helpers)
                        stray_cpu, _left = reap_strays(keep, kill=True)
                        if runs and stray_cpu:
                            runs[0].cpu_s += stray_cpu
                    server_cpu = server.cpu_seconds() - cpu0
                    foreign = (system_busy_cpu() - sys0) - (own_cpu() - own0) - server_cpu - sum(x.cpu_s for x in runs)
                    s = summarize(r, wall, runs, server_cpu, run_sites, max(0.0, foreign))
                    s["peak_tree_pss_mb"] = round(batch.peak_tree_pss_kb / 1024, 1)
                    cmd = (r.command_all(run_sites, out_root) if r.whole else r.command(run_sites[0], Path("<tmp>")))
                    s["command"] = (re.sub(r"http://\S+( http://\S+)*", "<URL>…" if r.whole else "<URL>", " ".join(cmd))
                                    .replace(str(out_root), "<tmp>").replace(str(REPO) + "/", ""))
                    results[r.key].append(s)
                    print(f"    {s['pages']} pages + {s['documents']} docs in {wall:.2f} s: {s['pages_per_s']:.1f} pages/s, "
                          f"{s['cpu_ms_per_page']} ms CPU/page, peak RSS {s['peak_rss_mb']:.0f} MB, "
                          f"peak PSS of all processes {s['peak_tree_pss_mb']:.0f} MB"
                          + (f", at most {s['max_processes']} processes, {runs[0].extra['stray_cpu_s']} CPU s of "
                             "orphans reaped here" if r.whole else ""), file=sys.stderr)
                    for w in s["warnings"]:
                        print(f"    WARNING: {w}", file=sys.stderr)
            check_runner = next(r for r in all_runners if r.key == "c1")
            if args.profile_sites > 0:
                chosen = pick_profile_sites(sites, args.profile_sites)
                print(f"profile of `nok-audit check` on {', '.join(s.name for s in chosen)} …", file=sys.stderr)
                sys0, own0 = system_busy_cpu(), own_cpu()
                cpu0 = server.cpu_seconds()
                profile = profile_nok(check_runner, chosen, WORK / "profile")
                profile["other_cpu_s"] = round(max(0.0, system_busy_cpu() - sys0 - (own_cpu() - own0)
                                                   - (server.cpu_seconds() - cpu0) - profile["process_cpu_s"]), 2)
    except KeyboardInterrupt:
        print("\ninterrupted: nginx and every runner process stopped", file=sys.stderr)
        return 130
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        server.stop()

    runner_rows = []
    for r in all_runners:
        why = r.unavailable()
        if r.key == "d" and not why and r.key not in args.runners:
            why = f"not run: add d to --runners (e.g. --runners a,b,b2,c,c1,d) to measure it on {args.browser_sites} sites"
        elif r.key not in chosen_keys:
            continue
        if why:
            runner_rows.append({"key": r.key, "title": r.title, "what": r.what, "status": "not_implemented",
                                "status_note": why})
            continue
        runs = sorted(results[r.key], key=lambda s: s["wall_s"])
        best = runs[len(runs) // 2]               # median by wall time
        if len(runs) > 1:
            best["repeats_wall_s"] = [x["wall_s"] for x in results[r.key]]
        runner_rows.append(best)
    by = {r["key"]: r for r in runner_rows if r["status"] == "ok"}
    ratios = target_ratios(by)
    date = dt.date.today().isoformat()
    res = {"date": date, "started_at": started_at, "command": command, "total_s": time.perf_counter() - t_start,
           "params": vars(args), "port": port,
           "corpus": {k: v for k, v in manifest.items() if k != "sites"},
           "sites": [asdict(s) for s in sites], "env": {**env, "imports_crawler_from": modules},
           "runners": runner_rows, "ratios": ratios, "profile": profile}
    md = render_md(res)
    print(md)
    if not args.no_write:
        write_results(date, md, json.dumps(res, ensure_ascii=False, indent=1, default=str))
    return 0


def target_ratios(by: dict[str, dict]) -> list[dict]:
    """nok-audit (c, c-before) against each bare-Scrapy baseline (b: one process per site, b2: all sites in one
    process): the ratio of pages/s (target ≥ TARGET_RATIO) and of CPU per page (target ≤ TARGET_CPU_RATIO);
    and (c) against (c-before), (c1) against (c1-before)."""
    rows = []
    for c in ("c", "c-before"):
        for b in ("b", "b2"):
            if c not in by or b not in by or not by[b]["pages_per_s"] or not by[b]["cpu_ms_per_page"]:
                continue
            speed = by[c]["pages_per_s"] / by[b]["pages_per_s"]
            cpu = (by[c]["cpu_ms_per_page"] or 0) / by[b]["cpu_ms_per_page"]
            rows.append({"what": f"({c}) / ({b})", "pages_per_s_ratio": round(speed, 3),
                         "pages_per_s_target": f"≥ {TARGET_RATIO}", "pages_per_s_met": speed >= TARGET_RATIO,
                         "cpu_per_page_ratio": round(cpu, 3), "cpu_per_page_target": f"≤ {TARGET_CPU_RATIO}",
                         "cpu_per_page_met": cpu <= TARGET_CPU_RATIO})
    for new, old in (("c", "c-before"), ("c1", "c1-before")):
        if new in by and old in by and by[old]["pages_per_s"] and by[old]["cpu_ms_per_page"]:
            rows.append({"what": f"({new}) / ({old})",
                         "pages_per_s_ratio": round(by[new]["pages_per_s"] / by[old]["pages_per_s"], 3),
                         "cpu_per_page_ratio": round((by[new]["cpu_ms_per_page"] or 0) / by[old]["cpu_ms_per_page"], 3)})
    if "a" in by and by["a"]["pages_per_s"]:
        for k in ("b", "b2", "c"):
            if k in by:
                rows.append({"what": f"({k}) / (a)", "pages_per_s_ratio": round(by[k]["pages_per_s"] / by["a"]["pages_per_s"], 3)})
    return rows


def ratio_lines(ratios: list[dict]) -> list[str]:
    out = []
    for r in ratios:
        parts = [f"pages/s **{r['pages_per_s_ratio']:.{2 if r['pages_per_s_ratio'] >= 0.1 else 3}f}×**"]
        if "pages_per_s_met" in r:
            parts[0] += f" (target {r['pages_per_s_target']}: {'met' if r['pages_per_s_met'] else 'NOT met'})"
        if "cpu_per_page_ratio" in r:
            parts.append(f"CPU/page **{r['cpu_per_page_ratio']:.2f}×**"
                         + (f" (target {r['cpu_per_page_target']}: {'met' if r['cpu_per_page_met'] else 'NOT met'})"
                            if "cpu_per_page_met" in r else ""))
        out.append(f"- {r['what']}: " + ", ".join(parts))
    return out


def pick_profile_sites(sites: list[Site], k: int) -> list[Site]:
    """Deterministic: the first UTF-8 sites, and one windows-1251 site when k >= 2."""
    utf8 = [s for s in sites if s.encoding == "utf-8"]
    cp = [s for s in sites if s.encoding != "utf-8"]
    chosen = utf8[:max(0, k - 1)] + cp[:1] if k >= 2 and cp else utf8[:k]
    return (chosen + [s for s in sites if s not in chosen])[:k]


if __name__ == "__main__":
    sys.exit(main())
