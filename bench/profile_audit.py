"""Per-stage profile of one `nok-audit check` run, in-process (used by bench/run.py).

    .venv/bin/python bench/profile_audit.py --mode stages   --json OUT.json -- URL --out DIR [nok-audit options]
    .venv/bin/python bench/profile_audit.py --mode cprofile --json OUT.json -- URL --out DIR [nok-audit options]

Runs exactly what `nok-audit check URL ...` runs (crawler.cli.main.main), once per process (Scrapy's
reactor cannot be restarted).

--mode stages wraps the entry points of each stage with a timer and attributes wall and CPU time
*exclusively* to the innermost stage running (time in morphology called from rule evaluation counts
as morphology, not as rules; time inside run_crawl outside every inner stage is the Scrapy engine,
the downloader, the middlewares and the spider's own link following). The wrappers cost about a
microsecond per call; the hot entry points are called a few thousand times per site.

--mode cprofile runs the same under cProfile (which slows pure-Python code more than C code, so its
shares are skewed; use it for the top functions, the stage mode for the shares).

A target of TARGETS not found in this tree (renamed or moved by a later change) is skipped with a warning
and listed as missing_targets in the JSON: its time then falls to the enclosing stage. The in-process
worker of `nok-audit run` (crawler/runs/in_process.py) is not profiled here: it claims its sites from a
run in a store that `run` creates first; bench/flame.py samples it with py-spy (--subprocesses).
"""
from __future__ import annotations

import time

T0 = time.perf_counter()
T0_CPU = time.process_time()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import functools  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

# stage key -> human label (order = report order)
STAGES = {
    "imports": "imports done lazily during the run (Scrapy loads its components by name)",
    "engine": "fetch + Scrapy engine (downloader, middlewares, scheduler, spider link following)",
    "html_parse": "HTML parse + snapshot extraction (crawler/extract.py)",
    "documents": "document text extraction (crawler/documents.py)",
    "storage": "storage (crawler/crawlstore.py: write snapshots + bodies; checklists/model/crawl.py: load the crawl)",
    "checklist": "checklist load + compile (checklists/loading.py, compile.py: YAML, phrase automaton)",
    "morphology": "morphology / stemming (checklists/morphology.py)",
    "rules": "rule evaluation (checklists/engine.py, checklists/checks/, crawl_view.py)",
    "patterns": "  of which phone/e-mail/address/regex patterns (checklists/checks/patterns.py PatternCheck)",
    "reports": "report build + render (reports/report_content.py, render.py: JSON, schema validation, HTML)",
    "cli": "CLI and the rest of main()",
}

# (module, qualified name, stage)
TARGETS = [
    ("crawler.cli.main", "main", "cli"),
    ("crawler.audit", "run_crawl", "engine"),
    ("crawler.extract", "extract", "html_parse"),
    ("crawler.documents", "extract_text", "documents"),
    ("crawler.crawlstore", "CrawlWriter.__init__", "storage"),
    ("crawler.crawlstore", "CrawlWriter.save_body", "storage"),
    ("crawler.crawlstore", "CrawlWriter.add_page", "storage"),
    ("crawler.crawlstore", "CrawlWriter.add_document", "storage"),
    ("crawler.crawlstore", "CrawlWriter.close", "storage"),
    ("checklists.model.crawl", "StoredCrawl.load", "storage"),
    ("crawler.crawlstore", "page_html", "storage"),
    ("checklists.loading", "load_checklist", "checklist"),
    ("checklists.compile", "compiled_for", "checklist"),
    ("checklists.engine", "evaluate", "rules"),
    ("checklists.morphology", "stems_of", "morphology"),
    ("checklists.morphology", "snippet", "morphology"),
    ("checklists.morphology", "PhraseMatcher.add", "morphology"),
    ("checklists.morphology", "PhraseMatcher.build", "morphology"),
    ("checklists.morphology", "PhraseMatcher.scan", "morphology"),
    ("checklists.morphology", "PhraseMatcher.snippet", "morphology"),
    ("checklists.checks.patterns", "PatternCheck._find", "patterns"),
    ("reports.report_content", "build_report", "reports"),
    ("reports.render", "write_reports", "reports"),
    ("reports.render", "terminal_summary", "reports"),
]


def import_all() -> None:
    """The modules whose functions get timers (imported here, not at module level, so that bench/run.py
    can import this file for cprofile_summary without importing Scrapy)."""
    global crawler
    import importlib

    # Also modules without targets that the run imports anyway: loaded before the timers, not counted in them.
    extra = ("crawler.pipelines", "crawler.site_spider", "checklists.crawl_view", "checklists.units")
    for name in sorted({m for m, _q, _s in TARGETS} | set(extra)):
        try:
            importlib.import_module(name)
        except ImportError:
            pass                        # renamed by a later change: its targets are reported missing
    import crawler.cli.main  # noqa: F401


class StageTimer:
    def __init__(self):
        self.wall = defaultdict(float)
        self.cpu = defaultdict(float)
        self.calls = defaultdict(int)
        self.stack: list[list] = []          # [stage, wall_start, cpu_start]

    def enter(self, stage: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.stack:
            top = self.stack[-1]
            self.wall[top[0]] += now - top[1]
            self.cpu[top[0]] += cpu - top[2]
        self.stack.append([stage, now, cpu])
        self.calls[stage] += 1

    def exit(self) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        stage, w, c = self.stack.pop()
        self.wall[stage] += now - w
        self.cpu[stage] += cpu - c
        if self.stack:
            self.stack[-1][1] = now
            self.stack[-1][2] = cpu


TIMER = StageTimer()
MISSING: list[str] = []      # TARGETS not found in this tree


def _wrap(fn, stage):
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*a, **k):
            it = fn(*a, **k)
            while True:
                TIMER.enter(stage)
                try:
                    value = next(it)
                except StopIteration as stop:
                    return stop.value
                finally:
                    TIMER.exit()
                yield value
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*a, **k):
        TIMER.enter(stage)
        try:
            return fn(*a, **k)
        finally:
            TIMER.exit()
    return wrapper


def install_timers() -> None:
    import builtins
    import importlib

    # Imports: the statement (builtins.__import__) and importlib.import_module, also where it was
    # imported by name (scrapy.utils.misc: `from importlib import import_module`).
    builtins.__import__ = _wrap(builtins.__import__, "imports")
    orig_im = importlib.import_module
    wrapped_im = _wrap(orig_im, "imports")
    for m in list(sys.modules.values()):
        try:
            if getattr(m, "import_module", None) is orig_im:
                setattr(m, "import_module", wrapped_im)
        except Exception:
            pass
    ours = [m for name, m in list(sys.modules.items())
            if m is not None and name.split(".")[0] in ("crawler", "checklists", "reports")]
    for modname, qual, stage in TARGETS:
        mod = sys.modules.get(modname)
        owner = getattr(mod, qual.split(".")[0], None) if mod else None
        if owner is None or ("." in qual and qual.split(".")[1] not in owner.__dict__):
            MISSING.append(f"{modname}.{qual}")      # renamed or moved: its time falls to the enclosing stage
            continue
        if "." in qual:
            cls_name, attr = qual.split(".")
            cls = getattr(mod, cls_name)
            orig = cls.__dict__[attr]
            if isinstance(orig, (classmethod, staticmethod)):     # wrap the function, keep the binding
                setattr(cls, attr, type(orig)(_wrap(orig.__func__, stage)))
            else:
                setattr(cls, attr, _wrap(orig, stage))
            continue
        orig = getattr(mod, qual)
        wrapped = _wrap(orig, stage)
        for m in ours:                       # also the names imported with `from x import f`
            for k, v in list(vars(m).items()):
                if v is orig:
                    setattr(m, k, wrapped)


def _label(key) -> str:
    file, line, func = key
    if file == "~":
        return func
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    else:
        if file.startswith(REPO):
            file = file[len(REPO) + 1:]
    return f"{file}:{line}({func})"


def _area(file: str, func: str) -> str:
    if file == "~":
        return "built-in: " + func.replace("<built-in method ", "").replace("<method ", "").rstrip(">").split(" of ")[0]
    if file.startswith(REPO) and "/.venv/" not in file:
        return file[len(REPO) + 1:]
    if "/site-packages/" in file:
        return file.split("/site-packages/", 1)[1].split("/", 1)[0]
    if "/lib/python3" in file:
        rest = file.split("/lib/python3", 1)[1].split("/", 2)
        return "stdlib: " + (rest[1].split(".")[0] if len(rest) > 1 else file)
    return file


def cprofile_summary(st: pstats.Stats, top: int = 25) -> dict:
    rows = []
    areas = defaultdict(float)
    for key, (cc, nc, tt, ct, _callers) in st.stats.items():
        rows.append({"function": _label(key), "ncalls": nc, "tottime": round(tt, 4), "cumtime": round(ct, 4)})
        areas[_area(key[0], key[2])] += tt
    total = st.total_tt
    return {
        "total_tt": round(total, 4),
        "by_tottime": sorted(rows, key=lambda r: -r["tottime"])[:top],
        "by_cumtime": sorted(rows, key=lambda r: -r["cumtime"])[:top],
        "areas": [{"area": a, "tottime": round(t, 4), "share": round(t / total, 4) if total else 0}
                  for a, t in sorted(areas.items(), key=lambda kv: -kv[1])[:top]],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("stages", "cprofile"), default="stages",
                    help="stages: exclusive wall/CPU per stage (default); cprofile: top functions")
    ap.add_argument("--json", required=True, help="where to write the result")
    ap.add_argument("--prof", default=None, help="(cprofile) also dump the raw profile here")
    ap.add_argument("args", nargs=argparse.REMAINDER, help="-- and the arguments of `nok-audit check`")
    a = ap.parse_args()
    argv = ["check"] + [x for x in a.args if x != "--"]
    import_all()
    result = {"mode": a.mode, "argv": argv, "t_imports": time.perf_counter() - T0, "cpu_imports": time.process_time() - T0_CPU}
    if a.mode == "stages":
        install_timers()
        t = time.perf_counter()
        code = crawler.cli.main.main(argv)
        result["t_main"] = time.perf_counter() - t
        result["stages"] = {k: {"wall": round(TIMER.wall.get(k, 0.0), 5), "cpu": round(TIMER.cpu.get(k, 0.0), 5),
                                "calls": TIMER.calls.get(k, 0)} for k in STAGES}
        result["stage_labels"] = STAGES
        result["missing_targets"] = MISSING
        if MISSING:
            print(f"warning: not timed (not found in this tree): {', '.join(MISSING)}", file=sys.stderr)
    else:
        prof = cProfile.Profile()
        t = time.perf_counter()
        prof.enable()
        code = crawler.cli.main.main(argv)
        prof.disable()
        result["t_main"] = time.perf_counter() - t
        result["cprofile"] = cprofile_summary(pstats.Stats(prof))
        if a.prof:
            prof.dump_stats(a.prof)
    result["exit_code"] = code
    result["t_total_in_process"] = time.perf_counter() - T0
    result["cpu_total_in_process"] = time.process_time() - T0_CPU
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    return code


if __name__ == "__main__":
    sys.exit(main())
