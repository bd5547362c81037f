"""AuditPlan.check_command: the `nok-audit check` line shown for a batch's site audits that site the same
way — parsed by check's own parser it gives back the very same plan."""
from __future__ import annotations

from pathlib import Path

import pytest

from crawler.cli.check import check_parser
from crawler.cli.options import plan_from_args
from crawler.plan import AuditPlan

ROOT = Path(__file__).resolve().parent.parent


def plan_of(argv: list[str]) -> AuditPlan:
    args = check_parser().parse_args(argv)
    return plan_from_args(args, url=args.url, out=args.out)


@pytest.mark.parametrize("argv", [
    ["https://kcson.example.ru/"],
    ["http://127.0.0.5:8080/", "--out", "/tmp/x y", "--max-pages", "40", "--max-depth", "0", "--delay", "0",
     "--allow-private", "--ignore-robots", "--quiet", "--no-browser", "--no-pdf", "--name", "ГБУ «КЦСОН» №1"],
    ["https://school.example.ru/", "--sector", "education", "--extra-host", "old.example.ru",
     "--extra-host", "b.example.ru", "--resolve", "school.example.ru:127.0.0.9", "--contact", "https://op.example/",
     "--timeout", "7.5", "--time-limit", "60", "--max-retry-after", "0", "--render", "never", "--verbose",
     "--submit-forms", "--submit-message", "Проверка связи", "--check-mx", "--offline", "--check-timeout", "4",
     "--net-probe", "https://probe.example/", "--no-accessibility", "--concurrency", "1", "--max-documents", "3"],
    ["https://kcson.example.ru/", "--sector", "education", "--checklist", str(ROOT / "checklists/social.yaml"),
     "--methodology", str(ROOT / "checklists/methodology.yaml"), "--controls", str(ROOT / "checklists/controls.yaml"),
     "--chromium", "/usr/bin/chromium", "--previous", "/tmp/old/report.json"],
])
def test_check_command_parses_back_into_the_same_plan(argv):
    plan = plan_of(argv)
    command = plan.check_command()
    assert command[:3] == ["nok-audit", "check", argv[0]]
    assert plan_of(command[2:]) == plan
    assert plan_of(command[2:]).to_json() == plan.to_json()


def test_a_batch_site_plan_names_its_registry_row_in_the_command():
    run_plan = plan_of(["x", "--no-browser", "--max-pages", "5", "--allow-private"])
    site = run_plan.for_site("https://school.example.ru/", "/runs/run-1/.work/school.1", "education",
                             name="Школа № 5")
    command = site.check_command()
    assert command[2:5] == ["https://school.example.ru/", "--out", "/runs/run-1/.work/school.1"]
    assert ["--sector", "education"] == command[command.index("--sector"):command.index("--sector") + 2]
    assert "--checklist" not in command          # the sector chooses it
    assert plan_of(command[2:]) == site
