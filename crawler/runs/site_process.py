"""One site of a local batch in a process of its own (crawler/runs/local.py starts it):

    python -m crawler.runs.site_process PLAN_JSON [LABEL …]

The site's AuditPlan comes as JSON; the audit is `nok-audit check`'s (crawler/audit.py), with its exit codes
(0 done, 2 bad input, 3 unreachable, 1 internal error) and messages; report.json's command is the equivalent
`nok-audit check` line. LABELs (run=N site=KEY) only name the job in `ps`.
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
    def audit() -> int:
        plan = AuditPlan.from_json(argv[0])
        return audit_site(plan, plan.check_command())[0]
    return guarded(audit)


if __name__ == "__main__":
    sys.exit(main())
