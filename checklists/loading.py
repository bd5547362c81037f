"""Loading checklists from YAML: the built-in ones, and operators' files that extend them.

A user file may say

    extends: social            # or a path, relative to this file
    id: social-perm            # optional: id / version / name / sector override the base
    disable: [acc_sign_language, paid_services_doc]
    settings: {stub: {min_chars: 60}}      # merged into the base settings (dicts deep-merged)
    items:
      - id: tariffs            # an existing id: the given fields replace the base ones
        counts_in_norm: false
      - id: trustee_council    # a new id: a complete item
        name: ...

Everything is validated at load time (unknown check types, missing fields, duplicate ids, bad
indicators, bad regular expressions): errors raise ChecklistError with a Russian message that
names the file, the item and what is wrong.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

from checklists.compile import ChecklistError, compile_checklist
from checklists.file_cache import loaded_once
from checklists.model.checklist import INDICATORS, Checklist, Item
from checklists.sectors import CHECKLISTS as SECTOR_CHECKLISTS
from checklists.sveden import rules_of

BUILTIN_CHECKLISTS = {"social": Path(__file__).with_name("social.yaml"),
                      "education": Path(__file__).with_name("education.yaml")}
# Items shared by the sectors' checklists (channels, accessibility), defined once: a checklist's
# `- include: [ch_phone, …]` entry puts them in its items at that place.
COMMON_ITEMS = Path(__file__).with_name("common.yaml")
SECTORS = tuple(SECTOR_CHECKLISTS)
CONFIDENCE = ("C", "P", "U")
_HEAD_KEYS = ("id", "version", "name", "sector")
_TOP_KEYS = set(_HEAD_KEYS) | {"settings", "items"}
_TOP_KEYS_EXTENDING = _TOP_KEYS | {"extends", "disable"}
_ITEM_FIELDS = ("id", "name", "indicator", "legal_basis", "confidence", "counts_in_norm", "allow_news",
                "allow_stub", "enabled", "sections", "fix", "detect")
_REQUIRED = ("name", "indicator", "legal_basis", "fix", "detect")
DEFAULT_CONFIDENCE = "C"      # an item of an operator's own checklist is taken as confirmed unless marked


# libyaml's C parser when PyYAML was built with it: it loads the checklist about 10 times faster.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (YAML would keep the last)."""


def _mapping_without_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"ключ «{key}» повторяется", key_node.start_mark)
            seen.add(key)
        except TypeError:
            pass
    return _SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _display(path: Path) -> str:
    for name, builtin in BUILTIN_CHECKLISTS.items():
        if path == builtin:
            return f"checklists/{builtin.name}"
    return str(path)


def _resolve(ref, base: Path | None) -> Path:
    if ref is None:
        return BUILTIN_CHECKLISTS["social"]
    if isinstance(ref, str) and ref in BUILTIN_CHECKLISTS:
        return BUILTIN_CHECKLISTS[ref]
    if not isinstance(ref, (str, Path)) or not str(ref).strip():
        raise ChecklistError(f"неверная ссылка на чек-лист: {ref!r} (нужно имя встроенного чек-листа "
                             f"{', '.join(BUILTIN_CHECKLISTS)} или путь к файлу YAML)")
    p = Path(ref).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


def _read(path: Path) -> dict:
    name = _display(path)
    if not path.is_file():
        known = ", ".join(BUILTIN_CHECKLISTS)
        raise ChecklistError(f"файл чек-листа не найден: {name} (встроенные чек-листы: {known})")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ChecklistError(f"{name}: файл должен быть в кодировке UTF-8") from None
    except OSError as e:
        raise ChecklistError(f"{name}: не удалось прочитать файл: {e.strerror or e}") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (строка {mark.line + 1}, столбец {mark.column + 1})" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ChecklistError(f"{name}: ошибка в разметке YAML{at}: {problem}") from None
    if not isinstance(data, dict):
        raise ChecklistError(f"{name}: ожидается словарь с полями id, version, name, sector, settings, items "
                             f"(или extends для дополнения встроенного чек-листа)")
    return data


def _included(entry, name: str) -> list[dict]:
    """The common items an `include: [ids]` entry names, in the order named."""
    ids = entry["include"]
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ChecklistError(f"{name}: include: нужен список id общих пунктов (из checklists/{COMMON_ITEMS.name})")
    common = {it.get("id"): it for it in _read(COMMON_ITEMS).get("items") or [] if isinstance(it, dict)}
    missing = [i for i in ids if i not in common]
    if missing:
        raise ChecklistError(f"{name}: include: пункта «{missing[0]}» нет в checklists/{COMMON_ITEMS.name} "
                             f"(есть: {', '.join(common)})")
    return [common[i] for i in ids]


def _items_of(data: dict, name: str) -> list[dict]:
    items = data.get("items")
    if items is None:
        return []
    if not isinstance(items, list):
        raise ChecklistError(f"{name}: поле items должно быть списком пунктов")
    items = [x for it in items
             for x in (_included(it, name) if isinstance(it, dict) and set(it) == {"include"} else [it])]
    seen: set[str] = set()
    out = []
    for n, it in enumerate(items, 1):
        if not isinstance(it, dict):
            raise ChecklistError(f"{name}: пункт № {n} в items должен быть словарём с полями id, name, detect…")
        iid = it.get("id")
        if not isinstance(iid, str) or not iid.strip():
            raise ChecklistError(f"{name}: у пункта № {n} в items не указан id")
        if iid in seen:
            raise ChecklistError(f"{name}: пункт «{iid}»: повторяющийся id (id пунктов должны быть уникальны)")
        seen.add(iid)
        unknown = [k for k in it if k not in _ITEM_FIELDS]
        if unknown:
            raise ChecklistError(f"{name}: пункт «{iid}»: неизвестное поле «{unknown[0]}» "
                                 f"(допустимы: {', '.join(_ITEM_FIELDS)})")
        out.append(copy.deepcopy(it))
    return out


def deep_merge(base: dict, extra: dict) -> dict:
    """`base` overridden by `extra`, nested mappings merged key by key (the `extends:` rule of checklists and
    methodologies); neither input is modified."""
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _load(ref, base: Path | None, chain: tuple[Path, ...]) -> tuple[dict, list[Path], dict[str, str]]:
    """Raw merged data, the files it came from, and item id -> file that last defined it."""
    path = _resolve(ref, base)
    name = _display(path)
    if path.resolve() in chain:
        raise ChecklistError(f"{name}: циклическое наследование чек-листов через extends")
    data = _read(path)
    if "extends" in data:
        unknown = [k for k in data if k not in _TOP_KEYS_EXTENDING]
        if unknown:
            raise ChecklistError(f"{name}: неизвестное поле верхнего уровня «{unknown[0]}» "
                                 f"(допустимы: {', '.join(sorted(_TOP_KEYS_EXTENDING))})")
        parent, files, origin = _load(data["extends"], path.parent, chain + (path.resolve(),))
        return _merge(parent, data, name, origin), files + [path], origin
    unknown = [k for k in data if k not in _TOP_KEYS]
    if unknown:
        hint = " (disable допускается только вместе с extends)" if unknown[0] == "disable" else ""
        raise ChecklistError(f"{name}: неизвестное поле верхнего уровня «{unknown[0]}» "
                             f"(допустимы: {', '.join(sorted(_TOP_KEYS))}, extends){hint}")
    data = dict(data)
    data["items"] = _items_of(data, name)
    return data, [path], {it["id"]: name for it in data["items"]}


def _merge(parent: dict, child: dict, name: str, origin: dict[str, str]) -> dict:
    out = {k: v for k, v in parent.items() if k != "items"}
    for k in _HEAD_KEYS:
        if k in child:
            out[k] = child[k]
    if "settings" in child and child["settings"] is not None:
        if not isinstance(child["settings"], dict):
            raise ChecklistError(f"{name}: поле settings должно быть словарём")
        out["settings"] = deep_merge(parent.get("settings") or {}, child["settings"])
    items = [copy.deepcopy(it) for it in parent["items"]]
    by_id = {it["id"]: it for it in items}
    disable = child.get("disable") or []
    if not isinstance(disable, list):
        raise ChecklistError(f"{name}: поле disable должно быть списком id пунктов")
    for iid in disable:
        if iid not in by_id:
            raise ChecklistError(f"{name}: disable: пункта «{iid}» нет в базовом чек-листе")
        by_id[iid]["enabled"] = False
        origin[iid] = name
    for it in _items_of(child, name):
        iid = it["id"]
        if iid in by_id:
            by_id[iid].update(it)
        else:
            items.append(it)
            by_id[iid] = it
        origin[iid] = name
    out["items"] = items
    return out


def _as_text(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _item(raw: dict, where: str) -> Item:
    iid = raw["id"]
    ctx = f"{where}: пункт «{iid}»"
    for f in _REQUIRED:
        if f not in raw or raw[f] is None or raw[f] == "":
            raise ChecklistError(f"{ctx}: не указано обязательное поле «{f}»")
    indicator = _as_text(raw["indicator"])
    if indicator not in INDICATORS:
        raise ChecklistError(f"{ctx}: неизвестный показатель indicator «{raw['indicator']}» "
                             f"(допустимы: {', '.join(INDICATORS)})")
    for f in ("name", "legal_basis", "fix"):
        if not isinstance(raw[f], str) or not raw[f].strip():
            raise ChecklistError(f"{ctx}: поле «{f}» должно быть непустой строкой")
    confidence = raw.get("confidence", DEFAULT_CONFIDENCE)
    if confidence not in CONFIDENCE:
        raise ChecklistError(f"{ctx}: confidence «{confidence}» — допустимы C (подтверждено, по умолчанию), "
                             f"P (косвенно подтверждено), U (не подтверждено)")
    sections = raw.get("sections", [])
    if not isinstance(sections, list) or not all(isinstance(x, str) and x.strip() for x in sections):
        raise ChecklistError(f"{ctx}: поле «sections» должно быть списком имён разделов из settings.sections")
    flags = {}
    for f, default in (("counts_in_norm", True), ("allow_news", False), ("allow_stub", False), ("enabled", True)):
        v = raw.get(f, default)
        if not isinstance(v, bool):
            raise ChecklistError(f"{ctx}: поле «{f}» должно быть true или false, а указано {v!r}")
        flags[f] = v
    if indicator != "1.1":
        flags["counts_in_norm"] = False       # Инорм_сайт counts only items of indicator 1.1
    if not isinstance(raw["detect"], dict):
        raise ChecklistError(f"{ctx}: поле detect должно быть правилом вида {{any: [...]}} / {{all: [...]}}")
    return Item(id=iid, name=raw["name"].strip(), indicator=indicator, legal_basis=raw["legal_basis"].strip(),
                fix=" ".join(raw["fix"].split()), detect=raw["detect"], confidence=confidence,
                sections=[x.strip() for x in sections], **flags)


def _build(data: dict, files: list[Path], origin: dict[str, str]) -> Checklist:
    name = _display(files[-1])
    head = {}
    for k in _HEAD_KEYS:
        v = _as_text(data.get(k))
        if v is None:
            raise ChecklistError(f"{name}: не указано поле «{k}» чек-листа")
        head[k] = v
    if head["sector"] not in SECTORS:
        raise ChecklistError(f"{name}: неизвестная сфера sector «{head['sector']}» (допустимы: {', '.join(SECTORS)})")
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise ChecklistError(f"{name}: поле settings должно быть словарём")
    if not data["items"]:
        raise ChecklistError(f"{name}: в чек-листе нет ни одного пункта (items)")
    items = [_item(raw, origin.get(raw["id"], name)) for raw in data["items"]]
    return Checklist(id=head["id"], version=head["version"], name=head["name"], sector=head["sector"],
                     source=" + ".join(_display(f) for f in files), items=items, settings=settings)


def load_checklist(path_or_name: str | Path | None = None) -> Checklist:
    """Load a checklist: None or "social" → the built-in social-service checklist; otherwise a
    YAML file (which may `extends:` a built-in one or another file). Raises ChecklistError. Loaded once per
    process and version of its files (checklists/file_cache.py): the result is shared, never change it."""
    return loaded_once(("checklist", str(_resolve(path_or_name, None).absolute())),
                       lambda: _load_checklist(path_or_name))


def _load_checklist(path_or_name) -> tuple[Checklist, list[Path]]:
    data, files, origin = _load(path_or_name, None, ())
    checklist = _build(data, files, origin)
    checklist._compiled = compile_checklist(checklist, where=lambda iid: origin.get(iid, _display(files[-1])))
    try:
        rules_of(checklist.settings, {it.id for it in checklist.items})
    except ChecklistError as e:
        raise ChecklistError(f"{_display(files[-1])}: {e}") from None
    return checklist, files + [COMMON_ITEMS]       # common.yaml: whether or not an `include:` read it
