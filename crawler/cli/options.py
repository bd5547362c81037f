"""The options `check` shares with `evaluate`, `run`, `rescore` and the store commands, and the one place they
become an AuditPlan (`plan_from_args`) — with the Russian message of every value refused."""
from __future__ import annotations

import argparse
import sys
from urllib.parse import urlsplit

from crawler.audit import self_check_failures
from crawler.control.scenario import ScenarioError, load_scenarios
from crawler.control.stage import DEFAULT_NET_PROBE, ControlOptions
from crawler.exits import EXIT_FALLS_SHORT, EXIT_OK, BadInput
from crawler.plan import AuditPlan, CrawlOptions, ReportOptions, checklist_of_sector
from crawler.resolver import parse_resolve
from crawler.settings import CONTACT_URL, user_agent


def add_report_options(p: argparse.ArgumentParser) -> None:
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


def report_options(args) -> ReportOptions:
    checklist = args.checklist
    if checklist is None and args.sector:
        checklist = checklist_of_sector(args.sector)
    return ReportOptions(checklist=checklist, methodology=args.methodology, operator_data=args.operator_data,
                         name=args.name.strip())


def gate(args, report: dict, code: int) -> int:
    """An organisation's self-check: exit 5 when the site falls short of --fail-under / --require."""
    require = [r.strip() for r in args.require.split(",") if r.strip()]
    if code != EXIT_OK or (args.fail_under is None and not require):
        return code
    failures = self_check_failures(report, args.fail_under, require)
    for failure in failures:
        print(f"Не выполнено требование самопроверки: {failure}", file=sys.stderr)
    return EXIT_FALLS_SHORT if failures else code


def add_crawl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-pages", type=int, default=300, help="не больше стольких страниц (по умолчанию 300)")
    p.add_argument("--max-depth", type=int, default=10,
                   help="глубина ссылок от главной (по умолчанию 10): страницы обходятся по уровням, ближние к "
                        "главной первыми, так что главный предел — --max-pages, а глубина лишь страхует от ловушек")
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
    add_report_options(p)
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


def add_db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, metavar="URL",
                   help="база: путь к файлу SQLite или postgresql+psycopg://пользователь@сервер:порт/база "
                        "(по умолчанию nok-audit.db в папке --out)")


def crawl_options(args) -> CrawlOptions:
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


def control_options(args) -> ControlOptions | None:
    """The browser stage's options, or None with --no-browser."""
    if args.no_browser:
        return None
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


def plan_from_args(args, url: str = "", out: str = "") -> AuditPlan:
    """The audit `check` options describe (parsed by `add_crawl_options`), validated: BadInput when refused."""
    return AuditPlan(url=url, out=out or "", sector=args.sector or "", crawl=crawl_options(args),
                     report=report_options(args), browser=control_options(args),
                     accessibility=not args.no_accessibility, pdf=not args.no_pdf, previous=args.previous)
