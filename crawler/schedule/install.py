"""Installing, removing and listing schedules, and the pre-flight check that the interpreter starts the way the
scheduler will start it."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from crawler.schedule.spec import (CRON_DAEMONS, CRON_FILE_RE, CRON_PATH, DEFAULT_TARGETS, ENV, KINDS, LOG_NAME,
                                   META_TAG, PREFIX, SYSTEMD_UNIT_DIRS, ScheduleError, ScheduleSpec, absolute_path,
                                   has_password)
from crawler.schedule.writers import cron_entry, cron_file_name, systemd_units, unit_names
from reports.atomic_file import write_atomically


@dataclass
class InstallResult:
    """What install() wrote; `activated`: the scheduler will pick the schedule up without further steps;
    otherwise `hint` (Russian) says why not and what to do."""
    name: str
    kind: str
    files: list[Path]
    activated: bool
    hint: str = ""
    replaced: bool = False
    manual: list[str] = field(default_factory=list)   # commands to run by hand to activate


@dataclass
class RemoveResult:
    name: str
    files: list[Path]
    deactivated: bool
    hint: str = ""


@dataclass
class InstalledSchedule:
    """A schedule found on disk (read back from its `# nok-audit-schedule:` line)."""
    name: str
    kind: str
    files: list[Path]
    registry: str = ""
    db: str = ""
    out: str = ""
    day: int | None = None
    at: str = ""
    keep: int | None = None
    extra: list[str] = field(default_factory=list)
    user: str = ""
    python: str = ""
    readable: bool = True     # False: the file has no (valid) nok-audit-schedule line

    @property
    def log(self) -> Path | None:
        return Path(self.out) / LOG_NAME if self.out else None

    def when(self) -> str:
        return f"{self.day}-го числа каждого месяца в {self.at}" if self.day else "не распознано"


def _permission_hint(path: Path) -> str:
    return f"нет прав на запись в {path}: запустите команду от root (sudo) или укажите другую папку --target"


def _target(kind: str, target_dir: Path | None) -> Path:
    if kind not in KINDS:
        raise ScheduleError(f"вид расписания «{kind}» неизвестен: cron или systemd")
    return absolute_path(target_dir) if target_dir else DEFAULT_TARGETS[kind]


def _systemd_live() -> str:
    """'' when systemctl can manage units here, else the Russian reason why not."""
    if not shutil.which("systemctl", path=os.environ.get("PATH", "") + ":/usr/bin:/bin"):
        return "команды systemctl нет"
    if not Path("/run/systemd/system").is_dir():
        return "система запущена без systemd (например, в контейнере)"
    return ""


def _systemctl(*args: str) -> str:
    """Run systemctl; '' on success, else its message."""
    exe = shutil.which("systemctl", path=os.environ.get("PATH", "") + ":/usr/bin:/bin") or "systemctl"
    try:
        proc = subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if proc.returncode != 0:
        return (proc.stderr or proc.stdout).strip() or f"код выхода {proc.returncode}"
    return ""


def _in_unit_dirs(target: Path) -> bool:
    return any(target == d or target.resolve() == d.resolve() for d in SYSTEMD_UNIT_DIRS)


def _cron_daemon() -> str | None:
    return next((d for d in CRON_DAEMONS if os.path.exists(d)), None) or shutil.which("cron") or shutil.which("crond")


def _conflicts(spec: ScheduleSpec, kind: str, target: Path, target_dir: Path | None) -> None:
    """Refuse a second schedule of the same name under the other kind, or of another name on the same folder:
    two jobs would run the same registry twice or write into one folder at once."""
    dirs = [target]
    if target_dir is None:
        dirs += [d for k, d in DEFAULT_TARGETS.items() if k != kind]
    for found in installed(dirs):
        if found.name == spec.name and found.kind != kind:
            raise ScheduleError(f"расписание «{spec.name}» уже установлено как {found.kind} ({found.files[0]}): "
                                f"удалите его (nok-audit schedule remove {spec.name} --kind {found.kind}) "
                                "или выберите другое --name")
        if found.name != spec.name and found.out and Path(found.out) == spec.out:
            raise ScheduleError(f"папку {spec.out} уже заполняет расписание «{found.name}» ({found.files[0]}): "
                                "два расписания на одну папку прогонов мешали бы друг другу — укажите другую "
                                f"--out или удалите «{found.name}»")


def install(spec: ScheduleSpec, kind: str = "cron", target_dir: Path | None = None,
            activate: bool = True) -> InstallResult:
    """Write the schedule's file(s) atomically (mode 0644, 0600 when the store URL holds a password) and, for
    systemd with `activate`, enable the timer. The output folder is created. Never fails because systemd is
    absent: the result then says activated=False and lists the commands to run by hand."""
    target = _target(kind, target_dir)
    if kind == "cron" and not target.is_dir():
        raise ScheduleError(f"папки {target} нет — похоже, cron не установлен: установите его "
                            "(apt-get install cron) или используйте таймер systemd (--kind systemd)")
    if kind == "systemd" and not target.is_dir():
        if target_dir is None:
            raise ScheduleError(f"папки {target} нет — похоже, systemd здесь не используется: "
                                "используйте cron (--kind cron)")
        raise ScheduleError(f"папки {target} нет: создайте её или укажите другую --target")
    _conflicts(spec, kind, target, target_dir)
    try:
        created = not spec.out.exists()
        spec.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScheduleError(f"не удалось создать папку прогонов {spec.out}: {exc.strerror}") from None
    if created and spec.user != "root" and os.geteuid() == 0:
        shutil.chown(spec.out, user=spec.user)  # the job runs as that user and appends its log here
    mode = 0o600 if has_password(spec.db) else 0o644
    contents = ({cron_file_name(spec.name): cron_entry(spec)} if kind == "cron" else systemd_units(spec))
    files = [target / file_name for file_name in contents]
    replaced = any(f.exists() for f in files)
    try:
        for path, text in zip(files, contents.values()):
            write_atomically(path, text, mode=mode, durable=True)
    except PermissionError:
        raise ScheduleError(_permission_hint(target)) from None
    except OSError as exc:
        raise ScheduleError(f"не удалось записать {target}: {exc.strerror}") from None

    if kind == "cron":
        if target_dir is not None and absolute_path(target_dir) != DEFAULT_TARGETS["cron"]:
            return InstallResult(spec.name, kind, files, False, replaced=replaced,
                                 hint=f"файл записан в {target}, а cron читает /etc/cron.d: скопируйте его туда "
                                      f"(владелец root, права {mode:04o})",
                                 manual=[f"install -m {mode:04o} -o root {shlex.quote(str(files[0]))} /etc/cron.d/"])
        if not _cron_daemon():
            return InstallResult(spec.name, kind, files, False, replaced=replaced,
                                 hint="файл записан, но cron не установлен и запускать его некому: установите cron "
                                      "(apt-get install cron) или используйте --kind systemd",
                                 manual=["apt-get install cron"])
        return InstallResult(spec.name, kind, files, True, replaced=replaced,
                             hint="cron перечитывает /etc/cron.d сам, перезапуск не нужен")

    timer_name = unit_names(spec.name)[1]
    manual = ["systemctl daemon-reload", f"systemctl enable --now {timer_name}"]
    if not _in_unit_dirs(target):
        return InstallResult(spec.name, kind, files, False, replaced=replaced, manual=manual,
                             hint=f"файлы записаны в {target}, а systemd читает /etc/systemd/system: скопируйте их "
                                  "туда и включите таймер")
    if not activate:
        return InstallResult(spec.name, kind, files, False, replaced=replaced, manual=manual,
                             hint="таймер не включён (--no-activate)")
    reason = _systemd_live()
    if reason:
        return InstallResult(spec.name, kind, files, False, replaced=replaced, manual=manual,
                             hint=f"таймер не включён: {reason}")
    for args in (("daemon-reload",), ("enable", "--now", timer_name)):
        problem = _systemctl(*args)
        if problem:
            return InstallResult(spec.name, kind, files, False, replaced=replaced, manual=manual,
                                 hint=f"таймер не включён: systemctl {' '.join(args)}: {problem}")
    return InstallResult(spec.name, kind, files, True, replaced=replaced,
                         hint=f"таймер включён; ближайший запуск: systemctl list-timers {timer_name}")


def remove(name: str, kind: str | None = None, target_dir: Path | None = None,
           activate: bool = True) -> RemoveResult:
    """Remove the schedule `name` (of `kind`, or of either kind when None). A systemd timer is disabled first
    (`systemctl disable --now`) when systemd runs; a run already under way is not interrupted."""
    kinds = [kind] if kind else list(KINDS)
    defaults = [_target(k, None) for k in kinds]   # also validates the kind
    dirs = [absolute_path(target_dir)] if target_dir is not None else defaults
    found = [s for s in installed(dirs) if s.name == name and s.kind in kinds]
    if not found:
        others = sorted({s.name for s in installed(dirs)})
        listed = f"; установлены: {', '.join(others)}" if others else ""
        raise ScheduleError(f"расписание «{name}» не найдено в {', '.join(map(str, dirs))}{listed} "
                            "(см. nok-audit schedule list)")
    removed: list[Path] = []
    deactivated, hints = True, []
    for schedule in found:
        live = schedule.kind == "systemd" and _in_unit_dirs(schedule.files[0].parent)
        timer_name = unit_names(name)[1]
        if live:
            reason = _systemd_live() if activate else "--no-activate"
            problem = reason or _systemctl("disable", "--now", timer_name)
            if problem:
                deactivated = False
                hints.append(f"таймер не отключён через systemctl ({problem}); если он был включён: "
                             f"systemctl disable --now {timer_name}; systemctl daemon-reload")
        for path in schedule.files:
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            except PermissionError:
                raise ScheduleError(_permission_hint(path.parent)) from None
            removed.append(path)
        if live and activate and not _systemd_live():
            _systemctl("daemon-reload")
    return RemoveResult(name, removed, deactivated, "; ".join(hints))


def _read_meta(path: Path) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for line in text.splitlines():
        if line.startswith(META_TAG):
            try:
                data = json.loads(line[len(META_TAG):])
            except json.JSONDecodeError:
                return None
            return data if isinstance(data, dict) else None
    return None


def installed(target_dirs: Iterable[Path] | None = None) -> list[InstalledSchedule]:
    """The nok-audit schedules in these folders (default /etc/cron.d and /etc/systemd/system), by name.
    A cron file is `nok-audit-<name>`; a systemd schedule is `nok-audit-<name>.timer` (+ its .service)."""
    dirs = list(target_dirs) if target_dirs is not None else list(DEFAULT_TARGETS.values())
    result: list[InstalledSchedule] = []
    seen: set[Path] = set()
    for folder in dirs:
        folder = absolute_path(folder)
        if folder in seen or not folder.is_dir():
            continue
        seen.add(folder)
        for path in sorted(folder.glob(PREFIX + "*")):
            if path.name.startswith(".") or not path.is_file():
                continue
            stem = path.name[len(PREFIX):]
            if CRON_FILE_RE.match(path.name):
                kind, name, files = "cron", stem, [path]
            elif path.suffix == ".timer":
                kind, name = "systemd", stem[:-len(".timer")]
                service = folder / unit_names(name)[0]
                files = [service, path] if service.exists() else [path]
            else:
                continue
            meta = _read_meta(path)
            if meta is None:
                result.append(InstalledSchedule(name, kind, files, readable=False))
                continue
            fields = {k: meta.get(k) for k in ("registry", "db", "out", "day", "at", "keep", "extra", "user",
                                               "python") if meta.get(k) is not None}
            result.append(InstalledSchedule(name, kind, files, **fields))
    return result


def preflight(spec: ScheduleSpec) -> str:
    """Start the interpreter the way the scheduler will (bare environment, the job's working directory) and
    ask for `crawler.cli --version`; the version line, or ScheduleError saying the job could not start."""
    workdir = spec.workdir if spec.workdir.is_dir() else Path("/")
    try:
        proc = subprocess.run([spec.python, "-m", "crawler.cli", "--version"], capture_output=True, text=True,
                              cwd=workdir, env={**ENV, "PATH": CRON_PATH}, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ScheduleError(f"интерпретатор {spec.python} не запустился: {exc}") from None
    if proc.returncode != 0 or "nok-audit" not in proc.stdout:
        raise ScheduleError(f"{spec.python} -m crawler.cli не запускается без активированного окружения "
                            f"(так его запустит планировщик): {(proc.stderr or proc.stdout).strip()[-400:]}; "
                            "укажите --python — интерпретатор окружения, в котором установлен nok-audit")
    return proc.stdout.strip()
