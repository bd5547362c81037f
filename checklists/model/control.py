"""What the control stage produces, stored as `controls.json` beside the stored crawl."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

# How a channel's functioning was established.
BROWSER = "browser"        # exercised in Chromium (form filled, switch clicked, page opened)
VALIDATED = "validated"    # published and syntactically validated (phone, e-mail); no call or letter was made
HTTP = "http"              # one polite request to an off-site link (survey on bus.gov.ru, a regional form)

IMPACTS = ("critical", "serious", "moderate", "minor")   # axe-core impact levels, most severe first

SCREENSHOTS = "screenshots"  # the folder of the audit that holds them (the web page also watches it appear)


@dataclass
class Screenshot:
    path: str                # relative to the audit folder, e.g. "screenshots/acc_alt_version-after.png"
    caption: str             # Russian: what it shows ("до нажатия «Версия для слабовидящих»")
    taken_at: str


@dataclass
class ControlResult:
    item_id: str
    works: bool | None       # None: the check could not decide (timeout, crash, nothing to check)
    reason: str              # Russian; why it works / does not / could not be checked
    method: str = BROWSER    # BROWSER | VALIDATED | HTTP
    url: str = ""            # the page the check started on
    final_url: str = ""
    status: int | None = None
    screenshots: list[Screenshot] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)      # Russian log of what was done
    details: dict = field(default_factory=dict)         # measurements (font sizes, colours, field counts)
    submitted: bool = False  # True only with --submit-forms

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ControlResult":
        d = dict(d)
        d["screenshots"] = [Screenshot(**s) for s in d.get("screenshots", [])]
        return cls(**d)


@dataclass
class AccessibilityResult:
    """Supplementary accessibility checks (not NOK points): axe-core and the 200 % zoom rule of ПП РФ № 102."""
    url: str
    variant: str             # "normal" | "alt_version"
    axe_version: str = ""
    violations_by_impact: dict[str, int] = field(default_factory=dict)   # critical/serious/moderate/minor
    violations: list[dict] = field(default_factory=list)   # {id, impact, help_ru, nodes, help_url}
    zoom_200_horizontal_scroll: bool | None = None
    zoom_details: dict = field(default_factory=dict)
    error: str = ""          # Russian, when the check could not run

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
