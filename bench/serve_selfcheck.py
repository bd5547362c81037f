"""`nok-audit serve` end to end: time from «Проверить» to the finished report for the demo site, and the
web server's memory while N self-checks run at once.

    .venv/bin/python bench/serve_selfcheck.py [--parallel 4] [--check-options="--quiet"] [RESULT.json]

The demo site is served on 127.0.0.78, the server on 127.0.0.77 (--allow-private, --max-parallel N) with the
default check options (browser stage on, PDF). One audit alone is timed first; then N at once, sampling
the server process's RSS (its own, and with its check subprocesses) every 0.5 s. Never leaves loopback.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from tempfile import mkdtemp

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))
from crawler.demo import serve_demo_site  # noqa: E402


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout.split()
    children: dict[int, list[int]] = {}
    for child, parent in zip(out[::2], out[1::2]):
        children.setdefault(int(parent), []).append(int(child))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("result", nargs="?")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--check-options", default="--quiet")
    args = parser.parse_args()
    demo, demo_url = serve_demo_site("127.0.0.78")
    out = Path(mkdtemp(prefix="nok-serve-bench-"))
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--host", "127.0.0.77", "--port", "0",
                               "--out", str(out), "--allow-private", "--max-parallel", str(args.parallel),
                               f"--check-options={args.check_options}"], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    base = re.search(r"(http://\S+?)/\s", server.stdout.readline()).group(1)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def start() -> str:
        home = opener.open(base + "/").read().decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', home).group(1)
        data = urllib.parse.urlencode({"address": demo_url, "sector": "social", "csrf": csrf}).encode()
        with opener.open(base + "/check", data=data) as resp:
            return resp.url

    def done(job_url: str) -> bool:
        return 'id="report-link"' in opener.open(job_url).read().decode()

    try:
        clicked = time.monotonic()
        job = start()
        while not done(job):
            time.sleep(0.2)
        single = time.monotonic() - clicked

        clicked = time.monotonic()
        jobs = [start() for _ in range(args.parallel)]
        samples = []
        while not all(done(j) for j in jobs):
            family = descendants(server.pid)
            samples.append((rss_mb(server.pid), rss_mb(server.pid) + sum(rss_mb(p) for p in family)))
            time.sleep(0.5)
        parallel = time.monotonic() - clicked
    finally:
        server.terminate()
        server.wait()
        demo.shutdown()
    result = {"check_options": args.check_options, "single_audit_s": round(single, 1),
              "parallel": args.parallel, "parallel_all_done_s": round(parallel, 1),
              "server_rss_mb_peak": round(max(s[0] for s in samples), 1),
              "server_and_checks_rss_mb_peak": round(max(s[1] for s in samples), 1)}
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.result:
        Path(args.result).write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
