"""What one run of one scenario on one candidate sees and produces (`RunContext`), and the small formatting
helpers the step handlers and the channel calls share."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checklists.model.control import BROWSER, Screenshot
from crawler.control.scenario import Scenario, ScenarioSet, Verdict


class _Vars(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def css_color_hex(c: str) -> str:
    """'rgb(34, 34, 34)' → '#222222' (anything else unchanged)."""
    nums = re.findall(r"[\d.]+", c or "")[:3]
    return "#" + "".join(f"{int(float(x)):02x}" for x in nums) if len(nums) == 3 else c


def seconds_ru(s: float) -> str:
    return f"{s:g}".replace(".", ",")


@dataclass
class RunContext:
    """Everything one run of one scenario on one candidate sees and produces."""
    scenario: Scenario
    sset: ScenarioSet
    attempt: int
    candidate: Any                  # crawler.control.candidates.Candidate or None
    finding: Any                    # checklists.model.results.Finding of the item
    site: Any                       # crawler.control.candidates.SiteInfo
    options: Any                    # crawler.control.stage.ControlOptions
    out_dir: Path
    context: Any = None             # playwright BrowserContext (None: no browser)
    page: Any = None
    page_factory: Any = None        # async () -> Page: the site's shared page
    guard: Any = None               # crawler.control.netguard.BrowserGuard: what the stage may contact
    data: dict = field(default_factory=dict)
    elements: dict = field(default_factory=dict)
    vars: dict = field(default_factory=dict)
    measures: dict = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    screenshots: list[Screenshot] = field(default_factory=list)
    details: dict = field(default_factory=dict)
    status: int | None = None
    url: str = ""
    method: str = BROWSER
    submitted: bool = False
    success: str = ""               # a step may replace the scenario's success text

    @property
    def item_id(self) -> str:
        return self.scenario.item

    @property
    def settings(self) -> dict:
        return self.sset.settings

    def log(self, text: str) -> None:
        self.steps.append(text)

    def fmt(self, template: str) -> str:
        values = _Vars({**self.data, **{k: v for k, v in self.vars.items() if not isinstance(v, (dict, list))}})
        values.setdefault("status", self.status if self.status is not None else "—")
        try:
            return template.format_map(values)
        except (ValueError, IndexError, AttributeError):
            return template

    def timeout_ms(self, share: float = 0.6) -> float:
        return max(500.0, self.options.check_timeout * 1000 * share)

    def element(self, name: str):
        loc = self.elements.get(name)
        if loc is None:
            raise Verdict(False, self.fmt(f"элемент «{name}» не найден на странице"), found=False)
        return loc

    async def new_page(self):
        """The site's page (one per site context, reused by the runs: a new page costs ~0.2 s)."""
        if self.context is None:
            raise Verdict(None, "браузер недоступен — проверка в браузере не выполнялась")
        if self.page is None:
            self.page = await self.page_factory() if self.page_factory else await self.context.new_page()
            self.page.set_default_timeout(self.timeout_ms())
            self.page.set_default_navigation_timeout(self.timeout_ms(0.8))
        return self.page
