"""A checklist as loaded from YAML: items with their legal provenance and detection rules."""
from __future__ import annotations

from dataclasses import dataclass, field

INDICATORS = ("1.1", "1.2", "3.2", "extra")


@dataclass
class Item:
    id: str                  # stable id, e.g. "reg_date"
    name: str                # Russian name as in the act
    indicator: str           # one of INDICATORS
    legal_basis: str         # act and point, e.g. "442-ФЗ ст. 13 ч. 2; Приказ Минтруда № 886н п. 3"
    fix: str                 # Russian hint: what to publish, where
    detect: dict             # detection rule tree (any/all/none of checks), see checklists/engine.py
    confidence: str = "C"    # C confirmed (default) / P corroborated / U unconfirmed (regulations.md §0)
    counts_in_norm: bool = True   # counted in Инорм_сайт (indicator 1.1)
    allow_news: bool = False      # True: a news item is acceptable evidence for this item
    allow_stub: bool = False      # True: a section that is named but empty still counts as published
    sections: list[str] = field(default_factory=list)   # settings.sections it would live in (robots.txt)
    enabled: bool = True


@dataclass
class Checklist:
    id: str
    version: str
    name: str                # Russian title
    sector: str              # social | education | culture | health
    source: str              # file(s) it was loaded from
    items: list[Item] = field(default_factory=list)
    settings: dict = field(default_factory=dict)   # page classes, stub phrases, thresholds

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise KeyError(item_id)
