"""`nok-audit demo`: audit the demo site shipped with nok-audit (served on loopback by the command itself)."""
from __future__ import annotations

import sys

from crawler.audit import audit_site
from crawler.control.stage import ControlOptions
from crawler.demo import serve_demo_site
from crawler.plan import AuditPlan, CrawlOptions


def add_parser(sub) -> None:
    demo = sub.add_parser("demo", help="проверить демонстрационный сайт, поставляемый с nok-audit")
    demo.add_argument("--out", default="nok-reports/demo", help="папка для отчётов (по умолчанию nok-reports/demo)")


def handle(args, command: list[str]) -> int:
    server, url = serve_demo_site()
    try:
        print(f"Демонстрационный сайт запущен на {url}", file=sys.stderr)
        # The demo site links to bus.gov.ru and vk.com: offline, the browser never leaves loopback.
        plan = AuditPlan(url=url, out=args.out, crawl=CrawlOptions(delay=0.0, concurrency=4),
                         browser=ControlOptions(offline=True))
        return audit_site(plan, command)[0]
    finally:
        server.shutdown()
