"""The operator's registry of organisations (CSV or XLSX), validated row by row before anything is fetched.

Column names may be Russian or English (see COLUMNS). A bad row gets a Russian message naming its row
number and what to fix, and is skipped; the valid rows go on.
"""
from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer

from checklists.sectors import UnsupportedSector, checklist_for, sector_of
from checklists.urls import host_key
from crawler.scope import AddressGuard, InvalidURL, parse_start_url

# canonical column -> accepted header names (compared lower-cased, spaces and punctuation squeezed)
COLUMNS = {
    "name": ("name", "organisation", "organization", "наименование", "организация", "название",
             "наименование организации"),
    "url": ("url", "site", "website", "сайт", "адрес сайта", "официальный сайт", "ссылка"),
    "sector": ("sector", "сфера", "отрасль", "сектор"),
    "region": ("region", "регион", "субъект", "субъект рф"),
    "inn": ("inn", "инн"),
    "ogrn": ("ogrn", "огрн"),
    "bus_gov_id": ("bus_gov_id", "bus.gov.ru", "id bus.gov.ru", "код bus.gov.ru"),
    "extra_hosts": ("extra_hosts", "другие адреса", "дополнительные адреса", "доп. адреса"),
}
_SQUEEZE = re.compile(r"[\s_\-:]+")


class RegistryError(ValueError):
    """The registry as a whole cannot be read (Russian message)."""


@dataclass
class Organisation:
    row: int
    name: str
    url: str
    sector: str = "social"
    region: str = ""
    inn: str = ""
    ogrn: str = ""
    bus_gov_id: str = ""
    extra_hosts: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """A stable folder name for the organisation: its site's host."""
        return re.sub(r"[^a-z0-9.-]+", "_", host_key(self.url).lower())


def given_name(name: str, url: str) -> str:
    """The name the registry row gave, '' when it had none (a row without one is named by its host)."""
    return "" if name == host_key(url) else name


def _header_map(header: list[str]) -> dict[str, int]:
    names = {alias: canon for canon, aliases in COLUMNS.items() for alias in aliases}
    found = {}
    for i, cell in enumerate(header):
        canon = names.get(_SQUEEZE.sub(" ", str(cell or "")).strip().lower())
        if canon and canon not in found:
            found[canon] = i
    if "url" not in found:
        raise RegistryError("в реестре нет столбца с адресом сайта (ожидается «Сайт» или «url»); "
                            f"найдены столбцы: {', '.join(str(c) for c in header if c) or 'нет'} "
                            "(в XLSX реестр может быть на другом листе: --sheet ИМЯ)")
    return found


def _read_rows(path: Path, sheet: str | None = None) -> list[list[str]]:
    if not path.exists():
        raise RegistryError(f"файл реестра {path} не найден")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl             # only for an XLSX registry: slow to import
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise RegistryError(f"файл {path} не читается как XLSX ({type(exc).__name__})") from None
        if sheet is not None and sheet not in book.sheetnames:
            names = ", ".join(f"«{n}»" for n in book.sheetnames)
            book.close()
            raise RegistryError(f"в файле {path.name} нет листа «{sheet}»; листы: {names}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = [["" if v is None else str(v).strip() for v in row] for row in ws.iter_rows(values_only=True)]
        others = [n for n in book.sheetnames if n != ws.title]
        book.close()
        if not any(any(r) for r in rows) and others:
            raise RegistryError(f"лист «{ws.title}» пуст; в файле есть и другие листы ({', '.join(others)}) — "
                                "укажите нужный: --sheet ИМЯ")
        return rows
    raw = path.read_bytes()
    if not raw.strip():
        raise RegistryError(f"файл реестра {path} пуст")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:          # Excel on Windows saves CSV in windows-1251
        best = charset_normalizer.from_bytes(raw).best()
        text = str(best) if best else raw.decode("cp1251", errors="replace")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as exc:            # NUL bytes, a stray quote: not a table a person saved
        raise RegistryError(f"файл {path} не читается как таблица CSV ({exc})") from None


def load_registry(path: str | Path, sheet: str | None = None) -> tuple[list[Organisation], list[str]]:
    """(valid organisations, Russian messages about skipped rows). `sheet`: the XLSX sheet (default: first)."""
    rows = [r for r in _read_rows(Path(path), sheet) if any(r)]
    if not rows:
        raise RegistryError(f"в реестре {path} нет строк")
    columns = _header_map(rows[0])
    orgs, problems, seen = [], [], {}

    def cell(row, name):
        i = columns.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    for number, row in enumerate(rows[1:], start=2):
        name, raw_url = cell(row, "name"), cell(row, "url")
        label = f"строка {number}" + (f" ({name})" if name else "")
        if not raw_url:
            problems.append(f"{label}: не указан адрес сайта — строка пропущена")
            continue
        try:
            url, _ = parse_start_url(raw_url)
        except InvalidURL as exc:
            problems.append(f"{label}: {exc} — строка пропущена")
            continue
        try:
            sector = sector_of(cell(row, "sector"))
            checklist_for(sector)
        except UnsupportedSector as exc:
            problems.append(f"{label}: {exc} — строка пропущена")
            continue
        org = Organisation(row=number, name=name or host_key(url), url=url, sector=sector,
                           region=cell(row, "region"), inn=cell(row, "inn"), ogrn=cell(row, "ogrn"),
                           bus_gov_id=cell(row, "bus_gov_id"),
                           extra_hosts=[h.strip() for h in re.split(r"[,;\s]+", cell(row, "extra_hosts")) if h.strip()])
        if org.key in seen:
            problems.append(f"{label}: сайт {host_key(url)} уже указан в строке {seen[org.key]} — дубликат пропущен")
            continue
        seen[org.key] = number
        orgs.append(org)
    return orgs, problems


def refuse_private(orgs: list[Organisation], resolve: bool = True) -> tuple[list[Organisation], list[str]]:
    """Rows whose site is (or, with `resolve`, resolves to) a private, loopback or link-local address are
    refused, with their row number: a registry must not steer the audit into the operator's own network (run
    --allow-private lets them through). Host names are looked up in parallel, only when `resolve` (a real run,
    not --check-registry); a name that does not resolve is kept (its audit reports the DNS failure)."""
    guard = AddressGuard()
    check = guard.refusal_blocking if resolve else guard.literal_refusal
    with ThreadPoolExecutor(32) as pool:
        reasons = list(pool.map(lambda org: check(org.url), orgs))
    kept = [org for org, reason in zip(orgs, reasons) if not reason]
    problems = [f"строка {org.row} ({org.name}): {reason} — строка пропущена"
                for org, reason in zip(orgs, reasons) if reason]
    return kept, problems
