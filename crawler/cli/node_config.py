"""`nok-audit node-config DIR`: a Scrapyd worker node's folder (scrapyd.conf, scrapy.cfg) and its service."""
from __future__ import annotations

from pathlib import Path

from crawler.exits import BadInput
from crawler.runs.node import scrapyd_binary, service_unit, write_node_config


def add_parser(sub) -> None:
    p = sub.add_parser("node-config", help="папка узла Scrapyd для распределённого прогона (scrapyd.conf, scrapy.cfg)")
    p.add_argument("dir", help="папка узла (в ней запускается scrapyd)")
    p.add_argument("--port", type=int, default=6800)
    p.add_argument("--bind", default="127.0.0.1", help="адрес API (по умолчанию 127.0.0.1; в сети — частный адрес)")
    p.add_argument("--slots", type=int, default=2, help="заданий одновременно (max_proc), по умолчанию 2")
    p.add_argument("--username", default="", help="имя для Basic-аутентификации API")
    p.add_argument("--password", default="", help="пароль для Basic-аутентификации API")
    p.add_argument("--user", default="nok", help="пользователь службы systemd в подсказке (по умолчанию nok)")


def handle(args, command: list[str]) -> int:
    if args.slots < 1 or not (0 < args.port < 65536):
        raise BadInput("--slots и --port должны быть положительными (порт до 65535)")
    if bool(args.username) != bool(args.password):
        raise BadInput("для Basic-аутентификации нужны и --username, и --password")
    paths = write_node_config(Path(args.dir), port=args.port, bind=args.bind, slots=args.slots,
                              username=args.username, password=args.password)
    print("Записано:\n" + "\n".join(f"  {p}" for p in paths))
    print(f"\nЗапуск вручную:  cd {Path(args.dir).resolve()} && {scrapyd_binary()}")
    print("Служба systemd (/etc/systemd/system/nok-audit-node.service):\n")
    print(service_unit(Path(args.dir), args.user))
    return 0
