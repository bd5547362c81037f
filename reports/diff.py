"""What changed between two audits of the same organisations: items that appeared or disappeared, channels
that stopped or started working, the 1.1 site share, the total score, sites that went down or came back.
Regressions first.

Items are matched by id: an item that only one of the two checklists has (another checklist or version) is
not compared. The same lines are the «Изменения с прошлой проверки» of a report made with --previous.

Works on report.json files, so any two stored runs can be compared: `nok-audit diff OLD NEW`, where OLD and
NEW are audit folders (one organisation) or run folders (one sub-folder per organisation, as `nok-audit run`
writes them; organisations are matched by folder name, i.e. by host).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from checklists.russian_numbers import num

REPORT = "report.json"
# Headings of «what changed» wherever it is shown (report.html/.md with --previous, the batch summary).
CHANGES_TITLE = "Изменения с прошлой проверки"
REGRESSIONS_TITLE = "Ухудшения"
IMPROVEMENTS_TITLE = "Улучшения"
NO_CHANGES = "Изменений нет"


@dataclass
class SiteDiff:
    name: str
    regressions: list[str] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)


def _load(path: Path) -> dict | None:
    try:
        return json.loads((path / REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _share(report: dict) -> float | None:
    share = report.get("summary", {}).get("site_share_1_1", {}).get("share")
    return None if share is None else round(share * 100, 1)


def total_score(report: dict) -> float | None:
    """The total score of 344н (scores.total.value), None when not computed or the report has no scores."""
    scores = report.get("scores")
    total = scores.get("total") if isinstance(scores, dict) else None
    value = total.get("value") if isinstance(total, dict) else None
    return None if isinstance(value, bool) or not isinstance(value, (int, float)) else value


def diff_reports(name: str, old: dict, new: dict) -> SiteDiff:
    d = SiteDiff(name)
    old_up, new_up = old["crawl"]["entry_ok"], new["crawl"]["entry_ok"]
    if old_up and not new_up:
        d.regressions.append(f"сайт перестал открываться: {new['crawl'].get('entry_error') or 'недоступен'}")
        return d
    if new_up and not old_up:
        d.improvements.append("сайт снова открывается")
    if not (old_up and new_up):
        return d
    before = {i["id"]: i for i in old["items"]}
    for item in new["items"]:
        was = before.get(item["id"])
        if was is None:
            continue
        if was["status"] == "present" and item["status"] != "present":
            d.regressions.append(f"«{item['name']}»: было размещено, теперь {item['status_text']}")
        elif was["status"] != "present" and item["status"] == "present":
            d.improvements.append(f"«{item['name']}»: теперь размещено")
        if was.get("works") is True and item.get("works") is False:
            d.regressions.append(f"«{item['name']}»: перестал работать — {item.get('works_text', '')}")
        elif was.get("works") is False and item.get("works") is True:
            d.improvements.append(f"«{item['name']}»: снова работает")
    s_old, s_new = _share(old), _share(new)
    if s_old is not None and s_new is not None and s_old != s_new:
        line = f"доля обязательной информации (1.1): {num(s_old, 1)} % → {num(s_new, 1)} %"
        (d.regressions if s_new < s_old else d.improvements).append(line)
    t_old, t_new = (None if t is None else round(float(t), 2) for t in (total_score(old), total_score(new)))
    if t_old is not None and t_new is not None and t_old != t_new:
        line = f"итоговый балл: {num(t_old)} → {num(t_new)}"
        (d.regressions if t_new < t_old else d.improvements).append(line)
    return d


def diff_folders(old: Path, new: Path) -> tuple[list[SiteDiff], list[str]]:
    """(per-site differences, Russian notes about sites only in one of the runs)."""
    old, new = Path(old), Path(new)
    notes: list[str] = []
    if (old / REPORT).exists() and (new / REPORT).exists():
        pairs = {new.name: (old, new)}
    else:
        olds = {p.name: p for p in old.iterdir() if (p / REPORT).exists()} if old.is_dir() else {}
        news = {p.name: p for p in new.iterdir() if (p / REPORT).exists()} if new.is_dir() else {}
        pairs = {k: (olds[k], news[k]) for k in sorted(olds.keys() & news.keys())}
        notes = ([f"{k}: нет в новом прогоне" for k in sorted(olds.keys() - news.keys())]
                 + [f"{k}: новый в этом прогоне" for k in sorted(news.keys() - olds.keys())])
    loaded = [(name, _load(a), _load(b)) for name, (a, b) in pairs.items()]
    return compare((rb.get("site", {}).get("name") or rb.get("site", {}).get("title") or name, ra, rb)
                   for name, ra, rb in loaded if ra is not None and rb is not None), notes


def compare(pairs) -> list[SiteDiff]:
    """Each (name, old report, new report) compared; the organisations with most regressions first."""
    return sorted((diff_reports(name, old, new) for name, old, new in pairs),
                  key=lambda d: (-len(d.regressions), d.name))


def terminal_lines(diffs: list[SiteDiff], notes: list[str]) -> list[str]:
    lines = []
    changed = [d for d in diffs if d.regressions or d.improvements]
    lines.append(f"Изменения с прошлой проверки: организаций сравнено {len(diffs)}, с изменениями {len(changed)}, "
                 f"с ухудшениями {sum(1 for d in diffs if d.regressions)}")
    for d in changed:
        lines.append(d.name)
        lines.extend(f"  − {r}" for r in d.regressions)
        lines.extend(f"  + {r}" for r in d.improvements)
    lines.extend(notes)
    return lines
