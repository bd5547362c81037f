"""The `nok-audit` command.

    nok-audit check URL [--out DIR]      crawl a site, evaluate the checklist, write report.json/.html
    nok-audit evaluate DIR               re-evaluate a stored crawl (another checklist), no fetching
    nok-audit demo                       audit the demo site shipped with nok-audit (served on loopback)
    nok-audit report DIR [DIR ...] --out SUMMARY_DIR
                                         summary over many audit folders: summary.html/.csv/.xlsx
    nok-audit verify DIR                 check an audit folder against its manifest.json (evidence pack)
    nok-audit run REGISTRY [--db URL]    audit every organisation of a registry (CSV/XLSX) into the store
                                         (SQLite by default, or PostgreSQL), then write the batch summary;
                                         --resume continues an interrupted run
    nok-audit rescore RUN                re-evaluate a stored run with another checklist/methodology
    nok-audit runs | prune --keep N      list the runs in the store | retention
    nok-audit report --run N --out DIR   a stored run's reports and summary, written again from the store
    nok-audit diff [OLD NEW]             what changed between two audits, run folders or stored runs
                                         (default: the last two runs in the store; regressions first)
    nok-audit schedule install|remove|list
                                         a monthly run as a cron entry or a systemd timer
    nok-audit run REGISTRY --db postgresql+psycopg://… --nodes http://w1:6800,…
                                         the same run, each site a job on a Scrapyd node
    nok-audit node-config DIR            a Scrapyd worker node's folder (scrapyd.conf, scrapy.cfg)
    nok-audit serve [--host H --port P]  the self-check web page (http://127.0.0.1:8765/); --print-unit

Besides report.json/.html an audit writes report.md (a Markdown summary), report.pdf (printed by Chromium
in the browser stage; --no-pdf skips it) and, last, manifest.json (size, SHA-256 and capture time of every
artefact).

Exit codes: 0 audit done (verify: folder intact); 1 internal error; 2 bad input; 3 site unreachable (reports
still written); 4 evidence pack does not match its manifest (verify: a file missing, changed or unlisted);
5 the site falls short of --fail-under / --require (reports still written).
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from checklists.sectors import UnsupportedSector, checklist_for, sector_of
from crawler import __version__
from crawler.audit import (CRAWL_SUBDIR, EXIT_BAD_INPUT, EXIT_BUG, EXIT_FALLS_SHORT, EXIT_OK, EXIT_TAMPERED,
                           EXIT_UNREACHABLE, BadInput, CrawlOptions, ReportOptions, evaluate_and_report,
                           load_previous_report, registry_name_of, run_crawl, self_check_failures)
from crawler.resolver import parse_resolve
from crawler.scope import InvalidURL, parse_start_url
from crawler.settings import CONTACT_URL, user_agent
from crawler.store import StoreError


def _add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--checklist", default=None, help="свой чек-лист YAML (по умолчанию встроенный social)")
    p.add_argument("--sector", default=None, metavar="SECTOR",
                   help="сфера организации: social (по умолчанию) или education — выбирает встроенный чек-лист "
                        "(свой --checklist важнее)")
    p.add_argument("--methodology", default=None, metavar="FILE",
                   help="своя методика расчёта баллов YAML (по умолчанию checklists/methodology.yaml)")
    p.add_argument("--operator-data", default=None, metavar="FILE",
                   help="данные оператора YAML: стенды, опросы, условия в помещениях, контрольные звонки")
    p.add_argument("--fail-under", type=float, default=None, metavar="N",
                   help="код выхода 5, если доля обязательной информации на сайте (1.1) ниже N %%")
    p.add_argument("--require", default="", metavar="ID,…",
                   help="код выхода 5, если какой-либо из этих пунктов не размещён или не работает")
    p.add_argument("--previous", default=None, metavar="FILE",
                   help="report.json прежней проверки этой организации: в отчёте появится раздел "
                        "«Изменения с прошлой проверки»")
    p.add_argument("--name", default="", metavar="NAME",
                   help="наименование организации по реестру: в отчёте вместо названия, найденного на сайте")


def _report_options(args) -> ReportOptions:
    checklist = args.checklist
    if checklist is None and args.sector:
        try:
            checklist = checklist_for(sector_of(args.sector))
        except UnsupportedSector as exc:
            raise BadInput(f"--sector: {exc}") from None
    return ReportOptions(checklist=checklist, methodology=args.methodology, operator_data=args.operator_data,
                         name=args.name.strip())


def _gate(args, report: dict, code: int) -> int:
    """An organisation's self-check: exit 5 when the site falls short of --fail-under / --require."""
    require = [r.strip() for r in args.require.split(",") if r.strip()]
    if code != EXIT_OK or (args.fail_under is None and not require):
        return code
    failures = self_check_failures(report, args.fail_under, require)
    for failure in failures:
        print(f"Не выполнено требование самопроверки: {failure}", file=sys.stderr)
    return EXIT_FALLS_SHORT if failures else code


def _add_crawl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-pages", type=int, default=300, help="не больше стольких страниц (по умолчанию 300)")
    p.add_argument("--max-depth", type=int, default=5, help="глубина ссылок от главной (по умолчанию 5)")
    p.add_argument("--max-documents", type=int, default=150, help="не больше стольких документов (по умолчанию 150)")
    p.add_argument("--extra-host", action="append", default=[], metavar="HOST",
                   help="ещё один адрес сайта той же организации (можно несколько раз)")
    p.add_argument("--allow-private", action="store_true",
                   help="разрешить переходы на внутренние адреса (127.x, 10.x, 192.168.x …)")
    p.add_argument("--ignore-robots", action="store_true",
                   help="не соблюдать robots.txt (только для проверки собственного сайта)")
    p.add_argument("--delay", type=float, default=0.5, help="пауза между запросами к сайту, с (по умолчанию 0.5)")
    p.add_argument("--concurrency", type=int, default=2, help="одновременных запросов к сайту (по умолчанию 2)")
    p.add_argument("--timeout", type=float, default=20.0, help="ожидание ответа на запрос, с (по умолчанию 20)")
    p.add_argument("--time-limit", type=float, default=900.0, help="предел времени обхода сайта, с (по умолчанию 900)")
    p.add_argument("--max-retry-after", type=float, default=120.0, metavar="S",
                   help="ответ 429/503 с Retry-After выжидается, если ждать не дольше S с и это укладывается в "
                        "--time-limit; иначе обход сайта останавливается (по умолчанию 120)")
    p.add_argument("--resolve", action="append", default=[], metavar="HOST:ADDR",
                   help="обращаться к HOST по адресу ADDR, минуя DNS (как curl --resolve)")
    p.add_argument("--contact", default="", help="контактный URL оператора для заголовка User-Agent")
    p.add_argument("--render", choices=("auto", "never", "always"), default="auto",
                   help="открывать страницы в браузере: auto — только если меню строится скриптом (по умолчанию)")
    p.add_argument("--chromium", default="", help="путь к Chromium (по умолчанию /usr/bin/chromium или $NOK_CHROMIUM)")
    _add_report_options(p)
    b = p.add_argument_group("контрольные проверки в браузере (каналы связи, версия для слабовидящих)")
    b.add_argument("--no-browser", action="store_true",
                   help="не запускать браузер: без контрольных проверок, проверки доступности и report.pdf")
    b.add_argument("--no-pdf", action="store_true", help="не создавать PDF-версию отчёта (report.pdf)")
    b.add_argument("--submit-forms", action="store_true",
                   help="действительно отправить форму обращения (только вместе с --submit-message)")
    b.add_argument("--submit-message", default="", help="текст обращения для --submit-forms")
    b.add_argument("--check-mx", action="store_true", help="проверить MX-записи доменов e-mail (запрос к DNS)")
    b.add_argument("--controls", default=None, metavar="FILE",
                   help="свои сценарии контрольных проверок (по умолчанию checklists/controls.yaml)")
    b.add_argument("--check-timeout", type=float, default=15.0, help="предел одной проверки, с (по умолчанию 15)")
    b.add_argument("--no-accessibility", action="store_true", help="без дополнительной проверки доступности (axe)")
    b.add_argument("--offline", action="store_true",
                   help="браузер не обращается к внешним адресам (проверка локальной копии сайта)")
    b.add_argument("--net-probe", default=None, metavar="URL",
                   help="общеизвестный сайт: если при проверке внешней ссылки он тоже не отвечает, у проверяющего "
                        "нет интернета и ссылка не считается нерабочей (по умолчанию https://www.gosuslugi.ru/)")
    p.add_argument("--quiet", action="store_true", help="без индикатора хода обхода")
    p.add_argument("--verbose", action="store_true", help="подробный журнал Scrapy")


# Options of `run` handed on unchanged to each site's `check`.
_PASS_THROUGH = ("max_pages", "max_depth", "delay", "concurrency", "timeout", "time_limit", "max_retry_after", "checklist",
                 "methodology", "operator_data", "render", "chromium", "contact", "net_probe")
_PASS_FLAGS = ("no_browser", "ignore_robots", "allow_private", "offline", "no_pdf", "no_accessibility")


def _add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, metavar="URL",
                   help="база: путь к файлу SQLite или postgresql+psycopg://пользователь@сервер:порт/база "
                        "(по умолчанию nok-audit.db в папке --out)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nok-audit", description="Проверка официальных сайтов организаций "
                                     "социальной сферы для независимой оценки качества (НОК).")
    parser.add_argument("--version", action="version", version=f"nok-audit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="проверить сайт и записать отчёты")
    check.add_argument("url", help="адрес сайта организации")
    check.add_argument("--out", default=None, help="папка для отчётов (по умолчанию nok-reports/<сайт>)")
    _add_crawl_options(check)

    ev = sub.add_parser("evaluate", help="заново оценить сохранённый обход (без загрузки сайта)")
    ev.add_argument("dir", help="папка проверки (в ней подпапка crawl/)")
    _add_report_options(ev)

    run = sub.add_parser("run", help="проверить все организации реестра (CSV/XLSX) с сохранением в базу; "
                         "прерванный прогон продолжается с --resume")
    run.add_argument("registry", nargs="?", default=None,
                     help="реестр: CSV (UTF-8 или windows-1251, «;» или «,») или XLSX")
    run.add_argument("--out", default="nok-reports", help="папка отчётов и базы по умолчанию (nok-reports)")
    _add_db_option(run)
    run.add_argument("--resume", nargs="?", const="last", default=None, metavar="RUN",
                     help="продолжить прерванный прогон (по умолчанию последний незавершённый): готовые сайты "
                          "не проверяются заново")
    run.add_argument("--jobs", type=int, default=2, help="сайтов одновременно (по умолчанию 2)")
    run.add_argument("--site-time-limit", type=float, default=1800.0,
                     help="предел времени на один сайт, с (по умолчанию 1800)")
    run.add_argument("--browsers", type=int, default=1, metavar="N",
                     help="браузеров Chromium одновременно на весь прогон (по умолчанию 1): сайты обходятся по "
                          "--jobs сразу, а проверки в браузере ждут свободного браузера; около 0,6 ГБ памяти на браузер")
    run.add_argument("--keep", type=int, default=None, metavar="N",
                     help="хранить только N последних завершённых прогонов (старые удаляются из базы и с диска)")
    run.add_argument("--sheet", default=None, help="лист XLSX с реестром (по умолчанию первый)")
    run.add_argument("--check-registry", action="store_true", help="только проверить реестр, сайты не загружать")
    run.add_argument("--in-process", action="store_true",
                     help="проверять --jobs сайтов одновременно в одном рабочем процессе (быстрее: Python и Scrapy "
                          "загружаются один раз, а не для каждого сайта)")
    run.add_argument("--processes", type=int, default=os.cpu_count() or 1, metavar="N",
                     help="с --in-process: рабочих процессов (по умолчанию — число ядер); сайтов одновременно — "
                          "--jobs в каждом")
    run.add_argument("--max-sites-per-process", type=int, default=100, metavar="N",
                     help="с --in-process: рабочий процесс заменяется новым после N сайтов (по умолчанию 100)")
    nodes = run.add_argument_group("распределённый прогон на узлах Scrapyd (база — PostgreSQL)")
    nodes.add_argument("--nodes", default=None, metavar="URL,…",
                       help="узлы Scrapyd, например http://w1:6800,http://user:pass@w2:6800")
    nodes.add_argument("--node-slots", type=int, default=2, help="заданий одновременно на узле (по умолчанию 2)")
    nodes.add_argument("--node-db", default=None, metavar="URL",
                       help="адрес базы, как его видят узлы (по умолчанию тот же, что --db)")
    nodes.add_argument("--node-dead-after", type=float, default=60.0, metavar="S",
                       help="узел, не отвечающий столько секунд, считается выбывшим (по умолчанию 60)")
    passed = run.add_argument_group("параметры проверки каждого сайта (как у nok-audit check, см. check --help)")
    for name in _PASS_THROUGH:
        passed.add_argument("--" + name.replace("_", "-"), default=None, metavar="…")
    for name in _PASS_FLAGS:
        passed.add_argument("--" + name.replace("_", "-"), action="store_true")

    rescore = sub.add_parser("rescore", help="пересчитать сохранённый прогон с другим чек-листом или методикой "
                             "(сайты не загружаются)")
    rescore.add_argument("run", help="номер прогона (см. nok-audit runs)")
    rescore.add_argument("--out", default="nok-reports", help="папка отчётов и базы по умолчанию (nok-reports)")
    _add_db_option(rescore)
    for name in ("checklist", "methodology", "operator_data"):
        rescore.add_argument("--" + name.replace("_", "-"), default=None)

    runs = sub.add_parser("runs", help="прогоны в базе: когда, сколько сайтов, что не завершено")
    runs.add_argument("--out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    _add_db_option(runs)

    prune = sub.add_parser("prune", help="удалить старые прогоны, оставив N последних")
    prune.add_argument("--keep", type=int, required=True, metavar="N")
    prune.add_argument("--out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    _add_db_option(prune)

    diff = sub.add_parser("diff", help="что изменилось между двумя проверками: папки проверок или прогонов, "
                          "или номера прогонов в базе (по умолчанию два последних)")
    diff.add_argument("old", nargs="?", default=None, help="прежняя проверка (папка или номер прогона)")
    diff.add_argument("new", nargs="?", default=None, help="новая проверка (папка или номер прогона)")
    diff.add_argument("--out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    _add_db_option(diff)

    demo = sub.add_parser("demo", help="проверить демонстрационный сайт, поставляемый с nok-audit")
    demo.add_argument("--out", default="nok-reports/demo", help="папка для отчётов (по умолчанию nok-reports/demo)")

    ver = sub.add_parser("verify", help="проверить целостность папки проверки по её manifest.json")
    ver.add_argument("dir", help="папка проверки (в ней manifest.json)")

    rep = sub.add_parser("report", help="сводка по нескольким проверкам: summary.html, summary.csv, summary.xlsx; "
                         "с --run — отчёты прогона из базы")
    rep.add_argument("dirs", nargs="*", metavar="DIR", help="папки проверок (в каждой report.json)")
    rep.add_argument("--out", default="nok-reports/summary",
                     help="папка для сводки (по умолчанию nok-reports/summary)")
    rep.add_argument("--run", default=None, metavar="N", help="прогон из базы: отчёты всех организаций и сводка")
    rep.add_argument("--store-out", default="nok-reports", help="папка базы по умолчанию (nok-reports)")
    _add_db_option(rep)

    from crawler.node import add_parser as add_node_parser
    from crawler.schedule import add_parser as add_schedule_parser
    from crawler.web.serve import add_parser as add_serve_parser
    add_schedule_parser(sub)
    add_node_parser(sub)
    add_serve_parser(sub)
    return parser


def _options(args) -> CrawlOptions:
    try:
        resolve = parse_resolve(args.resolve)
    except ValueError as exc:
        raise BadInput(f"--resolve {exc}: ожидается HOST:АДРЕС") from None
    for name in ("max_pages", "max_depth", "concurrency"):
        if getattr(args, name) < 1 and not (name == "max_depth" and getattr(args, name) == 0):
            raise BadInput(f"--{name.replace('_', '-')} должно быть положительным числом")
    if args.delay < 0 or args.timeout <= 0 or args.time_limit <= 0 or args.max_retry_after < 0:
        raise BadInput("--delay, --timeout, --time-limit и --max-retry-after должны быть положительными")
    return CrawlOptions(max_pages=args.max_pages, max_depth=args.max_depth, max_documents=args.max_documents,
                        extra_hosts=args.extra_host, allow_private=args.allow_private,
                        obey_robots=not args.ignore_robots, delay=args.delay, concurrency=args.concurrency,
                        timeout=args.timeout, time_limit=args.time_limit, max_retry_after=args.max_retry_after,
                        resolve=resolve, contact=args.contact,
                        progress=not args.quiet, verbose=args.verbose, render=args.render, chromium=args.chromium)


def _control_options(args):
    """The browser stage's options, or None with --no-browser."""
    if args.no_browser:
        return None
    from crawler.control.scenario import ScenarioError, load_scenarios
    from crawler.control.stage import DEFAULT_NET_PROBE, ControlOptions

    if args.submit_forms and not args.submit_message.strip():
        raise BadInput("--submit-forms отправляет форму только с текстом обращения: добавьте --submit-message «…»")
    if args.check_timeout <= 0:
        raise BadInput("--check-timeout должно быть положительным")
    probe = args.net_probe or DEFAULT_NET_PROBE
    if urlsplit(probe).scheme not in ("http", "https") or not urlsplit(probe).hostname:
        raise BadInput(f"--net-probe: нужен адрес сайта вида https://…, а не «{probe}»")
    try:
        load_scenarios(args.controls)
    except (ScenarioError, OSError) as exc:
        raise BadInput(f"сценарии контрольных проверок: {exc}") from None
    return ControlOptions(chromium=args.chromium or None, submit_forms=args.submit_forms,
                          submit_message=args.submit_message, check_mx=args.check_mx,
                          check_timeout=args.check_timeout, scenarios=args.controls, offline=args.offline,
                          resolve=parse_resolve(args.resolve), net_probe=probe,
                          allow_private=args.allow_private,
                          user_agent=user_agent(args.contact or CONTACT_URL))


@dataclass
class CheckPlan:
    """Everything `nok-audit check` would do for a site, from its command-line options."""
    options: CrawlOptions
    inputs: ReportOptions
    browser: object              # ControlOptions, or None with --no-browser
    accessibility: bool
    pdf: bool


def check_plan(url: str, out: Path, check_args: list[str]) -> CheckPlan:
    """Parse a stored run's `check` options (as `nok-audit run` hands them on) for a job that audits `url`."""
    args = build_parser().parse_args(["check", url, "--out", str(out), "--quiet", *check_args])
    return CheckPlan(_options(args), _report_options(args), _control_options(args),
                     accessibility=not args.no_accessibility, pdf=not args.no_pdf)


def check(url: str, out: Path | None, options: CrawlOptions, inputs: ReportOptions, argv: list[str],
          browser=None, accessibility: bool = True, pdf: bool = True,
          previous: str | None = None) -> tuple[int, dict]:
    """`previous`: path of the report.json of the previous audit (--previous), read before the crawl."""
    from reports.render import terminal_summary

    start_url, fallback = parse_start_url(url)
    inputs.validate(start_url)
    previous_report = load_previous_report(previous, start_url) if previous else None
    out = Path(out) if out else Path("nok-reports") / (urlsplit(start_url).hostname or "site")
    try:
        (out / CRAWL_SUBDIR).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"не удалось создать папку отчёта {out}: {exc.strerror}") from None
    print(f"Проверка сайта {start_url}", file=sys.stderr)
    run_crawl(start_url, out / CRAWL_SUBDIR, options, http_fallback=fallback, checklist=inputs.checklist)
    if browser is not None:
        print("Контрольные проверки в браузере (формы не отправляются"
              + (", кроме --submit-forms" if browser.submit_forms else "") + ")…", file=sys.stderr)
    report, json_path, html_path = evaluate_and_report(out, inputs, argv, browser=browser,
                                                       accessibility=accessibility, stored_controls=False,
                                                       pdf=pdf, previous=previous_report)
    print(terminal_summary(report, json_path, html_path) + _extra_paths(out))
    return (EXIT_OK if report["crawl"]["entry_ok"] else EXIT_UNREACHABLE), report


def evaluate_cmd(folder: str, inputs: ReportOptions, argv: list[str],
                 previous: str | None = None) -> tuple[int, dict]:
    """`previous`: path of the report.json of the previous audit (--previous); it may be this folder's own
    report.json (read before it is rewritten): the changes are then those of the re-evaluation."""
    from crawler.crawlstore import load_crawl
    from reports.render import terminal_summary

    out = Path(folder)
    if not (out / CRAWL_SUBDIR / "crawl.json").exists():
        raise BadInput(f"в папке {out} нет сохранённого обхода ({CRAWL_SUBDIR}/crawl.json)")
    start_url = load_crawl(out / CRAWL_SUBDIR).journal.start_url
    inputs.validate(start_url)
    previous_report = load_previous_report(previous, start_url) if previous else None
    inputs.name = inputs.name or registry_name_of(out)
    report, json_path, html_path = evaluate_and_report(out, inputs, argv, previous=previous_report)
    print(terminal_summary(report, json_path, html_path) + _extra_paths(out))
    return (EXIT_OK if report["crawl"]["entry_ok"] else EXIT_UNREACHABLE), report


def _extra_paths(out: Path) -> str:
    """The files written beside report.json/.html, as more lines of the summary's «Отчёты:» list."""
    names = ("report.pdf", "report.md", "manifest.json")
    return "".join(f"\n  {out / name}" for name in names if (out / name).exists())


def verify_cmd(folder: str) -> int:
    from reports.manifest import MANIFEST_NAME, load_manifest, verify

    out = Path(folder)
    if not out.is_dir():
        raise BadInput(f"папка {out} не найдена")
    problems = verify(out)
    if problems:
        print(f"Проверка целостности: папка {out} не совпадает с {MANIFEST_NAME} "
              f"(несовпадений: {len(problems)}):")
        for problem in problems:
            print(f"  - {problem}")
        return EXIT_TAMPERED
    count = len(load_manifest(out)["files"])
    print(f"Проверка целостности: все {count} файлов совпадают с {MANIFEST_NAME}")
    return EXIT_OK


def demo_cmd(out: str, argv: list[str]) -> int:
    from crawler.control.stage import ControlOptions
    from crawler.demo import serve_demo_site

    server, url = serve_demo_site()
    try:
        print(f"Демонстрационный сайт запущен на {url}", file=sys.stderr)
        options = CrawlOptions(delay=0.0, concurrency=4)
        # The demo site links to bus.gov.ru and vk.com: offline, the browser never leaves loopback.
        return check(url, Path(out), options, ReportOptions(), argv, browser=ControlOptions(offline=True))[0]
    finally:
        server.shutdown()


def report_cmd(dirs: list[str], out: str, names: dict[str, str] | None = None) -> int:
    """`names`: the organisations' names from the registry by folder (default: each site's title)."""
    from datetime import datetime, timezone

    from reports.russian_format import format_time
    from reports.summary import build_summary, load_reports, terminal_lines, write_summary

    entries, problems = load_reports(dirs)
    for entry in entries:
        entry["name"] = (names or {}).get(str(entry["folder"]), "")
    for problem in problems:
        print(f"Предупреждение: {problem}", file=sys.stderr)
    if not entries:
        raise BadInput("ни в одной из указанных папок нет пригодного отчёта report.json — сводка не составлена")
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"не удалось создать папку сводки {out_dir}: {exc.strerror}") from None
    summary = build_summary(entries, out_dir)
    generated = format_time(datetime.now(timezone.utc).isoformat(timespec="seconds"))
    paths = write_summary(summary, out_dir, generated=generated, tool=f"nok-audit {__version__}")
    print("\n".join(terminal_lines(summary, paths, problems)))
    return EXIT_OK


def diff_cmd(old: str, new: str) -> int:
    from reports.diff import diff_folders, terminal_lines

    for folder in (old, new):
        if not Path(folder).is_dir():
            raise BadInput(f"папка {folder} не найдена")
    diffs, notes = diff_folders(Path(old), Path(new))
    if not diffs:
        raise BadInput("в папках нет пар отчётов report.json для сравнения")
    print("\n".join(terminal_lines(diffs, notes)))
    return EXIT_OK


def run_cmd(args) -> int:
    from crawler.run_commands import run_cmd as run_registry

    check_args = [a for name in _PASS_THROUGH if getattr(args, name) is not None
                  for a in ("--" + name.replace("_", "-"), str(getattr(args, name)))]
    check_args += ["--" + name.replace("_", "-") for name in _PASS_FLAGS if getattr(args, name)]
    return run_registry(args, check_args, checklist=args.checklist or "", methodology=args.methodology or "")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    command = ["nok-audit", *argv]
    try:
        if args.command == "check":
            code, report = check(args.url, args.out, _options(args), _report_options(args), command,
                                 browser=_control_options(args), accessibility=not args.no_accessibility,
                                 pdf=not args.no_pdf, previous=args.previous)
            return _gate(args, report, code)
        if args.command == "evaluate":
            code, report = evaluate_cmd(args.dir, _report_options(args), command, previous=args.previous)
            return _gate(args, report, code)
        if args.command == "demo":
            return demo_cmd(args.out, command)
        if args.command == "report":
            if args.run is not None:
                from crawler.run_commands import report_from_store
                return report_from_store(args)
            if not args.dirs:
                raise BadInput("укажите папки проверок или --run НОМЕР прогона из базы")
            return report_cmd(args.dirs, args.out)
        if args.command == "verify":
            return verify_cmd(args.dir)
        if args.command == "run":
            return run_cmd(args)
        if args.command == "diff":
            if args.db is not None or args.old is None or (args.old.isdigit() and not Path(args.old).exists()):
                from crawler.run_commands import diff_from_store
                return diff_from_store(args)
            if args.new is None:
                raise BadInput("укажите две папки проверок (прежнюю и новую)")
            return diff_cmd(args.old, args.new)
        if args.command == "rescore":
            from crawler.run_commands import rescore_cmd
            return rescore_cmd(args, ReportOptions(checklist=args.checklist, methodology=args.methodology,
                                                   operator_data=args.operator_data), command)
        if args.command == "runs":
            from crawler.run_commands import runs_cmd
            return runs_cmd(args)
        if args.command == "prune":
            from crawler.run_commands import prune_cmd
            return prune_cmd(args)
        if args.command == "node-config":
            from crawler.node import node_config_cmd
            return node_config_cmd(args)
        if args.command == "schedule":
            from crawler.schedule import schedule_cmd
            return schedule_cmd(args)
        if args.command == "serve":
            from crawler.web.serve import serve_cmd
            return serve_cmd(args)
    except (BadInput, InvalidURL) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreError as exc:             # the store failed mid-run; what was finished is kept (see the text)
        print(f"Ошибка: {exc}", file=sys.stderr)
        return EXIT_BUG
    except KeyboardInterrupt:
        print("Прервано пользователем.", file=sys.stderr)
        return EXIT_BUG
    except Exception:
        traceback.print_exc()
        print("Внутренняя ошибка nok-audit: пожалуйста, сообщите о ней разработчикам (текст выше).", file=sys.stderr)
        return EXIT_BUG
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
