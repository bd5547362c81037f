"""Monthly scheduling (`nok-audit schedule`): the cron.d file and systemd units it writes, list/remove, validation,
and — the point of it all — that the generated cron command really runs from cron's bare environment."""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli.schedule import add_parser, handle
from crawler.exits import BadInput
from crawler.schedule.install import InstallResult, install, installed, preflight, remove
from crawler.schedule.spec import ScheduleError, ScheduleSpec, command_line, display_db, shell_command, slugify
from crawler.schedule.writers import cron_entry, cron_escape, systemd_units

REPO = Path(__file__).parent.parent
CRON_D_NAME = re.compile(r"^[a-zA-Z0-9_-]+$")


def registry(folder: Path, name: str = "reg.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("Наименование;Сайт\nКЦСОН;kcson-example.ru\n", encoding="utf-8")
    return path


def cron_job(text: str) -> tuple[dict[str, str], list[str]]:
    """The environment lines and the job line (6 fields + command) of a system crontab."""
    env, jobs = {}, []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            key, value = line.split("=", 1)
            env[key] = value
        else:
            jobs.append(line)
    assert len(jobs) == 1, jobs
    return env, jobs[0].split(None, 6)


def cron_unescape(command: str) -> str:
    """What cron hands to the shell (Vixie cron do_command): `\\%` → `%`, an unescaped % ends the command."""
    out, escaped = [], False
    for ch in command:
        if escaped:
            if ch != "%":
                out.append("\\")
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "%":
            break
        else:
            out.append(ch)
    return "".join(out)


def test_cron_install_writes_a_cron_d_file_with_the_user_field(tmp_path):
    target = tmp_path / "cron.d"
    target.mkdir()
    spec = ScheduleSpec(registry=registry(tmp_path / "in"), out=tmp_path / "runs", day=7, at="4:30", keep=6,
                        extra=["--no-browser", "--jobs", "4"])
    result = install(spec, "cron", target, activate=False)
    assert isinstance(result, InstallResult)
    assert result.files == [target / "nok-audit-reg"] and CRON_D_NAME.match(result.files[0].name)
    assert stat.S_IMODE(result.files[0].stat().st_mode) == 0o644
    assert (tmp_path / "runs").is_dir()
    # Not /etc/cron.d: the scheduler will not see it, and the result says so.
    assert not result.activated and "/etc/cron.d" in result.hint and result.manual
    text = result.files[0].read_text(encoding="utf-8")
    assert text == cron_entry(spec) and text.endswith("\n")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("nok-audit schedule remove reg" in line for line in header)
    assert any(str(tmp_path / "runs" / "schedule.log") in line for line in header)
    env, fields = cron_job(text)
    assert env == {"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    assert fields[:6] == ["30", "4", "7", "*", "*", "root"]
    words = shlex.split(cron_unescape(fields[6]))
    assert words[:3] == ["cd", str(tmp_path), "&&"]
    assert words[-3:] == [">>", str(tmp_path / "runs" / "schedule.log"), "2>&1"]
    argv = command_line(spec)
    assert argv == [sys.executable, "-m", "crawler.cli", "run", str(tmp_path / "in" / "reg.csv"),
                    "--db", f"sqlite:///{tmp_path}/runs/nok-audit.db", "--out", str(tmp_path / "runs"),
                    "--keep", "6", "--no-browser", "--jobs", "4"]
    assert words[3:5] == ["LANG=C.UTF-8", "PYTHONIOENCODING=utf-8"] and words[5:-3] == argv
    assert all(os.path.isabs(argv[i]) for i in (0, 4, 8))


def test_default_name_is_a_cron_d_safe_slug_of_the_registry_file(tmp_path):
    spec = ScheduleSpec(registry=registry(tmp_path, "Реестр КЦСОН 2025.v2.xlsx"), out=tmp_path / "o")
    assert spec.name == "reestr-ktsson-2025-v2"
    assert slugify("list.v2") == "list-v2" and slugify("...") == "registry"
    target = tmp_path / "cron.d"
    target.mkdir()
    (path,) = install(spec, "cron", target, activate=False).files
    assert path.name == "nok-audit-reestr-ktsson-2025-v2" and CRON_D_NAME.match(path.name)  # no dots
    assert not list(target.glob(".*")), "temporary file left behind"


def test_relative_paths_and_store_urls_are_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    registry(tmp_path)
    (tmp_path / "data").mkdir()
    spec = ScheduleSpec(registry=Path("reg.csv"), out=Path("runs/monthly"), db="sqlite:///data/nok.db?timeout=30")
    assert spec.registry == tmp_path / "reg.csv" and spec.out == tmp_path / "runs" / "monthly"
    assert spec.db == f"sqlite:///{tmp_path}/data/nok.db?timeout=30"
    assert ScheduleSpec(registry="reg.csv", out="o", db="data/x.db").db == f"sqlite:///{tmp_path}/data/x.db"
    assert ScheduleSpec(registry="reg.csv", out="o").db == f"sqlite:///{tmp_path}/o/nok-audit.db"
    pg = "postgresql+psycopg://nok@db.example:5432/nok"
    assert ScheduleSpec(registry="reg.csv", out="o", db=pg).db == pg
    # A file option of `run` given relative to here is made absolute: the job does not start here.
    (tmp_path / "my.yaml").write_text("{}", encoding="utf-8")
    spec = ScheduleSpec(registry="reg.csv", out="o", extra=["--checklist", "my.yaml", "--jobs", "3"])
    assert spec.extra == ["--checklist", str(tmp_path / "my.yaml"), "--jobs", "3"]


def test_password_in_store_url_is_hidden_and_the_file_not_world_readable(tmp_path):
    target = tmp_path / "cron.d"
    target.mkdir()
    spec = ScheduleSpec(registry=registry(tmp_path), out=tmp_path / "o",
                        db="postgresql+psycopg://nok:s3cret@db.example/nok")
    (path,) = install(spec, "cron", target).files
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "s3cret" not in display_db(spec.db)
    header = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                       if line.startswith("# ") and "nok-audit-schedule" not in line)
    assert "s3cret" not in header and "***" in header


def test_systemd_service_and_timer(tmp_path):
    target = tmp_path / "system"
    target.mkdir()
    out = tmp_path / "runs 100% $HOME"   # a space, a specifier and a variable: all must be escaped
    spec = ScheduleSpec(registry=registry(tmp_path / "мой реестр"), out=out, name="social", day=15, at="23:05",
                        keep=12)
    result = install(spec, "systemd", target, activate=True)
    assert [p.name for p in result.files] == ["nok-audit-social.service", "nok-audit-social.timer"]
    # Written outside the folders systemd reads: never activated, the manual commands are returned.
    assert not result.activated and "systemctl enable --now nok-audit-social.timer" in result.manual
    units = systemd_units(spec)
    assert {p.name: p.read_text(encoding="utf-8") for p in result.files} == units
    timer = units["nok-audit-social.timer"].splitlines()
    for line in ("OnCalendar=*-*-15 23:05:00", "Persistent=true", "RandomizedDelaySec=0", "WantedBy=timers.target"):
        assert line in timer
    service = units["nok-audit-social.service"].splitlines()
    assert "Type=oneshot" in service and "Environment=LANG=C.UTF-8 PYTHONIOENCODING=utf-8" in service
    assert f"WorkingDirectory={tmp_path}" in service
    assert f"StandardOutput=append:{tmp_path}/runs 100%% $HOME/schedule.log" in service
    exec_start = next(line for line in service if line.startswith("ExecStart="))
    assert exec_start == ("ExecStart=" + sys.executable + " -m crawler.cli run "
                          f'"{tmp_path}/мой реестр/reg.csv" --db "sqlite:///{tmp_path}/runs 100%% $$HOME/nok-audit.db"'
                          f' --out "{tmp_path}/runs 100%% $$HOME" --keep 12')

    analyze = shutil.which("systemd-analyze")
    if analyze:   # systemd's own parser accepts the units (it needs no running systemd)
        proc = subprocess.run([analyze, "verify", *map(str, result.files)], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert "nok-audit-social" not in proc.stderr, proc.stderr


def test_list_and_remove(tmp_path):
    cron_d, system = tmp_path / "cron.d", tmp_path / "system"
    cron_d.mkdir()
    system.mkdir()
    reg = registry(tmp_path)
    install(ScheduleSpec(registry=reg, out=tmp_path / "a", name="alpha", keep=3, extra=["--no-browser"]),
            "cron", cron_d)
    install(ScheduleSpec(registry=reg, out=tmp_path / "b", name="beta", day=2, at="05:00"), "systemd", system,
            activate=False)
    (cron_d / "other-job").write_text("0 1 * * * root true\n", encoding="utf-8")
    found = {s.name: s for s in installed([cron_d, system])}
    assert set(found) == {"alpha", "beta"}
    assert found["alpha"].kind == "cron" and found["alpha"].keep == 3 and found["alpha"].extra == ["--no-browser"]
    assert found["alpha"].registry == str(reg) and found["alpha"].log == tmp_path / "a" / "schedule.log"
    assert found["beta"].kind == "systemd" and found["beta"].when() == "2-го числа каждого месяца в 05:00"
    assert [p.name for p in found["beta"].files] == ["nok-audit-beta.service", "nok-audit-beta.timer"]

    # A second schedule filling the same run folder is refused.
    with pytest.raises(ScheduleError, match="уже заполняет расписание «alpha»"):
        install(ScheduleSpec(registry=reg, out=tmp_path / "a", name="gamma"), "cron", cron_d)

    assert remove("alpha", "cron", cron_d).files == [cron_d / "nok-audit-alpha"]
    assert [s.name for s in installed([cron_d, system])] == ["beta"]
    with pytest.raises(ScheduleError, match="расписание «alpha» не найдено"):
        remove("alpha", "cron", cron_d)
    result = remove("beta", None, system, activate=False)
    assert sorted(p.name for p in result.files) == ["nok-audit-beta.service", "nok-audit-beta.timer"]
    assert installed([cron_d, system]) == [] and (cron_d / "other-job").exists()
    assert (tmp_path / "a").is_dir(), "removing a schedule must not touch its runs"


@pytest.mark.parametrize("kwargs, message", [
    ({"day": 31}, "29–31"),
    ({"day": 0}, "от 1 до 28"),
    ({"at": "25:00"}, "ЧЧ:ММ"),
    ({"at": "3pm"}, "ЧЧ:ММ"),
    ({"keep": 0}, "не меньше 1"),
    ({"name": "my.registry"}, "латинские"),
    ({"extra": ["--out", "/elsewhere"]}, "задаётся самим расписанием"),
    ({"user": "no-such-user-nok"}, "не найден"),
    ({"db": "sqlite://"}, "в памяти"),
])
def test_invalid_specs_are_refused_in_russian(tmp_path, kwargs, message):
    with pytest.raises(ScheduleError, match=message):
        ScheduleSpec(registry=registry(tmp_path), out=tmp_path / "o", **kwargs)


def test_missing_registry_and_missing_cron(tmp_path):
    with pytest.raises(ScheduleError, match=r"файл реестра .*missing\.csv не найден"):
        ScheduleSpec(registry=tmp_path / "missing.csv", out=tmp_path / "o")
    spec = ScheduleSpec(registry=registry(tmp_path), out=tmp_path / "o")
    with pytest.raises(ScheduleError, match=r"cron не установлен.*apt-get install cron.*--kind systemd"):
        install(spec, "cron", tmp_path / "no-cron.d")


def test_cron_command_runs_from_a_bare_environment(tmp_path):
    """Run the job line of the installed cron file exactly as cron would: its %-escapes undone, `/bin/sh -c`,
    only the file's own variables in the environment. The interpreter here is a stand-in that records what it
    was started with, so the test checks the quoting of awkward paths without the `run` command itself."""
    tools = tmp_path / "bin dir"
    tools.mkdir()
    recorder = tools / "python"
    recorder.write_text('#!/bin/sh\nprintf "%s\\n" "$PWD" "$LANG" "$PYTHONIOENCODING" "$@" > "$0.argv"\n'
                        'echo "запуск записан"\n', encoding="utf-8")
    recorder.chmod(0o755)
    awkward = tmp_path / "it's 100% $HOME `x`"
    spec = ScheduleSpec(registry=registry(awkward / "реестр"), out=awkward / "runs", python=str(recorder),
                        keep=2, extra=["--delay", "0.5"])
    target = tmp_path / "cron.d"
    target.mkdir()
    (path,) = install(spec, "cron", target).files
    env, fields = cron_job(path.read_text(encoding="utf-8"))
    proc = subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-c",
                           cron_unescape(fields[6])], capture_output=True, text=True, timeout=60, cwd="/")
    assert proc.returncode == 0, proc.stderr
    recorded = (tools / "python.argv").read_text(encoding="utf-8").splitlines()
    assert recorded == [str(spec.workdir), "C.UTF-8", "utf-8", *command_line(spec)[1:]]
    assert (spec.out / "schedule.log").read_text(encoding="utf-8") == "запуск записан\n"


def test_real_interpreter_starts_nok_audit_from_a_bare_environment(tmp_path):
    """The project's interpreter (sys.executable, the venv's) runs `-m crawler.cli` with no PATH, no venv
    activation and no variables at all, through the same quoting and cron escaping as the job line."""
    spec = ScheduleSpec(registry=registry(tmp_path), out=tmp_path / "100% runs" / "monthly")
    spec.out.mkdir(parents=True)
    line = cron_escape(shell_command([spec.python, "-m", "crawler.cli", "--version"], spec.workdir, spec.log))
    proc = subprocess.run(["env", "-i", "/bin/sh", "-c", cron_unescape(line)], capture_output=True, text=True,
                          timeout=120, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert "nok-audit" in (spec.out / "schedule.log").read_text(encoding="utf-8")
    assert preflight(spec).startswith("nok-audit ")


def _cli(argv: list[str]):
    parser = argparse.ArgumentParser(prog="nok-audit")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return handle(parser.parse_args(argv), ["nok-audit", *argv])


def test_schedule_command_line(tmp_path, capsys):
    reg = registry(tmp_path)
    system = tmp_path / "system"
    system.mkdir()
    assert _cli(["schedule", "install", str(reg), "--out", str(tmp_path / "runs"), "--kind", "systemd",
                 "--target", str(system), "--day", "3", "--keep", "4", "--name", "monthly",
                 "--run-options", "--no-browser", "--jobs", "4"]) == 0
    out = capsys.readouterr().out
    assert "Расписание «monthly» установлено (таймер systemd)" in out
    assert str(system / "nok-audit-monthly.timer") in out
    assert f"Журнал: {tmp_path}/runs/schedule.log" in out
    assert "--keep 4 --no-browser --jobs 4" in out
    assert "systemctl enable --now nok-audit-monthly.timer" in out   # not activated: how to do it by hand

    assert _cli(["schedule", "list", "--target", str(system)]) == 0
    assert "monthly (systemd): 3-го числа каждого месяца в 03:00" in capsys.readouterr().out

    with pytest.raises(BadInput, match="29–31"):
        _cli(["schedule", "install", str(reg), "--out", str(tmp_path / "x"), "--day", "30",
              "--target", str(system), "--kind", "systemd"])
    with pytest.raises(BadInput, match="не приняты командой nok-audit run.*--jbs"):
        _cli(["schedule", "install", str(reg), "--out", str(tmp_path / "x"), "--target", str(system),
              "--kind", "systemd", "--run-options", "--jbs", "4"])
    assert not (system / "nok-audit-reg.timer").exists()

    assert _cli(["schedule", "remove", "monthly", "--target", str(system), "--no-activate"]) == 0
    assert "удалено" in capsys.readouterr().out
    assert _cli(["schedule", "list", "--target", str(system)]) == 0
    assert "Расписаний nok-audit нет" in capsys.readouterr().out


def test_scheduled_job_audits_the_registry_from_a_bare_environment(sites, tmp_path):
    """The whole point: the installed cron job, run as cron runs it, audits a (loopback) registry into the
    store, twice — the second time a new run, so the store holds the monthly history."""
    reg = tmp_path / "reg.csv"
    reg.write_text(f"Наименование;Сайт\nКЦСОН;{sites['kcson_full'].base_url}/\n", encoding="utf-8")
    spec = ScheduleSpec(registry=reg, out=tmp_path / "runs", keep=1,
                        extra=["--no-browser", "--delay", "0", "--timeout", "5", "--allow-private"])
    target = tmp_path / "cron.d"
    target.mkdir()
    (path,) = install(spec, "cron", target).files
    env, fields = cron_job(path.read_text(encoding="utf-8"))
    for _ in range(2):
        proc = subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-c",
                               cron_unescape(fields[6])], capture_output=True, text=True, timeout=300, cwd="/")
        assert proc.returncode == 0, (spec.out / "schedule.log").read_text(encoding="utf-8")
    log = (spec.out / "schedule.log").read_text(encoding="utf-8")
    assert "Прогон 2: результатов 1 из 1" in log and "удалены старые прогоны 1" in log
    assert (spec.out / "run-2" / "summary" / "summary.html").exists() and not (spec.out / "run-1").exists()
