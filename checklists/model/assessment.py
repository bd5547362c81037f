"""The Assessment of a site: every checklist item with its finding and control verdict, the 344н scores and the
fix-first list. Built by checklists/assess.py from findings + control results; reports/ only serialise and
render it."""
from __future__ import annotations

from dataclasses import dataclass, field

from checklists.model.checklist import Item
from checklists.model.control import ControlResult
from checklists.model.results import Finding

CONFIDENCE = ("C", "P", "U")
CONFIDENCE_TEXT = {
    "C": "правило подтверждено по тексту Приказа № 344н",
    "P": "правило подтверждено косвенно (реализация оператора НОК), сверьте с текстом приказа",
    "U": "правило не подтверждено: сверьте с официальным текстом перед использованием",
}


@dataclass
class Score:
    key: str                       # "1.1", "К1", "total"
    title: str
    value: float | None            # 0…100, None = not assessed
    formula: str                   # the formula with symbols
    formula_text: str              # the same with the numbers plugged in (or why it is not computed)
    inputs: dict = field(default_factory=dict)     # scalars: numbers, strings, booleans, null
    missing: list[str] = field(default_factory=list)   # Russian: what operator data is needed
    notes: list[str] = field(default_factory=list)
    confidence: str = "P"

    def to_dict(self) -> dict:
        return {"key": self.key, "title": self.title, "value": self.value, "formula": self.formula,
                "formula_text": self.formula_text, "inputs": dict(self.inputs), "missing": list(self.missing),
                "notes": list(self.notes), "confidence": self.confidence,
                "confidence_text": CONFIDENCE_TEXT[self.confidence]}


@dataclass
class AssessedItem:
    """One checklist item: what evaluation found and, for a channel or the alternative version, whether it works."""
    item: Item
    finding: Finding
    control: ControlResult | None = None   # the control stage's verdict; None: no result for this item
    works_checked: bool = False            # its functioning is part of the verdict (`works` applies)

    @property
    def id(self) -> str:
        return self.item.id

    @property
    def status(self) -> str:
        return self.finding.status

    @property
    def works(self) -> bool | None:
        return self.control.works if self.control is not None else None

    @property
    def in_norm_1_1(self) -> bool:
        """Counted in Инорм_сайт (formula 1.1 of 344н): the one place that says which items are."""
        return self.item.indicator == "1.1" and self.item.counts_in_norm


@dataclass
class SiteShare:
    """Исайт / Инорм_сайт: `unknown` items are not found, so with unknowns the share is a lower bound."""
    found: int
    norm: int
    unknown: int

    @property
    def share(self) -> float | None:
        return round(self.found / self.norm, 4) if self.norm else None


@dataclass
class Channel:
    """A 1.2 channel as scored: the operator's human check overrides the control stage."""
    id: str
    name: str
    present: bool
    works: bool | None
    source: str          # Russian: who established `works`
    counted: bool        # in Сдист: present and working
    undecided: bool      # present, functioning unknown


@dataclass
class SiteCondition:
    """A 3.2 condition the site itself establishes (the alternative version): counted when present and working."""
    id: str
    name: str
    condition: str
    status: str
    works: bool | None
    counted: bool


@dataclass
class Fix:
    """One entry of «что исправить в первую очередь», with the points it would gain."""
    item_id: str
    name: str
    indicator: str
    criterion: str
    status: str
    works: bool | None
    problem: str
    gain_indicator: float
    gain_criterion: float
    gain_total: float
    gain_text: str
    fix: str
    confidence: str
    markup: dict | None = None     # a markup defect (education): {level, missing, evidence}; gains are 0

    def to_dict(self) -> dict:
        d = dict(self.__dict__)
        if d["markup"] is None:
            del d["markup"]
        return d


@dataclass
class Assessment:
    items: list[AssessedItem]
    controls_run: bool                 # the control stage ran (an empty result list is not «did not run»)
    site_share: SiteShare
    channels: list[Channel]
    site_3_2: list[SiteCondition]
    indicators: list[Score]
    criteria: list[Score]
    total: Score
    band: str | None
    fix_first: list[Fix] = field(default_factory=list)

    def indicator(self, key: str) -> Score:
        return next(s for s in self.indicators if s.key == key)
