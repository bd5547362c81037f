"""nok-audit and the open peer sveden-checker side by side on our education test sites (a benchmark, not a test).

    SVEDEN_CHECKER_DIR=/path/to/sveden-checker .venv/bin/python bench/peer_sveden.py [--out bench/results]

The peer (github.com/ftfour/sveden-checker: TypeScript, Fastify + cheerio) is a local web app, not a package:
its source is never copied into this repository. The script takes a checkout from $SVEDEN_CHECKER_DIR and,
without one (or without Node), prints how to get it and exits 0. Otherwise it installs and builds the peer's
server once with the pnpm its package.json names (`npx pnpm@…`, from the npm registry; better-sqlite3 is
compiled from source against Debian's Node headers so nothing is downloaded from GitHub or nodejs.org),
starts it on 127.0.0.239, serves tests/sites_edu/* on loopback (tests/sitesrv.py), and on each site runs
`POST /api/check` of the peer and `nok-audit check --sector education --no-browser --delay 0` (the peer has
no browser either). Per site and subsection it compares both with the site's `_expected.json` (published and
markup), explains every disagreement in one line, and writes bench/results/<date>-peer-sveden.md with wall
time and CPU seconds of each tool. Never leaves loopback (except the registries while installing).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from tempfile import mkdtemp

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from checklists.loading import load_checklist  # noqa: E402
from sitesrv import start_all  # noqa: E402

SITES_EDU = ROOT / "tests" / "sites_edu"
PEER_HOST = "127.0.0.239"
SITES_FIRST_OCTET = 240
HOW_TO_GET = ("Сравнение с sveden-checker пропущено: {why}.\n"
              "Получите исходники (это не пакет реестра): git clone https://github.com/ftfour/sveden-checker "
              "/tmp/sveden-checker\nи запустите: SVEDEN_CHECKER_DIR=/tmp/sveden-checker "
              ".venv/bin/python bench/peer_sveden.py (нужен Node.js ≥ 18 и доступ к реестру npm).")
# Peer section id -> our item (the МР v9 subsections; the peer's ids are the /sveden/<slug>/ slugs).
SECTIONS = {"common": "sv_common", "struct": "sv_struct", "document": "sv_document", "education": "sv_education",
            "eduStandarts": "sv_edu_standards", "managers": "sv_managers", "employees": "sv_employees",
            "objects": "sv_objects", "grants": "sv_grants", "paid_edu": "sv_paid_edu", "budget": "sv_budget",
            "vacant": "sv_vacant", "inter": "sv_inter", "catering": "sv_catering"}
OPTIONAL_NOT_FOUND = "Условный itemprop"     # the peer's message for a non-required itemprop not found
# Children of the МР v9 table (/work/shared/reference/education.md, «Structure») that our settings.sveden does
# not list: with those lists, the names of the МР. A name outside both is the peer's own, not the МР's.
MR_CHILDREN = set("""eduCode eduName eduProf eduLevel eduForm learningTerm eduPred eduPrac opMain educationPlan
    educationRpd educationShedule eduPr methodology perechenNir resultNir baseNir nameFil fioFil postFil addressFil
    emailFil websiteFil nameRep fioRep postRep addressRep emailRep websiteRep fio post telephone email
    teachingDiscipline teachingLevel degree academStat qualification profDevelopment specExperience teachingOp
    addressCab nameCab osnCab ovzCab addressPrac namePrac osnPrac ovzPrac objName objAddress objOvz eduCourse
    numberBFVacant numberBRVacant numberBMVacant numberPVacant stateName orgName dogReg finYear finPost finRas
    meals health""".split())


def peer_commit(peer: Path) -> str:
    """The peer's commit: git's, else $SVEDEN_CHECKER_COMMIT (an exported tree has no .git)."""
    done = subprocess.run(["git", "-C", str(peer), "rev-parse", "HEAD"], capture_output=True, text=True)
    if done.returncode == 0:
        return done.stdout.strip()
    return os.environ.get("SVEDEN_CHECKER_COMMIT", "неизвестен (не git-checkout, SVEDEN_CHECKER_COMMIT не задан)")


def build_peer(peer: Path) -> tuple[list[str], float]:
    """Install and build the peer's server (once: skipped when its dist exists). Returns the log lines
    and the seconds it took."""
    if (peer / "apps/server/dist/index.js").is_file():
        return ["сборка уже есть (apps/server/dist), не пересобиралась"], 0.0
    pnpm = "pnpm@" + json.loads((peer / "package.json").read_text())["packageManager"].split("@", 1)[1]
    env = {**os.environ, "npm_config_build_from_source": "true"}
    if Path("/usr/include/node/common.gypi").is_file():
        env["npm_config_nodedir"] = "/usr"
    started = time.monotonic()
    for args in (["install", "--frozen-lockfile"], ["--filter", "@sveden-checker/server...", "build"]):
        done = subprocess.run(["npx", "--yes", pnpm, *args], cwd=peer, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"npx {pnpm} {' '.join(args)}: код {done.returncode}\n{done.stderr[-2000:]}")
    return [f"npx {pnpm} install --frozen-lockfile; npx {pnpm} --filter @sveden-checker/server... build"], \
        time.monotonic() - started


def free_port(host: str) -> int:
    import socket
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_peer(peer: Path, db: Path) -> tuple[subprocess.Popen, str]:
    port = free_port(PEER_HOST)
    env = {**os.environ, "HOST": PEER_HOST, "PORT": str(port), "SVEDEN_CHECKER_DB": str(db)}
    proc = subprocess.Popen(["node", "apps/server/dist/index.js"], cwd=peer, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://{PEER_HOST}:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/api/health", timeout=1).read()
            return proc, base
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                raise RuntimeError("сервер sveden-checker не запустился: " + proc.stderr.read().decode()[-2000:])
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("сервер sveden-checker не ответил на /api/health за 20 с")


def run_peer(base: str, pid: int, site_url: str) -> tuple[dict, float, float]:
    body = json.dumps({"url": site_url}).encode()
    request = urllib.request.Request(base + "/api/check", body, {"content-type": "application/json"})
    cpu, started = cpu_seconds(pid), time.monotonic()
    with urllib.request.urlopen(request, timeout=120) as answer:
        report = json.loads(answer.read())
    return report, time.monotonic() - started, cpu_seconds(pid) - cpu


def run_ours(site_url: str, out: Path) -> tuple[dict, float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "check", site_url, "--sector", "education",
                           "--out", str(out), "--delay", "0", "--timeout", "5", "--quiet", "--no-browser"],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):
        raise RuntimeError(f"nok-audit check {site_url}: код {done.returncode}\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads((out / "report.json").read_text(encoding="utf-8")), wall, cpu


def peer_verdict(section: dict) -> dict:
    """The peer's section as (published, markup, missing required itemprops, note): published = its page
    opened; markup from its per-itemprop statuses (none: no itemprop found; complete: every required one
    found and filled)."""
    if section["status"] != "checked":
        return {"published": False, "markup": "none", "missing": [], "note": section.get("message") or ""}
    items = section["items"]
    if not items:
        return {"published": True, "markup": None, "missing": [], "note": "правил разметки для подраздела нет"}
    marked = [i for i in items if i["status"] in ("found", "empty", "partial")
              and not i["message"].startswith(OPTIONAL_NOT_FOUND)]
    missing = [i["itemprop"] for i in items if i["status"] in ("missing", "error")]
    weak = [i["itemprop"] for i in marked if i["status"] != "found"]
    level = "none" if not marked else "partial" if missing or weak else "complete"
    return {"published": True, "markup": level, "missing": missing, "weak": weak, "note": section.get("message") or ""}


def our_verdict(item: dict) -> dict:
    mk = item.get("markup") or {}
    return {"status": item["status"], "markup": mk.get("level"), "missing": mk.get("missing", []),
            "evidence": mk.get("evidence", ""), "reason": item.get("reason", "")}


PUBLISHED = {"present": True, "absent": False, "not_applicable": False, "unknown": None}


def agrees_published(expected: str, published) -> bool:
    return PUBLISHED[expected] == published


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1] if url else ""


def names(found: list[str], limit: int = 5) -> str:
    return ", ".join(found[:limit]) + (f" и ещё {len(found) - limit}" if len(found) > limit else "")


def peer_reason(exp: dict, peer: dict, section: dict, ours: dict, ours_lists: dict) -> str:
    """One line: why the peer's verdict differs from the expectation. Its missing itemprops are split into
    names the МР v9 do not have (the peer's own), names nok-audit counts optional in this subsection, and МР
    children inside a parent that nok-audit's settings.sveden do not list for it."""
    if PUBLISHED[exp["status"]] and not peer["published"]:
        where = path_of(ours["evidence"])
        layout = ("Госвеб-адреса" if where.startswith("/svedeniya") else
                  "раскладка № 831 (руководство на /sveden/employees/)" if section["id"] == "managers" else "")
        return (f"смотрит только {path_of(section['url'])} ({peer['note'] or 'не открылась'}), подраздел — на "
                f"{where or 'другом адресе'}" + (f": {layout} ему неизвестны" if layout else ""))
    if not PUBLISHED[exp["status"]] and peer["published"]:
        return f"страница {path_of(section['url'])} открылась — подраздел сочтён размещённым"
    if peer["markup"] is None:
        return "для этого подраздела у него нет правил разметки"
    own = [n for n in peer["missing"] if n not in ours_lists["mr"]]
    optional = [n for n in peer["missing"] if n in ours_lists["optional"]]
    children = [n for n in peer["missing"] if n in ours_lists["mr"] and n not in ours_lists["all"]]
    parts = []
    if own:
        parts.append(f"требует имён, которых нет в МР v9: {names(own)}")
    if optional:
        parts.append(f"требует то, что nok-audit считает необязательным: {names(optional)}")
    if children:
        parts.append("требует itemprop МР, которых нет на сайте и в списке nok-audit для подраздела: "
                     + names(children))
    if peer.get("weak"):
        parts.append(f"пустые или неполные значения: {names(peer['weak'], 3)}")
    return "; ".join(parts) or f"разметка «{peer['markup']}» вместо «{exp.get('markup')}»"


def our_reason(exp: dict, ours: dict) -> str:
    if ours["status"] != exp["status"]:
        return f"статус «{ours['status']}»: {ours['reason'][:160]}"
    return f"разметка «{ours['markup']}», не хватает: {', '.join(ours['missing']) or '—'}"


def compare_site(name: str, expected: dict, ours_report: dict, peer_report: dict, ours_lists: dict) -> list[dict]:
    ours_items = {it["id"]: it for it in ours_report["items"]}
    rows = []
    for section in peer_report["sections"]:
        item = SECTIONS[section["id"]]
        exp = expected[item]
        ours, peer = our_verdict(ours_items[item]), peer_verdict(section)
        ours_ok = ours["status"] == exp["status"] and ours["markup"] == exp.get("markup")
        peer_ok = agrees_published(exp["status"], peer["published"]) and (
            not PUBLISHED[exp["status"]] or peer["markup"] == exp.get("markup"))
        peer_why = "" if peer_ok else peer_reason(exp, peer, section, ours, ours_lists[item])
        if peer_ok and exp.get("markup") == "partial" and set(peer["missing"]) != set(exp.get("missing", [])):
            peer_why = ("уровень совпал, но не нехватка: ожидается нет " + ", ".join(exp.get("missing", []))
                        + "; у него — " + peer_reason(exp, peer, section, ours, ours_lists[item]))
        rows.append({"site": name, "item": item, "section": section["id"], "expected": exp, "ours": ours,
                     "peer": peer, "ours_ok": ours_ok, "peer_ok": peer_ok,
                     "ours_why": "" if ours_ok else our_reason(exp, ours),
                     "peer_why": peer_why})
    return rows


CAUSES = (("подраздел не по адресу /sveden/<slug>/ (Госвеб, раскладка № 831) — страница «не открылась»",
           "смотрит только"),
          ("требует имён itemprop, которых нет в МР v9", "нет в МР v9"),
          ("требует itemprop, которые nok-audit считает необязательными", "считает необязательным"),
          ("требует itemprop МР, которых нет на тестовом сайте и в списке nok-audit для подраздела",
           "itemprop МР, которых нет"),
          ("пустые или неполные значения", "пустые или неполные"))
STATUS_RU = {"present": "размещено", "absent": "не найдено", "not_applicable": "не требуется",
             "unknown": "не удалось проверить"}
MARKUP_RU = {"complete": "полная", "partial": "частичная", "none": "нет", None: "—"}


def write_markdown(path: Path, meta: dict, sites: list[dict], rows: list[dict]) -> None:
    n = len(rows)
    ours_ok, peer_ok = sum(r["ours_ok"] for r in rows), sum(r["peer_ok"] for r in rows)
    lines = [f"# nok-audit и sveden-checker на учебных сайтах ({meta['date']})", "",
             f"- sveden-checker: коммит `{meta['commit']}` ({meta['peer_dir_note']}); сборка: {meta['build']}",
             f"- nok-audit: `check --sector education --no-browser --delay 0 --timeout 5` (как и у sveden-checker, "
             "без браузера)",
             f"- Машина: {os.cpu_count()} ядра, всё на loopback (сайты: tests/sites_edu, tests/sitesrv.py; "
             f"sveden-checker на {PEER_HOST}); Node {meta['node']}",
             "- Ожидание — `_expected.json` каждого сайта: размещено ли и какая микроразметка по МР v9. "
             "Пункт совпадает, если совпали и размещение, и уровень разметки (для неразмещённого — только "
             "размещение).", "",
             "## Итог", "",
             "| | совпало с ожиданием | из |", "|---|---:|---:|",
             f"| nok-audit | {ours_ok} | {n} |", f"| sveden-checker | {peer_ok} | {n} |", "",
             "Расхождения sveden-checker с ожиданием по причинам (в одной строке бывает несколько):", ""]
    for label, phrase in CAUSES:
        lines.append(f"- {label}: {sum(phrase in r['peer_why'] for r in rows if not r['peer_ok'])}")
    lines += ["",
             "## Время на сайт", "",
             "| сайт | nok-audit: с | nok-audit: CPU с | страниц | sveden-checker: с | sveden-checker: CPU с |",
             "|---|---:|---:|---:|---:|---:|"]
    for s in sites:
        lines.append(f"| {s['name']} | {s['ours_wall']:.2f} | {s['ours_cpu']:.2f} | {s['ours_pages']} | "
                     f"{s['peer_wall']:.2f} | {s['peer_cpu']:.2f} |")
    tw = lambda k: sum(s[k] for s in sites)  # noqa: E731
    lines += [f"| всего | {tw('ours_wall'):.2f} | {tw('ours_cpu'):.2f} | {tw('ours_pages')} | "
              f"{tw('peer_wall'):.2f} | {tw('peer_cpu'):.2f} |", "",
              "nok-audit обходит весь сайт (страницы и документы, robots.txt, весь чек-лист с каналами и баллами; "
              "CPU — "
              "процесс `check` целиком, с запуском Python); sveden-checker запрашивает 15 фиксированных адресов "
              "/sveden/…/ и страницы addRef (CPU — прирост процессорного времени его уже запущенного сервера).", "",
              "## По подразделам", "",
              "Ожидание / nok-audit / sveden-checker: размещено · микроразметка. ✓ — совпало с ожиданием.", "",
              "| сайт | подраздел | ожидание | nok-audit | sveden-checker | почему расходится |",
              "|---|---|---|---|---|---|"]
    for r in rows:
        exp, ours, peer = r["expected"], r["ours"], r["peer"]
        e = f"{STATUS_RU[exp['status']]} · {MARKUP_RU[exp.get('markup')]}"
        o = f"{STATUS_RU[ours['status']]} · {MARKUP_RU[ours['markup']]} {'✓' if r['ours_ok'] else '✗'}"
        p = (f"{'размещено' if peer['published'] else 'не открылась'} · {MARKUP_RU[peer['markup']]} "
             f"{'✓' if r['peer_ok'] else '✗'}")
        why = "; ".join(x for x in (f"nok-audit: {r['ours_why']}" if r["ours_why"] else "",
                                    f"sveden-checker: {r['peer_why']}" if r["peer_why"] else "") if x) or "—"
        lines.append(f"| {r['site']} | {r['item']} (/{r['section']}/) | {e} | {o} | {p} | {why.replace('|', '/')} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_skipped(path: Path, why: str) -> None:
    path.write_text(f"# nok-audit и sveden-checker ({date.today()})\n\nСравнение не выполнено: {why}\n",
                    encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    raw = os.environ.get("SVEDEN_CHECKER_DIR", "")
    peer = Path(raw) if raw else None
    if peer is None or not (peer / "apps/server/src/checker.ts").is_file():
        print(HOW_TO_GET.format(why="SVEDEN_CHECKER_DIR не задан" if peer is None
                                else f"в {peer} нет исходников sveden-checker (apps/server/src/checker.ts)"))
        return 0
    if shutil.which("node") is None or shutil.which("npx") is None:
        print(HOW_TO_GET.format(why="не найдены node и npx"))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    result = args.out / f"{date.today()}-peer-sveden.md"
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    try:
        build_log, build_s = build_peer(peer)
    except RuntimeError as e:
        write_skipped(result, f"sveden-checker не собрался без сети, кроме реестра npm: {e}")
        print(f"sveden-checker не собрался: {e}\nПричина записана в {result}")
        return 0
    sveden = load_checklist("education").settings["sveden"]
    # Per item: the itemprops nok-audit's settings.sveden list for its subsection (required and optional).
    ours_lists = {sub["item"]: {"optional": set(sub.get("optional") or []),
                                "all": set(sub.get("optional") or []) | set(sub.get("required") or [])}
                  for sub in sveden["subsections"].values()}
    known = MR_CHILDREN | {n for sub in [*sveden["subsections"].values(), *sveden["documents"].values()]
                           for key in ("required", "optional") for n in sub.get(key) or []}
    for lists in ours_lists.values():
        lists["mr"] = known
    work = Path(mkdtemp(prefix="peer-sveden-"))
    servers = start_all(SITES_EDU, first_octet_start=SITES_FIRST_OCTET)
    proc = None
    try:
        proc, base = start_peer(peer, work / "peer.sqlite")
        rows, sites = [], []
        for name, server in sorted(servers.items()):
            expected_file = SITES_EDU / name / "_expected.json"
            if not expected_file.is_file():
                continue
            expected = json.loads(expected_file.read_text(encoding="utf-8"))["items"]
            site_url = server.base_url + "/"
            peer_report, peer_wall, peer_cpu = run_peer(base, proc.pid, site_url)
            ours_report, ours_wall, ours_cpu = run_ours(site_url, work / name)
            sites.append({"name": name, "ours_wall": ours_wall, "ours_cpu": ours_cpu, "peer_wall": peer_wall,
                          "peer_cpu": peer_cpu, "ours_pages": ours_report["crawl"]["pages"]})
            rows += compare_site(name, expected, ours_report, peer_report, ours_lists)
            print(f"{name}: nok-audit {ours_wall:.2f} с, sveden-checker {peer_wall:.2f} с")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        for server in servers.values():
            server.stop()
    meta = {"date": date.today().isoformat(), "commit": peer_commit(peer), "node": node,
            "peer_dir_note": "исходники из $SVEDEN_CHECKER_DIR, в репозиторий не копируются",
            "build": f"{build_log[0]} ({build_s:.0f} с)" if build_s else build_log[0]}
    write_markdown(result, meta, sites, rows)
    print(f"Записано: {result}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
