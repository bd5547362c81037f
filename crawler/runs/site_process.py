"""One site of a local batch in a process of its own (crawler/runs/local.py starts it):

    python -m crawler.runs.site_process PLAN_JSON [LABEL …]

The site's AuditPlan comes as JSON; the audit is `nok-audit check`'s (crawler/audit.py), with its exit codes
(0 done, 2 bad input, 3 unreachable, 1 internal error) and messages. LABELs (run=N site=KEY) only name the job
in report.json's command and in `ps`.
"""
from __future__ import annotations

import sys

from crawler.audit import audit_site
from crawler.exits import EXIT_BAD_INPUT, guarded
from crawler.plan import AuditPlan


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print("Ошибка: нужен план проверки (JSON)", file=sys.stderr)
        return EXIT_BAD_INPUT
    command = ["python", "-m", "crawler.runs.site_process", *argv[1:]]
    return guarded(lambda: audit_site(AuditPlan.from_json(argv[0]), command)[0])


if __name__ == "__main__":
    sys.exit(main())
