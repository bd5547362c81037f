"""Flame graph of the default `nok-audit run` over the benchmark corpus, recorded with py-spy (issue #15).

    .venv/bin/python bench/flame.py --label after [--sites 20] [--pages 50] [--seed 1] [--jobs 2]
    .venv/bin/python bench/flame.py --label before --nok ../other-checkout/.venv/bin/nok-audit

1. generates (or reuses) bench/run.py's corpus (bench/gen_corpus.py, bench/work/corpus/) and serves it with
   nginx on loopback (bench/run.py's Nginx: always stopped at the end);
2. runs, under `py-spy record --native --subprocesses --rate R --format flamegraph`, exactly bench/run.py's
   runner (c): `NOK run REGISTRY --out <tmp> --jobs J --delay 0 --concurrency 8 --no-browser --render never
   --allow-private`, no mode flag, so whatever `run` does by default; --subprocesses follows the worker or
   `check` processes the runner starts. --nok is the nok-audit executable to profile (default this venv's;
   another checkout's runs as its own venv's console script, from its own folder);
3. writes bench/results/<YYYY-MM-DD>-flame-<label>.svg (or .speedscope.json with --format speedscope) and
   says how big it is: keep committed files below ~3 MB (fewer --sites or a lower --rate make it smaller).

py-spy is the pinned dev tool of requirements.lock (`py-spy==0.4.3`, installed by ./setup.sh). It samples
other processes through ptrace: as root in a container it needs CAP_SYS_PTRACE (it has it when it starts
the profiled command itself, as here). With --native py-spy 0.4.3 crashed here once in four runs (SIGSEGV
while unwinding a process that was exiting): the run it started is then killed with it and this script
fails; run it again, or use --no-native. Sampling costs the profiled processes a little time: the flame
graph shows where the time goes, bench/run.py how much there is.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_corpus  # noqa: E402
from run import (PY, REPO, RESULTS, WORK, BenchError, Nginx, NokRunRunner, Site, bench_start,  # noqa: E402
                 checkout_cwd, free_port, nok_module_path, runner_env, site_ip)

MAX_BYTES = 3_000_000


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="py-spy flame graph of the default `nok-audit run` over the benchmark "
                                             "corpus (issue #15)")
    ap.add_argument("--label", required=True, help="name in bench/results/<date>-flame-LABEL.svg (e.g. before, after)")
    ap.add_argument("--nok", default=str(Path(PY).parent / "nok-audit"),
                    help="the nok-audit executable to profile (default: this venv's)")
    ap.add_argument("--sites", type=int, default=20, help="number of sites (default 20)")
    ap.add_argument("--pages", type=int, default=50, help="HTML pages per site (default 50)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--jobs", type=int, default=2, help="nok-audit run --jobs (default 2)")
    ap.add_argument("--concurrency", type=int, default=8, help="requests per site (default 8)")
    ap.add_argument("--rate", type=int, default=100, help="py-spy samples per second (default 100)")
    ap.add_argument("--format", choices=("flamegraph", "speedscope"), default="flamegraph",
                    help="flamegraph (an SVG, default) or speedscope (JSON for https://www.speedscope.app, opened locally)")
    ap.add_argument("--no-native", action="store_true",
                    help="without py-spy's --native (C frames of lxml, zlib …): for when py-spy crashes unwinding them")
    ap.add_argument("--timeout", type=float, default=600, help="time limit per site, s (default 600)")
    ap.add_argument("--out", default=None, help="output file (default bench/results/<date>-flame-LABEL.svg)")
    a = ap.parse_args(argv)
    if a.sites < 1 or a.pages < 1 or a.jobs < 1 or a.concurrency < 1 or a.rate < 1:
        ap.error("--sites, --pages, --jobs, --concurrency and --rate must be positive")
    if not a.label.replace("-", "").replace("_", "").isalnum():
        ap.error("--label: letters, digits, - and _")
    if not os.access(a.nok, os.X_OK):
        ap.error(f"--nok: {a.nok} is not an executable file")
    a.nok = str(Path(a.nok).absolute())          # it runs in its own checkout's folder
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    started = bench_start("bench/flame.py", argv, tools=("py-spy",))
    if started is None:
        return 2
    _command, nginx = started
    pyspy = str(Path(PY).parent / "py-spy")
    ext = "svg" if args.format == "flamegraph" else "speedscope.json"
    target = Path(args.out) if args.out else RESULTS / f"{dt.date.today().isoformat()}-flame-{args.label}.{ext}"
    target.parent.mkdir(parents=True, exist_ok=True)
    manifest = gen_corpus.make_corpus(WORK / "corpus", args.sites, args.pages, args.seed)
    port = free_port(site_ip(0))
    sites = [Site(name=s["name"], ip=site_ip(i), port=port, encoding=s["encoding"], pages=s["pages"],
                  documents=s["documents"]) for i, s in enumerate(manifest["sites"])]
    runner = NokRunRunner(args.nok, args.concurrency, args.jobs, args.pages + 50, args.timeout)
    out_root = WORK / "flame" / args.label
    if out_root.exists():
        import shutil
        shutil.rmtree(out_root)
    out_root.mkdir(parents=True)
    print(f"{args.nok}: imports crawler from {nok_module_path(args.nok)}", file=sys.stderr)
    cmd = [pyspy, "record", *([] if args.no_native else ["--native"]), "--subprocesses", "--rate", str(args.rate),
           "--format", args.format, "-o", str(target), "--", *runner.command_all(sites, out_root)]
    try:
        with Nginx(nginx, WORK / "corpus", sites, WORK / "nginx"):
            print(f"nginx: {len(sites)} sites; recording: {' '.join(cmd)}", file=sys.stderr)
            t0 = time.perf_counter()
            with open(out_root.parent / f"{args.label}.log", "wb") as log:
                # Own session: if py-spy dies, the run it started is killed with it, before nginx stops.
                p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=checkout_cwd(args.nok), env=runner_env(), start_new_session=True)
            try:
                returncode = p.wait(timeout=args.timeout * max(1.0, len(sites) / args.jobs))
            finally:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            wall = time.perf_counter() - t0
    except KeyboardInterrupt:
        print("\ninterrupted: nginx and the recording stopped", file=sys.stderr)
        return 130
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    log_tail = "\n".join((out_root.parent / f"{args.label}.log").read_text(errors="replace").splitlines()[-8:])
    if returncode != 0 or not target.exists():
        print(f"error: py-spy or nok-audit run exited with {returncode}:\n{log_tail}", file=sys.stderr)
        return 1
    pages, docs, _extra = runner.count_all(sites, out_root)
    size = target.stat().st_size
    shown = target.relative_to(REPO) if target.is_relative_to(REPO) else target
    print(f"{shown}: {size / 1e6:.2f} MB; {len(sites)} sites, {pages} pages + {docs} documents in {wall:.1f} s "
          f"under py-spy at {args.rate} Hz", file=sys.stderr)
    if size > MAX_BYTES:
        print(f"warning: larger than {MAX_BYTES / 1e6:.0f} MB: record fewer --sites, a lower --rate, or "
              "--format speedscope before committing it", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
