"""The sectors of НОК and their checklists: one line per sector.

A sector whose checklist is None is reserved (the tool knows the name, but has no checklist for it yet).
"""
from __future__ import annotations

CHECKLISTS = {
    "social": "social",           # built-in checklist names (checklists/loading.py BUILTIN_CHECKLISTS)
    "education": "education",
    "culture": None,
    "health": None,
}
TITLES = {"social": "социальное обслуживание", "education": "образование", "culture": "культура",
          "health": "охрана здоровья"}
# Names an operator's registry may use (lower case).
ALIASES = {"social": "social", "социальная": "social", "социальное обслуживание": "social", "соцзащита": "social",
           "социальная сфера": "social", "education": "education", "образование": "education",
           "образовательная": "education", "culture": "culture", "культура": "culture", "health": "health",
           "здравоохранение": "health", "охрана здоровья": "health"}
DEFAULT = "social"


class UnsupportedSector(ValueError):
    """Russian message: the sector is unknown or has no checklist yet."""


def sector_of(name: str) -> str:
    """The canonical sector of a registry cell or a --sector value ('' → the default)."""
    raw = (name or "").strip().lower()
    if not raw:
        return DEFAULT
    sector = ALIASES.get(raw)
    if sector is None:
        raise UnsupportedSector(f"неизвестная сфера «{name}» (допустимы: {', '.join(CHECKLISTS)})")
    return sector


def checklist_for(sector: str) -> str:
    """The built-in checklist of a canonical sector; UnsupportedSector for a reserved one."""
    name = CHECKLISTS[sector]
    if name is None:
        supported = ", ".join(s for s, c in CHECKLISTS.items() if c)
        raise UnsupportedSector(f"чек-лист для сектора «{sector}» ({TITLES[sector]}) не поддерживается "
                                f"(поддерживаются: {supported})")
    return name
