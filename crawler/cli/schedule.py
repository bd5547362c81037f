"""`nok-audit schedule install|remove|list`: the command line of the monthly run's cron entry or systemd timer
(the schedule itself: crawler/schedule/)."""
from __future__ import annotations

import argparse
import contextlib
import io
import shlex
from pathlib import Path

from crawler.cli import run as run_command
from crawler.exits import BadInput
from crawler.schedule.install import install, installed, preflight, remove
from crawler.schedule.spec import (DEFAULT_TARGETS, KINDS, ScheduleError, ScheduleSpec, command_line, display_db,
                                   has_password)


def _run_parser() -> argparse.ArgumentParser:
    """`nok-audit run`'s own parser, as `nok-audit run …` parses its arguments."""
    parser = argparse.ArgumentParser(prog="nok-audit")
    run_command.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def check_run_options(spec: ScheduleSpec) -> None:
    """Parse the extra options with the real `nok-audit run` parser now, so that a typo is reported here and
    not, a month later, only in schedule.log."""
    argv = ["run", str(spec.registry), "--db", spec.db, *(["--keep", str(spec.keep)] if spec.keep else []),
            "--out", str(spec.out), *spec.extra]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            _, unknown = _run_parser().parse_known_args(argv)
    except SystemExit:
        message = err.getvalue().strip().splitlines()
        raise ScheduleError("параметры --run-options не приняты командой nok-audit run: "
                            + (message[-1] if message else "ошибка разбора")) from None
    if unknown:
        raise ScheduleError("параметры --run-options не приняты командой nok-audit run: неизвестные "
                            + " ".join(unknown) + " (см. nok-audit run --help)")



def add_parser(sub) -> argparse.ArgumentParser:
    """Add `schedule install|remove|list` to the subparsers `sub` of the nok-audit parser."""
    sched = sub.add_parser("schedule", help="ежемесячный запуск проверки реестра (cron или таймер systemd)",
                           description="Ежемесячный автоматический запуск nok-audit run по реестру: файл в "
                                       "/etc/cron.d или таймер systemd. Обычно требует root.")
    actions = sched.add_subparsers(dest="schedule_command", required=True, metavar="{install,remove,list}")

    ins = actions.add_parser("install", help="установить (или обновить) ежемесячный запуск",
                             description="Записать расписание ежемесячного прогона nok-audit run. Дополнительные "
                                         "параметры прогона — после --run-options, в самом конце команды.")
    ins.add_argument("registry", help="реестр организаций (CSV или XLSX)")
    ins.add_argument("--out", required=True, help="папка прогонов (создаётся); журнал — в ней, schedule.log")
    ins.add_argument("--db", default=None, metavar="URL",
                     help="хранилище: адрес SQLAlchemy, например sqlite:////srv/nok/nok-audit.db или "
                          "postgresql+psycopg://user@host:5432/nok (по умолчанию OUT/nok-audit.db)")
    ins.add_argument("--name", default=None, help="имя расписания: латиница, цифры, дефис (по умолчанию — "
                                                  "из имени файла реестра)")
    ins.add_argument("--day", type=int, default=1, help="день месяца, 1–28 (по умолчанию 1)")
    ins.add_argument("--at", default="03:00", metavar="ЧЧ:ММ", help="время запуска по часам сервера "
                                                                   "(по умолчанию 03:00)")
    ins.add_argument("--keep", type=int, default=None, metavar="N",
                     help="хранить столько последних прогонов (по умолчанию все)")
    ins.add_argument("--kind", choices=KINDS, default="cron", help="cron (по умолчанию) или systemd")
    ins.add_argument("--target", default=None, metavar="DIR",
                     help="куда записать файлы (по умолчанию /etc/cron.d или /etc/systemd/system)")
    ins.add_argument("--no-activate", action="store_true", help="systemd: не включать таймер сразу")
    ins.add_argument("--user", default="root", help="от имени какого пользователя запускать (по умолчанию root)")
    ins.add_argument("--python", default=None, metavar="PATH",
                     help="интерпретатор окружения с nok-audit (по умолчанию текущий)")
    ins.add_argument("--run-options", nargs=argparse.REMAINDER, default=[], metavar="…",
                     help="всё после этого ключа передаётся nok-audit run как есть, например: "
                          "--run-options --no-browser --jobs 4 (ставьте последним)")

    rem = actions.add_parser("remove", help="удалить расписание")
    rem.add_argument("name", help="имя расписания (см. nok-audit schedule list)")
    rem.add_argument("--kind", choices=KINDS, default=None, help="cron или systemd (по умолчанию любое)")
    rem.add_argument("--target", default=None, metavar="DIR", help="папка, куда расписание было записано")
    rem.add_argument("--no-activate", action="store_true", help="systemd: не вызывать systemctl")

    lst = actions.add_parser("list", help="показать установленные расписания")
    lst.add_argument("--target", action="append", default=None, metavar="DIR",
                     help="где искать (по умолчанию /etc/cron.d и /etc/systemd/system; можно несколько раз)")
    return sched


def handle(args, command: list[str]) -> int:
    """Run `nok-audit schedule …`; ScheduleError becomes BadInput («Ошибка: …», exit 2)."""
    try:
        if args.schedule_command == "install":
            return _install_cmd(args)
        if args.schedule_command == "remove":
            return _remove_cmd(args)
        return _list_cmd(args)
    except ScheduleError as exc:
        raise BadInput(str(exc)) from None


def _install_cmd(args) -> int:
    spec = ScheduleSpec(name=args.name or "", registry=Path(args.registry), db=args.db or "", out=Path(args.out),
                        day=args.day, at=args.at, keep=args.keep, extra=list(args.run_options or []),
                        user=args.user, python=args.python or "")
    check_run_options(spec)
    preflight(spec)
    result = install(spec, args.kind, Path(args.target) if args.target else None, activate=not args.no_activate)
    shown = [display_db(a) if a == spec.db else a for a in command_line(spec)]
    verb = "обновлено" if result.replaced else "установлено"
    lines = [f"Расписание «{spec.name}» {verb} ({'cron' if result.kind == 'cron' else 'таймер systemd'}):",
             *(f"  {path}" for path in result.files),
             f"Когда: {spec.when()}",
             f"Команда (рабочая папка {spec.workdir}; её можно запустить и вручную):",
             f"  {shlex.join(shown)}",
             f"База: {display_db(spec.db)}",
             f"Хранится прогонов: {spec.keep if spec.keep else 'все (--keep не задан)'}",
             f"Журнал: {spec.log}"]
    if result.activated:
        lines.append(f"Готово: {result.hint}.")
    else:
        lines.append(f"Внимание: {result.hint}.")
        if result.manual:
            lines.append("Выполните вручную:")
            lines += [f"  {cmd}" for cmd in result.manual]
    if has_password(spec.db):
        lines.append("Пароль базы записан в файл расписания (права 0600); надёжнее хранить его в ~/.pgpass.")
    lines.append(f"Удалить: nok-audit schedule remove {spec.name}")
    print("\n".join(lines))
    return 0


def _remove_cmd(args) -> int:
    result = remove(args.name, args.kind, Path(args.target) if args.target else None,
                    activate=not args.no_activate)
    lines = [f"Расписание «{result.name}» удалено:", *(f"  {path}" for path in result.files)]
    if result.hint:
        lines.append(f"Внимание: {result.hint}.")
    lines.append("Уже идущий прогон (если есть) не прерван; папка прогонов и база не тронуты.")
    print("\n".join(lines))
    return 0


def _list_cmd(args) -> int:
    dirs = [Path(t) for t in args.target] if args.target else None
    found = installed(dirs)
    where = ", ".join(str(d) for d in (dirs or DEFAULT_TARGETS.values()))
    if not found:
        print(f"Расписаний nok-audit нет ({where}).")
        return 0
    lines = []
    for s in found:
        lines.append(f"{s.name} ({s.kind}): {s.when()}")
        if s.readable:
            lines += [f"  реестр: {s.registry}", f"  прогоны: {s.out}", f"  база: {display_db(s.db)}",
                      f"  хранится прогонов: {s.keep if s.keep else 'все'}", f"  журнал: {s.log}"]
            if s.extra:
                lines.append(f"  параметры прогона: {shlex.join(s.extra)}")
        else:
            lines.append("  файл не распознан (нет строки nok-audit-schedule)")
        lines.append("  файлы: " + ", ".join(str(f) for f in s.files))
    print("\n".join(lines))
    return 0

