"""summary.csv and summary.xlsx: one row per organisation, one column pair per checklist item (and a third,
the markup, for the items that have one: education subsections). Several sectors: one XLSX sheet and one
extra CSV file per sector, with the columns of that sector's checklist.

Both files are made from the same table (`summary_table`). Cells that come from audited sites
(titles, URLs) are plain strings, never formulas: in CSV a leading = + - @ (or tab / CR) gets an
apostrophe; in XLSX every text cell is written with data_type 's'.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from checklists.sectors import TITLES as SECTOR_TITLES
from reports.atomic_file import write_atomically
from reports.diff import CHANGES_TITLE, NO_CHANGES
from reports.labels import MARKUP_TEXT, STATUS_WORD, WORKS_WORD

ITEM_NAME_CHARS = 60
LEADING = ["Организация", "Сайт", "Статус обхода", "Исайт", "Инорм_сайт", "Доля 1.1", "Каналов работает"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_CELL_LIMIT = 32767
# Characters XML 1.0 cannot hold (openpyxl refuses them).
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _short_name(name: str, item_id: str) -> str:
    name = " ".join(name.split())
    if len(name) > ITEM_NAME_CHARS:
        name = name[:ITEM_NAME_CHARS - 1].rstrip() + "…"
    return f"{name} ({item_id})"


def item_value(cell: dict | None) -> str:
    if cell is None:
        return ""
    text = STATUS_WORD.get(cell["status"], cell["status"])
    if cell["channel"] and cell["works"] in WORKS_WORD:
        text += ", " + WORKS_WORD[cell["works"]]
    return text


def changes_value(changes: dict | None) -> str:
    """One cell of «Изменения с прошлой проверки»: regressions first; '' when the report has no `changes`."""
    if changes is None:
        return ""
    parts = [f"ухудшение: {line}" for line in changes["regressions"]]
    parts += [f"улучшение: {line}" for line in changes["improvements"]]
    return "; ".join(parts) if parts else NO_CHANGES.lower()


def _with_changes(summary: dict) -> bool:
    """The column «Изменения с прошлой проверки» only when some report was made with --previous."""
    return bool(summary.get("changes"))


MARKUP_SUFFIX, EVIDENCE_SUFFIX = " — микроразметка", " — подтверждение"


def summary_table(summary: dict, sector: str | None = None) -> tuple[list[str], list[list]]:
    """(headers, rows): numbers stay numbers (share as a fraction 0…1), None for «no value». With `sector`:
    that sector's organisations and the items of its checklist."""
    checklist = summary["checklist_by_sector"][sector] if sector else summary["checklist"]
    orgs = [o for o in summary["organisations"] if sector is None or o["sector"] == sector]
    marked = {it["id"] for it in checklist if any("markup" in o["items"].get(it["id"], {}) for o in orgs)}
    headers = list(LEADING)
    if _with_changes(summary):
        headers.append(CHANGES_TITLE)
    for it in checklist:
        short = _short_name(it["name"], it["id"])
        headers += [short, f"{short}{EVIDENCE_SUFFIX}"] + ([f"{short}{MARKUP_SUFFIX}"] if it["id"] in marked else [])
    rows = []
    for org in orgs:
        row = [org["name"], org["url"], org["crawl_status_text"], org["found_1_1"], org["norm_1_1"],
               org["share_1_1"], org["channels_working"]]
        if _with_changes(summary):
            row.append(changes_value(org.get("changes")))
        for it in checklist:
            cell = org["items"].get(it["id"])
            row += [item_value(cell), cell["evidence_url"] if cell else ""]
            if it["id"] in marked:
                row.append(MARKUP_TEXT[cell["markup"]] if cell and "markup" in cell else "")
        rows.append(row)
    return headers, rows


def csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(summary: dict, path: Path, sector: str | None = None) -> None:
    """UTF-8 with BOM (Excel then reads Cyrillic), `;` separator, decimal comma."""
    headers, rows = summary_table(summary, sector)
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in headers])
    writer.writerows([csv_text(v) for v in row] for row in rows)
    write_atomically(Path(path), text.getvalue().encode("utf-8-sig"))


def _put_text(ws, row: int, col: int, text: str, bold: bool = False):
    from openpyxl.styles import Font     # openpyxl only when an XLSX is made (~80 ms to import)

    cell = ws.cell(row=row, column=col)
    cell.value = _ILLEGAL_XML.sub("\ufffd", str(text))[:XLSX_CELL_LIMIT]
    cell.data_type = "s"            # never a formula, whatever the text starts with
    if bold:
        cell.font = Font(bold=True)
    return cell


def _put(ws, row: int, col: int, value, number_format: str = ""):
    if value is None:
        return ws.cell(row=row, column=col)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        cell = ws.cell(row=row, column=col, value=value)
        if number_format:
            cell.number_format = number_format
        return cell
    return _put_text(ws, row, col, value)


def _sheet(ws, headers: list[str], rows: list[list], widths: list[float], formats: dict[int, str]) -> None:
    from openpyxl.styles import Alignment    # openpyxl only when an XLSX is made
    from openpyxl.utils import get_column_letter

    for col, header in enumerate(headers, 1):
        _put_text(ws, 1, col, header, bold=True).alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, 2):
        for col, value in enumerate(row, 1):
            _put(ws, r, col, value, formats.get(col, ""))
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(1, len(rows) + 1)}"


def write_xlsx(summary: dict, path: Path) -> None:
    write_atomically(Path(path), xlsx_bytes(summary))


def xlsx_bytes(summary: dict) -> bytes:
    from openpyxl import Workbook    # openpyxl only when an XLSX is made (~80 ms to import)

    wb = Workbook()
    sectors = summary.get("sectors") or []
    sectors = sectors if len(sectors) > 1 else [None]
    for n, sector in enumerate(sectors):
        headers, rows = summary_table(summary, sector)
        ws = wb.active if n == 0 else wb.create_sheet()
        ws.title = "Сводка" if sector is None else SECTOR_TITLES[sector].capitalize()[:31]   # Excel: 31 chars
        leading = [40, 36, 24, 9, 11, 10, 12] + ([60] if _with_changes(summary) else [])
        widths = leading + [36 if h.endswith(EVIDENCE_SUFFIX) else 14 if h.endswith(MARKUP_SUFFIX) else 18
                            for h in headers[len(leading):]]
        _sheet(ws, headers, rows, widths, {6: "0.0%"})

    items = wb.create_sheet("Пункты перечня")
    item_rows = [[r["name"], r["id"], r["indicator"], r["present"], r["audited"], r["share"]]
                 for r in summary["item_shares"]]
    _sheet(items, ["Пункт перечня", "Код", "Показатель", "Размещают", "Проверено сайтов", "Доля размещающих"],
           item_rows, [70, 20, 11, 12, 12, 14], {6: "0.0%"})

    data = io.BytesIO()
    wb.save(data)
    return data.getvalue()
