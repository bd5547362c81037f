"""`AuditPlan`: everything one site's audit needs, built once from the parsed options and handed to the
audit in every run mode — `nok-audit check`, a batch's per-site process, the in-process worker, a Scrapyd
job — as the object itself or as its JSON (`to_json` / `from_json`), never as argv to parse again.

A run keeps one plan without a site (`run_plan`) in the store (runs.check_args, as `{"plan": …}`); each site
gets its copy with `for_site`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace

from checklists.compile import ChecklistError
from checklists.loading import load_checklist
from checklists.methodology import MethodologyError, load_methodology
from checklists.operator_data import OperatorDataError, load_operator_data
from checklists.sectors import UnsupportedSector, checklist_for, sector_of
from crawler.control.stage import ControlOptions
from crawler.exits import BadInput
from crawler.registry import given_name


@dataclass
class CrawlOptions:
    max_pages: int = 300
    max_depth: int = 10
    max_documents: int = 150
    extra_hosts: list[str] = field(default_factory=list)
    allow_private: bool = False
    obey_robots: bool = True
    delay: float = 0.5
    concurrency: int = 2
    timeout: float = 20.0
    time_limit: float = 900.0
    max_retry_after: float = 120.0
    resolve: dict[str, str] = field(default_factory=dict)
    contact: str = ""
    progress: bool = True
    verbose: bool = False
    render: str = "auto"
    chromium: str = ""


@dataclass
class ReportOptions:
    """What the evaluation and the scores are measured against."""
    checklist: str | None = None       # checklist YAML (None: the sector's built-in checklist)
    methodology: str | None = None     # methodology YAML (None: checklists/methodology.yaml)
    operator_data: str | None = None   # the operator's inputs: stands, surveys, on-site conditions, calls
    name: str = ""                     # the organisation's name from the registry: wins over the site's own

    def validate(self, site_url: str) -> None:
        """Load everything before fetching: a typo must not cost a whole crawl."""
        for label, load, ref, errors in (
                ("чек-лист", load_checklist, self.checklist, ChecklistError),
                ("методика", load_methodology, self.methodology, MethodologyError)):
            try:
                load(ref)
            except (errors, OSError) as exc:
                raise BadInput(f"{label}: {exc}") from None
        if self.operator_data:
            try:
                load_operator_data(self.operator_data, site_url)
            except (OperatorDataError, OSError) as exc:
                raise BadInput(f"данные оператора: {exc}") from None


# ControlOptions fields that are the browser stage's own state, not options.
_RUNTIME = {"net_state"}


@dataclass
class AuditPlan:
    """One site's audit. `url`/`out` are empty in a run's plan (each site fills them)."""
    url: str = ""                      # the start address as typed (parse_start_url reads it at the audit)
    out: str = ""                      # the output folder ("" for `check`: nok-reports/<host>)
    sector: str = ""                   # the registry row's sector or --sector ("" — the checklist decides)
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    report: ReportOptions = field(default_factory=ReportOptions)
    browser: ControlOptions | None = None      # None: --no-browser
    accessibility: bool = True
    pdf: bool = True
    previous: str | None = None        # report.json of the previous audit of this organisation

    def to_json(self) -> str:
        data = asdict(self)
        if data["browser"] is not None:
            data["browser"] = {k: v for k, v in data["browser"].items() if k not in _RUNTIME}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "AuditPlan":
        """The plan written by `to_json`; BadInput (Russian) when `text` is not one."""
        try:
            data = json.loads(text)
            known = {f.name for f in fields(cls)}
            plan = cls(**{k: v for k, v in data.items() if k in known})
            plan.crawl = CrawlOptions(**data.get("crawl") or {})
            plan.report = ReportOptions(**data.get("report") or {})
            if data.get("browser") is not None:
                plan.browser = ControlOptions(**data["browser"])
            return plan
        except (ValueError, TypeError, AttributeError) as exc:
            raise BadInput(f"параметры проверки не прочитаны ({exc})") from None

    def check_command(self) -> list[str]:
        """The `nok-audit check` command line that audits this site the same way: shown in the report as
        «Команда» for a site a batch audited (its process takes the plan as JSON, which no one can retype).
        Only options that differ from the defaults; tests/test_plan.py parses it back into the same plan."""
        crawl, report, browser, default = self.crawl, self.report, self.browser, CrawlOptions()
        argv = ["nok-audit", "check", self.url] + (["--out", self.out] if self.out else [])
        for name in ("max_pages", "max_depth", "max_documents", "delay", "concurrency", "timeout", "time_limit",
                     "max_retry_after", "contact", "render", "chromium"):
            if getattr(crawl, name) != getattr(default, name):
                argv += ["--" + name.replace("_", "-"), str(getattr(crawl, name))]
        argv += [a for host in crawl.extra_hosts for a in ("--extra-host", host)]
        argv += [a for host, addr in crawl.resolve.items() for a in ("--resolve", f"{host}:{addr}")]
        argv += [flag for flag, on in (("--allow-private", crawl.allow_private),
                                       ("--ignore-robots", not crawl.obey_robots), ("--quiet", not crawl.progress),
                                       ("--verbose", crawl.verbose)) if on]
        if self.sector:
            argv += ["--sector", self.sector]
        if report.checklist is not None and not (self.sector and report.checklist == checklist_of_sector(self.sector)):
            argv += ["--checklist", report.checklist]
        for flag, value in (("--methodology", report.methodology), ("--operator-data", report.operator_data),
                            ("--name", report.name), ("--previous", self.previous)):
            if value:
                argv += [flag, value]
        argv += [flag for flag, on in (("--no-accessibility", not self.accessibility),
                                       ("--no-pdf", not self.pdf), ("--no-browser", browser is None)) if on]
        if browser is not None:
            base = ControlOptions()
            argv += [flag for flag, on in (("--submit-forms", browser.submit_forms), ("--check-mx", browser.check_mx),
                                           ("--offline", browser.offline)) if on]
            for flag, value, unset in (("--submit-message", browser.submit_message, base.submit_message),
                                       ("--controls", browser.scenarios, base.scenarios),
                                       ("--check-timeout", browser.check_timeout, base.check_timeout),
                                       ("--net-probe", browser.net_probe, base.net_probe)):
                if value != unset:
                    argv += [flag, str(value)]
        return argv

    def for_site(self, url: str, out: str, sector: str, name: str = "", extra_hosts=(),
                 previous: str | None = None) -> "AuditPlan":
        """This run's plan for one registry row: its address, folder, sector (which chooses the built-in
        checklist unless the run names its own), the name the row gave and additional hosts."""
        report = replace(self.report, name=given_name(name, url))
        if report.checklist is None and sector:
            report = replace(report, checklist=checklist_of_sector(sector))
        crawl = replace(self.crawl, extra_hosts=[*self.crawl.extra_hosts, *extra_hosts])
        return replace(self, url=url, out=out, sector=sector, crawl=crawl, report=report, previous=previous)


def checklist_of_sector(sector: str) -> str:
    try:
        return checklist_for(sector_of(sector))
    except UnsupportedSector as exc:
        raise BadInput(f"--sector: {exc}") from None


RUN_PLAN_KEY = "plan"


def stored_plan(check_args) -> AuditPlan | None:
    """A run's plan as the store keeps it (runs.check_args); None for a run stored before plans (a list of
    `check` options), which `nok-audit run --resume` converts first."""
    if isinstance(check_args, dict) and RUN_PLAN_KEY in check_args:
        return AuditPlan.from_json(check_args[RUN_PLAN_KEY])
    return None


def storable(plan: AuditPlan) -> dict:
    return {RUN_PLAN_KEY: plan.to_json()}
