"""The files a schedule is: a cron.d entry, or a systemd service and timer — each with the meta line that
`schedule list` reads back."""
from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import field


from crawler.schedule.spec import (CRON_FILE_RE, CRON_PATH, ENV, META_TAG, PREFIX, ScheduleSpec, command_line,
                                   display_db, shell_command)


def cron_escape(command: str) -> str:
    """In a crontab command an unescaped % ends the command (the rest becomes stdin): write it as \\%."""
    return command.replace("%", "\\%")


def _meta(spec: ScheduleSpec, kind: str) -> str:
    data = {"name": spec.name, "kind": kind, "registry": str(spec.registry), "db": spec.db, "out": str(spec.out),
            "day": spec.day, "at": spec.at, "keep": spec.keep, "extra": spec.extra, "user": spec.user,
            "python": spec.python}
    return META_TAG + json.dumps(data, ensure_ascii=False)


def _header(spec: ScheduleSpec, kind: str) -> list[str]:
    shown = [display_db(a) if a == spec.db else a for a in command_line(spec)]
    return [
        f"# nok-audit: ежемесячная проверка сайтов организаций из реестра {spec.registry}",
        f"# Когда: {spec.when()}.",
        f"# Запускает: {shlex.join(shown)}",
        f"# Рабочая папка: {spec.workdir}; прогоны: {spec.out}; база: {display_db(spec.db)}",
        f"# Хранится прогонов: {spec.keep if spec.keep else 'все'}",
        f"# Журнал: {spec.log}",
        f"# Удалить это расписание: nok-audit schedule remove {spec.name}"
        + ("" if kind == "cron" else " --kind systemd"),
        "# Файл записан командой nok-audit schedule install; ручные правки пропадут при повторной установке.",
        _meta(spec, kind),
    ]


def cron_file_name(name: str) -> str:
    file_name = PREFIX + name
    assert CRON_FILE_RE.match(file_name), file_name  # cron ignores /etc/cron.d files with other characters
    return file_name


def cron_entry(spec: ScheduleSpec) -> str:
    """The content of /etc/cron.d/nok-audit-<name> (system crontab: fields, then the user, then the command)."""
    hour, minute = spec.at.split(":")
    command = cron_escape(shell_command(command_line(spec), spec.workdir, spec.log))
    lines = [*_header(spec, "cron"), "SHELL=/bin/sh", f"PATH={CRON_PATH}", f"LANG={ENV['LANG']}",
             f"{int(minute)} {int(hour)} {spec.day} * * {spec.user} {command}"]
    return "\n".join(lines) + "\n"  # cron ignores a last line without a newline


def _systemd_word(arg: str) -> str:
    """One ExecStart word: % → %% (specifiers), $ → $$ (variables); quoted when it has spaces or quotes."""
    word = arg.replace("%", "%%").replace("$", "$$")
    if word == "" or word == ";" or re.search(r"[\s\"'\\]", word):
        word = '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


def _systemd_value(text: str) -> str:
    """A single-valued setting (a path): only specifiers need escaping."""
    return text.replace("%", "%%")


def unit_names(name: str) -> tuple[str, str]:
    return f"{PREFIX}{name}.service", f"{PREFIX}{name}.timer"


def systemd_units(spec: ScheduleSpec) -> dict[str, str]:
    """{file name: content} of the oneshot service and its monthly timer."""
    service_name, timer_name = unit_names(spec.name)
    header = "\n".join(_header(spec, "systemd"))
    service = "\n".join([
        header,
        "[Unit]",
        f"Description=nok-audit: ежемесячная проверка по реестру {_systemd_value(spec.registry.name)}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
        f"User={spec.user}",
        f"WorkingDirectory={_systemd_value(str(spec.workdir))}",
        "Environment=" + " ".join(f"{k}={v}" for k, v in ENV.items()),
        "ExecStart=" + " ".join(_systemd_word(a) for a in command_line(spec)),
        f"StandardOutput=append:{_systemd_value(str(spec.log))}",
        "StandardError=inherit",
    ]) + "\n"
    hour, minute = spec.at.split(":")
    timer = "\n".join([
        header,
        "[Unit]",
        f"Description=nok-audit: ежемесячный запуск {service_name}",
        "",
        "[Timer]",
        f"OnCalendar=*-*-{spec.day:02d} {hour}:{minute}:00",
        "Persistent=true",
        "RandomizedDelaySec=0",
        f"Unit={service_name}",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]) + "\n"
    return {service_name: service, timer_name: timer}
