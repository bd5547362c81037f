"""Monthly scheduled runs: `nok-audit schedule install|remove|list` (its command line: crawler/cli/schedule.py).

`spec` holds what a schedule is (ScheduleSpec, the command it runs), `writers` the cron entry and the systemd
units, `install` writing, removing, listing and the pre-flight check.

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
