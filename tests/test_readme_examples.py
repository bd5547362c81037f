"""Every checklist, YAML and command example of README.md, run as written, so the documentation cannot drift
from the code.

YAML/checklist examples are used verbatim. Command examples run in a scratch folder (with `.venv` linked to the
project's venv) in README order; only what would leave this machine or touch the system is substituted, and
each substitution is listed in SUBSTITUTE. A command the test cannot run is listed in NOT_RUN with the reason;
a new README command that is in neither list fails the test.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from checklists.loading import load_checklist

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)

# Commands that are not run here, by how they start, and why.
NOT_RUN = {
    "./setup.sh": "installs the machine (apt, venv): what CI itself runs before this suite",
    "./test.sh": "runs this very suite",
    "git clone": "fetches the project from the internet",
    "cd /opt/nok-audit": "the folder of that clone on a worker node",
    "sudoedit": "edits a system file by hand",
    "sudo systemctl": "changes the system's services",
    ".venv/bin/python bench/run.py": "the benchmark (minutes of load; bench/ has its own checks)",
    "SVEDEN_CHECKER_DIR=/tmp/sveden-checker .venv/bin/python bench/peer_sveden.py": "a benchmark against another "
        "project's source that `git clone` fetches from the internet (its results are in bench/results/)",
    ".venv/bin/nok-audit serve": "a web server that runs until stopped: tests/test_serve.py starts it on loopback "
                                 "and drives it in Chromium",
    ".venv/bin/nok-audit run registry.xlsx --db postgresql": "needs PostgreSQL and Scrapyd nodes on other "
                                                             "machines: tests/test_distributed.py runs it on loopback",
}


def fenced(lang: str) -> list[str]:
    return [body for kind, body in _FENCE.findall(README) if kind == lang]


def commands() -> list[str]:
    """The sh examples, one command each: continuation lines joined, comments dropped, `&&` split."""
    out = []
    for block in fenced("sh"):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            out.extend(" ".join(c.split()) for c in line.split(" && ") if c.strip())
    return out


def checklist_examples() -> list[str]:
    return [b for b in fenced("yaml") if re.search(r"^(extends|items):", b, re.M)]


def test_every_yaml_checklist_example_loads_as_written(tmp_path):
    examples = checklist_examples()
    assert examples, "README shows a checklist example"
    others = [b for b in fenced("yaml") if b not in examples]
    assert not others, f"a YAML example this test does not know how to check: {others[0][:200]}"
    for n, text in enumerate(examples):
        path = tmp_path / f"example{n}.yaml"
        path.write_text(text, encoding="utf-8")
        checklist = load_checklist(path)           # raises ChecklistError with the Russian message
        added = [i for i in checklist.items if i.id not in {j.id for j in load_checklist().items}]
        for item in added:
            assert item.confidence == "C"           # the documented default of the optional field


def test_every_command_is_run_or_says_why_not():
    unplaced = [c for c in commands() if not c.startswith((".venv/bin/nok-audit", "sudo /opt/nok/.venv/bin/nok-audit"))
                and not c.startswith(tuple(NOT_RUN))]
    assert not unplaced, f"README commands neither run by this test nor listed in NOT_RUN: {unplaced}"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, sites):
    """A folder laid out as the README assumes: the venv, regional.yaml (the README's own example) and a
    registry of one loopback organisation."""
    import openpyxl

    d = tmp_path_factory.mktemp("readme")
    (d / ".venv").symlink_to(ROOT / ".venv")
    (d / "regional.yaml").write_text(checklist_examples()[0], encoding="utf-8")   # «regional.yaml» of the README
    book = openpyxl.Workbook()
    book.active.append(["Наименование", "Сайт", "Сфера"])
    book.active.append(["КЦСОН (тестовый сайт)", sites["kcson_full"].base_url + "/", "социальное обслуживание"])
    book.save(d / "registry.xlsx")
    (d / "srv" / "nok").mkdir(parents=True)
    (d / "etc").mkdir()
    shutil.copy(d / "registry.xlsx", d / "srv" / "nok" / "registry.xlsx")
    return d


def substitute(cmd: str, d: Path, site_url: str) -> str:
    """What would leave this machine or touch the system, made local (SUBSTITUTE below lists it)."""
    for old, new in SUBSTITUTE:
        cmd = cmd.replace(old, new.format(d=d, site=site_url))
    return cmd


SUBSTITUTE = [
    ("https://kcson-example.ru", "{site}"),                           # the example site: a loopback test site
    ("sudo /opt/nok/.venv/bin/nok-audit", ".venv/bin/nok-audit"),     # no root, the project's venv
    ("/srv/", "{d}/srv/"),                                            # system folders: the scratch folder
    ("--run-options", "--target {d}/etc --run-options --allow-private"),  # schedule files not into /etc
    ("run registry.xlsx --out", "run registry.xlsx --allow-private --out"),  # its rows are loopback test sites
    ("/tmp/run3", "{d}/run3"),
    ("rescore 5", "rescore 1"),                                       # the run ids of this store
    ("report --run 3", "report --run 1"),
]


def sh(cmd: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def test_readme_commands_run_as_written(scratch, sites):
    d, site = scratch, sites["kcson_full"].base_url + "/"
    ran = []
    for cmd in commands():
        if cmd.startswith(tuple(NOT_RUN)):
            continue
        local = substitute(cmd, d, site)
        if " run registry.xlsx " in cmd and not ran.count(cmd):
            first = sh(local, d)                     # «next month»: diff needs two runs of the registry
            assert first.returncode == 0, (cmd, first.stderr)
        if " report nok-reports/kcson-* " in f" {cmd} ":
            shutil.copytree(d / "reports" / "kcson", d / "nok-reports" / "kcson-full", dirs_exist_ok=True)
        result = sh(local, d)
        ran.append(cmd)
        if "run --resume" in cmd:
            # Nothing was interrupted here: the command is accepted and says so (test_store.py resumes for real).
            assert result.returncode == 2 and "нет незавершённого прогона" in result.stderr, result.stderr
            continue
        assert result.returncode == 0, (cmd, local, result.stdout[-2000:], result.stderr[-2000:])
    assert len(ran) >= 12
    # what the examples promise
    report = json.loads((d / "reports" / "kcson" / "report.json").read_text(encoding="utf-8"))
    ids = {i["id"]: i for i in report["items"]}
    assert "trustees_council" in ids and "paid_services_doc" not in ids      # evaluate --checklist regional.yaml
    assert report["checklist"]["id"] == "social-region-77"
    assert (d / "nok-reports" / "summary" / "summary.html").exists()
    assert (d / "run3" / "summary").exists() or any((d / "run3").iterdir())
    assert list((d / "etc").iterdir()), "schedule install wrote its files to --target"
    assert (d / "srv" / "nok-node" / "scrapyd.conf").exists()
