"""A schedule: its parameters (ScheduleSpec), the store URL and paths made absolute, the command it runs."""
from __future__ import annotations

import os
import pwd
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from crawler.store.db import safe_url


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
CRON_FILE_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
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


def absolute_path(path) -> Path:
    """Absolute and lexically normalised, symlinks kept (a venv's python is a symlink that must stay one)."""
    return Path(os.path.abspath(os.path.expanduser(str(path))))


def _normalise_db(db: str | None, out: Path) -> str:
    """The store URL with a relative SQLite path made absolute; a bare file path becomes a SQLite URL."""
    if not db:
        return f"sqlite:///{out / 'nok-audit.db'}"
    if "\n" in db or "\r" in db:
        raise ScheduleError("адрес базы --db не может содержать перевод строки")
    if "://" not in db:
        return f"sqlite:///{absolute_path(db)}"
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
    return f"{scheme}:///{absolute_path(database)}{rest[len(database):]}"


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
                    result[i + 1] = str(absolute_path(value))
            elif arg.startswith(opt + "="):
                value = arg[len(opt) + 1:]
                if value and not os.path.isabs(value) and os.path.exists(value):
                    result[i] = f"{opt}={absolute_path(value)}"
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
        self.registry = absolute_path(self.registry)
        self.out = absolute_path(self.out)
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
        self.python = str(absolute_path(self.python or sys.executable))
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
