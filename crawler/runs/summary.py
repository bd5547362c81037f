"""The batch summary over audit folders (`nok-audit report DIR …` and the end of every run)."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from crawler import __version__
from crawler.exits import EXIT_OK, BadInput
from reports.russian_format import format_time
from reports.summary import build_summary, load_reports, terminal_lines, write_summary


def summarise_folders(dirs: list[str], out: str, names: dict[str, str] | None = None) -> int:
    """`names`: the organisations' names from the registry by folder (default: each site's title)."""
    entries, problems = load_reports(dirs)
    for entry in entries:
        entry["name"] = (names or {}).get(str(entry["folder"]), "")
    for problem in problems:
        print(f"Предупреждение: {problem}", file=sys.stderr)
    if not entries:
        raise BadInput("ни в одной из указанных папок нет пригодного отчёта report.json — сводка не составлена")
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"не удалось создать папку сводки {out_dir}: {exc.strerror}") from None
    summary = build_summary(entries, out_dir)
    generated = format_time(datetime.now(timezone.utc).isoformat(timespec="seconds"))
    paths = write_summary(summary, out_dir, generated=generated, tool=f"nok-audit {__version__}")
    print("\n".join(terminal_lines(summary, paths, problems)))
    return EXIT_OK
