"""Monthly scheduled runs: `nok-audit schedule install|remove|list`.

Why this exists. The independent quality assessment (НОК) is not a one-off: an operator re-audits the same
registry of organisations every month, so that the store accumulates comparable runs and regressions show up
(`nok-audit diff`). Doing that by hand is exactly what gets forgotten, so the schedule is written by
nok-audit itself, as a file the system scheduler reads:

* cron: one file in /etc/cron.d (system crontab format, with the user field). cron.d file names must match
  ^[a-zA-Z0-9_-]+$ — a name with a dot is silently ignored — hence `nok-audit-<name>`, no extension.
* systemd: `nok-audit-<name>.service` (Type=oneshot) and `nok-audit-<name>.timer` (OnCalendar, Persistent=true:
  a run missed while the machine was off starts at the next boot).

Why every path is absolute. cron starts the job with an almost empty environment: no PATH beyond /usr/bin:/bin,
the home directory as working directory, no activated virtualenv, often no UTF-8 locale. The command therefore
names the interpreter of the virtualenv nok-audit is installed in (sys.executable, not resolved: resolving the
symlink would leave the venv), runs `-m crawler.cli`, passes the registry, the store URL (a relative SQLite path
is made absolute) and the output folder as absolute paths, changes into a fixed directory and sets LANG and
PYTHONIOENCODING. Output is appended to <out>/schedule.log.

Why the day is 1–28. Days 29–31 do not exist in every month; cron and systemd then simply skip that month.

Files are written atomically (temporary file in the same folder + rename; cron ignores names with a dot, systemd
ignores names without a unit suffix, so neither ever reads a half-written file). Each file carries one comment
line `# nok-audit-schedule: {json}` with the schedule's parameters, which `schedule list` reads back.

Code and identifiers are English; messages for the user are Russian (ScheduleError → «Ошибка: …», exit 2).
"""
from __future__ import annotations

import json
import os
import pwd
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crawler.store.db import safe_url
from reports.atomic_file import write_atomically

PREFIX = "nok-audit-"
META_TAG = "# nok-audit-schedule: "
LOG_NAME = "schedule.log"
DEFAULT_TARGETS = {"cron": Path("/etc/cron.d"), "systemd": Path("/etc/systemd/system")}
KINDS = ("cron", "systemd")
# Folders systemd loads system units from: activation makes sense only for files written there.
SYSTEMD_UNIT_DIRS = (Path("/etc/systemd/system"), Path("/run/systemd/system"), Path("/usr/lib/systemd/system"),
                     Path("/lib/systemd/system"), Path("/usr/local/lib/systemd/system"))
CRON_DAEMONS = ("/usr/sbin/cron", "/usr/sbin/crond", "/sbin/cron", "/sbin/crond", "/usr/bin/crond")
ENV = {"LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"}
CRON_PATH = "/usr/bin:/bin"
# `run` options the schedule sets itself (registry, --db, --out, --keep): not accepted among the extra options.
OWN_OPTIONS = ("--db", "--out", "--keep")
# `run` options whose value is a file: a relative path is made absolute (the job does not start in this cwd).
PATH_OPTIONS = ("--checklist", "--methodology", "--operator-data", "--chromium")

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_CRON_FILE_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
_AT_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                     ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", "r",
                      "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia"]))


class ScheduleError(ValueError):
    """A user error in scheduling, with a Russian message saying what to fix."""


def slugify(text: str) -> str:
    """`Реестр КЦСОН 2025` → `reestr-kcson-2025`: lower case, Cyrillic transliterated, [a-z0-9-] only."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")[:63].strip("-")
    return slug or "registry"


def _abspath(path) -> Path:
    """Absolute and lexically normalised, symlinks kept (a venv's python is a symlink that must stay one)."""
    return Path(os.path.abspath(os.path.expanduser(str(path))))


def _normalise_db(db: str | None, out: Path) -> str:
    """The store URL with a relative SQLite path made absolute; a bare file path becomes a SQLite URL."""
    if not db:
        return f"sqlite:///{out / 'nok-audit.db'}"
    if "\n" in db or "\r" in db:
        raise ScheduleError("адрес базы --db не может содержать перевод строки")
    if "://" not in db:
        return f"sqlite:///{_abspath(db)}"
    try:
        url = make_url(db)
    except (ArgumentError, ValueError) as exc:
        raise ScheduleError(f"адрес базы --db не распознан ({exc}); пример: sqlite:////srv/nok/nok-audit.db "
                            "или postgresql+psycopg://user@host:5432/nok") from None
    if url.get_backend_name() != "sqlite":
        return db
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        raise ScheduleError("база SQLite в памяти не сохранится между ежемесячными прогонами: "
                            "укажите файл, например sqlite:////srv/nok/nok-audit.db")
    if database.startswith("file:") or os.path.isabs(database):
        return db
    scheme, _, rest = db.partition(":///")
    return f"{scheme}:///{_abspath(database)}{rest[len(database):]}"


def display_db(db: str) -> str:
    """The store URL for printing, its password replaced by ***."""
    return safe_url(db)


def has_password(db: str) -> bool:
    try:
        return bool(make_url(db).password)
    except Exception:  # noqa: BLE001
        return bool(re.search(r"//[^:/@]*:[^@]+@", db))


def _absolutise_path_options(extra: list[str]) -> list[str]:
    """`--checklist my.yaml` → `--checklist /abs/my.yaml` when my.yaml exists here (the job runs elsewhere)."""
    result = list(extra)
    for i, arg in enumerate(result):
        for opt in PATH_OPTIONS:
            if arg == opt and i + 1 < len(result):
                value = result[i + 1]
                if value and not os.path.isabs(value) and os.path.exists(value):
                    result[i + 1] = str(_abspath(value))
            elif arg.startswith(opt + "="):
                value = arg[len(opt) + 1:]
                if value and not os.path.isabs(value) and os.path.exists(value):
                    result[i] = f"{opt}={_abspath(value)}"
    return result


@dataclass(kw_only=True)
class ScheduleSpec:
    """One monthly run of `nok-audit run`. Constructing it normalises (absolute paths, default name and store)
    and validates; every problem is a ScheduleError with a Russian message."""
    name: str = ""                  # slug [a-z0-9-]; default: from the registry file name
    registry: Path
    db: str = ""                    # SQLAlchemy URL; default sqlite:///<out>/nok-audit.db
    out: Path
    day: int = 1                    # day of month, 1–28
    at: str = "03:00"               # HH:MM, server local time
    keep: int | None = None         # runs to keep (`run --keep N`); None: keep all
    extra: list[str] = field(default_factory=list)   # more `run` options, verbatim
    user: str = "root"              # cron user / systemd User=
    python: str = ""                # interpreter; default sys.executable

    def __post_init__(self) -> None:
        self.registry = _abspath(self.registry)
        self.out = _abspath(self.out)
        if not self.registry.is_file():
            raise ScheduleError(f"файл реестра {self.registry} не найден")
        if self.out == Path("/"):
            raise ScheduleError("--out: корень файловой системы не годится папкой прогонов")
        self.name = self.name or slugify(self.registry.stem)
        if not _NAME_RE.match(self.name):
            raise ScheduleError(f"имя расписания «{self.name}» не годится: только строчные латинские буквы, "
                                "цифры и дефис, начинается с буквы или цифры, не длиннее 63 знаков")
        if isinstance(self.day, bool) or not isinstance(self.day, int) or not 1 <= self.day <= 28:
            raise ScheduleError(f"день месяца {self.day} не годится: укажите число от 1 до 28 — дней 29–31 "
                                "нет в каждом месяце (в феврале 28), и в такие месяцы проверка бы не запустилась")
        match = _AT_RE.match(str(self.at).strip())
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ScheduleError(f"время «{self.at}» не годится: ожидается ЧЧ:ММ от 00:00 до 23:59, например 03:00")
        self.at = f"{int(match[1]):02d}:{match[2]}"
        if self.keep is not None and (isinstance(self.keep, bool) or not isinstance(self.keep, int)
                                      or self.keep < 1):
            raise ScheduleError(f"--keep {self.keep} не годится: число хранимых прогонов должно быть не меньше 1")
        self.extra = _absolutise_path_options([str(a) for a in self.extra])
        for arg in self.extra:
            if "\n" in arg or "\r" in arg or "\0" in arg:
                raise ScheduleError("параметры прогона не могут содержать перевод строки")
            if arg.split("=", 1)[0] in OWN_OPTIONS:
                raise ScheduleError(f"параметр {arg.split('=', 1)[0]} задаётся самим расписанием "
                                    "(--db, --out, --keep команды schedule install), а не в --run-options")
        if not self.user or not re.match(r"^[a-z_][a-z0-9_.-]*\$?$", self.user, re.I):
            raise ScheduleError(f"имя пользователя «{self.user}» не годится")
        try:
            pwd.getpwnam(self.user)
        except KeyError:
            raise ScheduleError(f"пользователь «{self.user}» не найден в системе") from None
        self.python = str(_abspath(self.python or sys.executable))
        if not os.access(self.python, os.X_OK) or not os.path.isfile(self.python):
            raise ScheduleError(f"интерпретатор {self.python} не найден или не исполняемый")
        self.db = _normalise_db(self.db, self.out)
        if self.db.startswith("sqlite") and ":///" in self.db:
            parent = Path(self.db.split(":///", 1)[1].split("?", 1)[0]).parent
            if not parent.is_dir() and parent != self.out and self.out not in parent.parents:
                raise ScheduleError(f"папка базы {parent} не существует: создайте её или укажите другой --db")

    @property
    def workdir(self) -> Path:
        """The directory the job runs in: the parent of the output folder (exists once out is created)."""
        return self.out.parent

    @property
    def log(self) -> Path:
        return self.out / LOG_NAME

    def when(self) -> str:
        return f"{self.day}-го числа каждого месяца в {self.at} (время сервера)"


def command_line(spec: ScheduleSpec) -> list[str]:
    """The argv of the scheduled job; every path absolute, no reliance on PATH, cwd or an activated venv."""
    return [spec.python, "-m", "crawler.cli", "run", str(spec.registry), "--db", spec.db, "--out", str(spec.out),
            *(["--keep", str(spec.keep)] if spec.keep else []), *spec.extra]


def shell_command(argv: list[str], workdir: Path, log: Path) -> str:
    """`cd DIR && LANG=… PYTHONIOENCODING=… ARGV >> LOG 2>&1` for /bin/sh, every word shlex-quoted."""
    env = " ".join(f"{k}={v}" for k, v in ENV.items())
    return f"cd {shlex.quote(str(workdir))} && {env} {shlex.join(argv)} >> {shlex.quote(str(log))} 2>&1"


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
    assert _CRON_FILE_RE.match(file_name), file_name  # cron ignores /etc/cron.d files with other characters
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
    return _abspath(target_dir) if target_dir else DEFAULT_TARGETS[kind]


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
        if target_dir is not None and _abspath(target_dir) != DEFAULT_TARGETS["cron"]:
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
    dirs = [_abspath(target_dir)] if target_dir is not None else defaults
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
        folder = _abspath(folder)
        if folder in seen or not folder.is_dir():
            continue
        seen.add(folder)
        for path in sorted(folder.glob(PREFIX + "*")):
            if path.name.startswith(".") or not path.is_file():
                continue
            stem = path.name[len(PREFIX):]
            if _CRON_FILE_RE.match(path.name):
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
