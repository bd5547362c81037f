"""What checklist evaluation produces: one Finding per checklist item, with evidence."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

PRESENT, ABSENT, UNKNOWN = "present", "absent", "unknown"
# A conditional item not found: not required of this organisation unless it says otherwise; counts for nothing.
NOT_APPLICABLE = "not_applicable"

# Evidence strength: only `strong` evidence makes an item present.
STRONG = "strong"      # the item is published here
WEAK = "weak"          # a mention that is not publication (a news item)
REJECTED = "rejected"  # named right but not evidence (a stub page, a dead link)

# Evidence kinds (where the match was made), with Russian labels for reports.
EVIDENCE_KINDS = {
    "page_title": "заголовок страницы (title)",
    "heading": "заголовок на странице",
    "link_text": "текст ссылки / пункт меню",
    "page_text": "текст страницы",
    "url_path": "адрес страницы",
    "document_title": "название документа",
    "document_text": "текст документа",
    "pattern": "найдено по шаблону",
    "link_host": "ссылка на внешний ресурс",
    "embed": "встроенный виджет / скрипт",
    "itemprop": "микроразметка itemprop",
    "form": "форма на странице",
}


@dataclass
class Evidence:
    url: str                 # the page or document that holds the evidence
    kind: str                # a key of EVIDENCE_KINDS
    snippet: str             # the matched text with a little context (plain text, untrusted)
    strength: str = STRONG
    note: str = ""           # Russian: why weak/rejected ("новость", "страница-заглушка", "ссылка не открывается")
    source_url: str = ""     # for link evidence: the page where the link was found


@dataclass
class Finding:
    item_id: str
    status: str              # present | absent | unknown
    reason: str = ""         # Russian; always set for absent/unknown
    evidence: list[Evidence] = field(default_factory=list)
    closed_sections: list[str] = field(default_factory=list)   # robots.txt-closed links that left it unknown
    # Second verdict of an education subsection (checklists/sveden.py): {level: complete|partial|none,
    # missing: [required itemprops], evidence: URL, subsection?: key}; None for other items.
    markup: dict | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
