"""Control scenarios as data, and the small interpreter that runs them (pa11y-like).

A scenario (checklists/controls.yaml) is a list of readable steps for one checklist item:

    open: candidate | <URL or /path>            open a page (the candidate found by the crawl)
    find: {selector | text | role+name | any | call, as, within, timeout_ms}
                                                find an element and name it (default name: found)
    fill: {in, field, value}                    type test data into a field kind (name, email, phone,
                                                message, subject, consent, required) or a CSS selector
    click: <element name>                       click it; a navigation it starts is waited for
    wait: <ms> | {ms} | {for: <selector>, timeout_ms}
    expect: {status_below | visible | enabled | valid | filled | link_target | at_least, screenshot}
                                                (screenshot: a caption; taken only when it fails)
    screenshot: <caption> | {as: before|after, caption, at: <element to scroll into view>}
    measure: {as, what: [font_size, colors, panel]}
    call: <name> | {name, ...arguments}         a channel function from crawler/control/channels/

Every step may carry `optional: true` (its failure is logged and the run goes on) and `reason:` (the
Russian text used when it fails; {placeholders} are filled from the test data and the run's values).
Steps are validated when the file is loaded: an unknown step, key or call is a ScenarioError with a
Russian message naming the scenario and the step number.

A run ends with a verdict: a step raises `Verdict(works, reason)` (works False — it does not work,
None — cannot be decided automatically, True — decided early), or all steps pass and the scenario's
`success` text becomes the reason. `finally:` steps run after a verdict (not after a timeout or a
browser error), e.g. to switch the site back to its normal version.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

import yaml

from checklists.file_cache import loaded_once
from checklists.model.control import BROWSER, HTTP, VALIDATED

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "checklists" / "controls.yaml"

STEP_KINDS = ("open", "find", "fill", "click", "wait", "expect", "screenshot", "measure", "call")
COMMON_KEYS = {"optional", "reason"}
FIND_LOCATORS = ("selector", "text", "role", "any", "call")
EXPECTATIONS = ("status_below", "visible", "enabled", "valid", "filled", "link_target", "at_least")
MEASURES = ("font_size", "colors", "panel")
FIELD_KINDS = ("name", "email", "phone", "message", "subject", "consent", "captcha", "required")
CANDIDATE_SOURCES = ("pages", "link_pages", "links", "none")
METHODS = (BROWSER, HTTP, VALIDATED)
# NOK_CONTROL_PROFILE=1: each result's details get "_timing" (seconds per step), for tuning.
_PROFILE = bool(os.environ.get("NOK_CONTROL_PROFILE"))
_SHOT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,20}$")


class ScenarioError(ValueError):
    """The scenario file is wrong; the message is Russian and names the scenario and the step."""


class Verdict(Exception):
    """Ends a run: works True/False/None with a Russian reason. found=False: what the scenario looks for
    is not on this candidate (the next candidate is tried)."""

    def __init__(self, works: bool | None, reason: str, found: bool = True):
        super().__init__(reason)
        self.works = works
        self.reason = reason
        self.found = found


# ---- registry of channel functions (filled by crawler/control/channels/, imported with crawler.control) ---
CallFn = Callable[..., Awaitable[Any]]
CALLS: dict[str, CallFn] = {}
FINDERS: dict[str, CallFn] = {}


def call_step(name: str):
    def deco(fn: CallFn) -> CallFn:
        CALLS[name] = fn
        return fn
    return deco


def finder(name: str):
    def deco(fn: CallFn) -> CallFn:
        FINDERS[name] = fn
        return fn
    return deco


# ---- the loaded file --------------------------------------------------------------------------------
@dataclass
class Step:
    kind: str
    args: dict
    optional: bool = False
    reason: str = ""
    number: int = 0

    def __str__(self) -> str:
        return f"{self.kind}: {self.args}"


@dataclass
class CandidateSpec:
    source: str = "pages"           # pages | link_pages | links | none
    max: int = 3
    prefer: list[str] = field(default_factory=list)    # evidence kinds tried first
    stop_on_fail: bool = False      # a definite "does not work" ends the item (same control on every page)


@dataclass
class Scenario:
    item: str
    name: str
    method: str
    candidates: CandidateSpec
    steps: list[Step]
    final: list[Step]
    success: str

    @property
    def needs_context(self) -> bool:
        return self.method != VALIDATED


@dataclass
class ScenarioSet:
    version: int
    test_data: dict[str, str]
    settings: dict
    scenarios: list[Scenario]
    path: str = ""

    def for_item(self, item_id: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.item == item_id), None)


def _err(where: str, text: str) -> ScenarioError:
    return ScenarioError(f"{where}: {text}")


def regex_or_text(value: str):
    """'/pattern/i' → compiled regex (i: ignore case), anything else → the plain string."""
    if isinstance(value, str) and len(value) >= 2 and value.startswith("/"):
        end = value.rfind("/")
        if end > 0:
            flags = re.I if "i" in value[end + 1:] else 0
            return re.compile(value[1:end], flags)
    return value


def _check_keys(where: str, args: dict, allowed: set[str]) -> None:
    extra = set(args) - allowed - COMMON_KEYS
    if extra:
        raise _err(where, f"неизвестные параметры {', '.join(sorted(extra))} (допустимые: "
                          f"{', '.join(sorted(allowed | COMMON_KEYS))})")


def _parse_find_locator(where: str, args: dict) -> None:
    kinds = [k for k in FIND_LOCATORS if k in args]
    if len(kinds) != 1:
        raise _err(where, "в find нужен ровно один способ поиска: " + ", ".join(FIND_LOCATORS))
    kind = kinds[0]
    if kind == "any":
        if not isinstance(args["any"], list) or not args["any"]:
            raise _err(where, "any: нужен непустой список вариантов поиска")
        for i, alt in enumerate(args["any"], 1):
            if not isinstance(alt, dict):
                raise _err(where, f"any, вариант {i}: нужен словарь (selector / text / role+name)")
            _check_keys(f"{where}, any, вариант {i}", alt, {"selector", "text", "role", "name"})
            _parse_find_locator(f"{where}, any, вариант {i}", alt)
    elif kind == "call" and args["call"] not in FINDERS:
        raise _err(where, f"неизвестная функция поиска «{args['call']}» (есть: {', '.join(sorted(FINDERS))})")
    elif kind == "role" and not isinstance(args.get("role"), str):
        raise _err(where, "role: нужна роль элемента (link, button, img …)")
    elif kind in ("selector", "text") and not isinstance(args[kind], str):
        raise _err(where, f"{kind}: нужна строка")


def _parse_step(where: str, raw) -> Step:
    if isinstance(raw, str):
        raise _err(where, f"шаг «{raw}» записан без значения; пишите «шаг: значение», например «call: {raw}»")
    if not isinstance(raw, dict) or not raw:
        raise _err(where, "шаг должен быть словарём вида «open: candidate»")
    kinds = [k for k in raw if k in STEP_KINDS]
    unknown = [k for k in raw if k not in STEP_KINDS and k not in COMMON_KEYS]
    if unknown:
        raise _err(where, f"неизвестный шаг «{unknown[0]}» (допустимые: {', '.join(STEP_KINDS)})")
    if len(kinds) != 1:
        raise _err(where, f"в одном шаге должно быть ровно одно действие из: {', '.join(STEP_KINDS)}")
    kind = kinds[0]
    value = raw[kind]
    optional = bool(raw.get("optional", False))
    reason = str(raw.get("reason", "") or "")
    # Normalise to a dict of arguments; `optional`/`reason` may also sit inside it.
    if kind == "open":
        if isinstance(value, str):
            args = {"url": value}
        else:
            raise _err(where, "open: нужен адрес или слово candidate")
    elif kind == "click":
        args = {"element": value} if isinstance(value, str) else dict(value or {})
        _check_keys(where, args, {"element"})
        if not isinstance(args.get("element"), str):
            raise _err(where, "click: нужно имя найденного элемента (см. find … as)")
    elif kind == "wait":
        if isinstance(value, (int, float)):
            args = {"ms": value}
        elif isinstance(value, dict):
            args = dict(value)
            _check_keys(where, args, {"ms", "for", "timeout_ms"})
            if ("ms" in args) == ("for" in args):
                raise _err(where, "wait: укажите либо ms, либо for (селектор)")
        else:
            raise _err(where, "wait: нужно число миллисекунд или {for: селектор}")
    elif kind == "screenshot":
        args = {"caption": value, "as": ""} if isinstance(value, str) else dict(value or {})
        _check_keys(where, args, {"caption", "as", "at"})
        if not args.get("caption"):
            raise _err(where, "screenshot: нужна подпись (caption)")
        if args.get("as") and not _SHOT_NAME.match(str(args["as"])):
            raise _err(where, "screenshot: as — короткое латинское имя (before, after)")
    elif kind == "measure":
        args = {"what": value, "as": ""} if isinstance(value, list) else dict(value or {})
        _check_keys(where, args, {"what", "as"})
        what = args.get("what")
        if isinstance(what, str):
            what = args["what"] = [what]
        if not what or any(w not in MEASURES for w in what):
            raise _err(where, f"measure: что измерять — из {', '.join(MEASURES)}")
        if not args.get("as"):
            raise _err(where, "measure: нужно имя замера (as: before / after)")
    elif kind == "call":
        args = {"name": value} if isinstance(value, str) else dict(value or {})
        if args.get("name") not in CALLS:
            raise _err(where, f"неизвестная функция «{args.get('name')}» (есть: {', '.join(sorted(CALLS))})")
    elif kind == "find":
        if not isinstance(value, dict):
            raise _err(where, "find: нужен словарь, например {selector: \"form\"} или {role: link, name: …}")
        args = dict(value)
        _check_keys(where, args, {*FIND_LOCATORS, "name", "as", "within", "timeout_ms"})
        _parse_find_locator(where, args)
    elif kind == "fill":
        if not isinstance(value, dict):
            raise _err(where, "fill: нужен словарь {field: …, value: …}")
        args = dict(value)
        _check_keys(where, args, {"field", "value", "in"})
        if not isinstance(args.get("field"), str):
            raise _err(where, f"fill: field — вид поля ({', '.join(FIELD_KINDS)}) или CSS-селектор")
        if "value" not in args:
            raise _err(where, "fill: нужно значение (value)")
    elif kind == "expect":
        if not isinstance(value, dict):
            raise _err(where, "expect: нужен словарь, например {status_below: 400}")
        args = dict(value)
        _check_keys(where, args, set(EXPECTATIONS) | {"screenshot"})
        exps = [k for k in EXPECTATIONS if k in args]
        if len(exps) != 1:
            raise _err(where, f"expect: нужна ровно одна проверка из {', '.join(EXPECTATIONS)}")
        if "at_least" in args and not isinstance(args["at_least"], dict):
            raise _err(where, "expect: at_least — словарь {значение: минимум}")
    else:                                                  # pragma: no cover - STEP_KINDS is exhaustive
        raise _err(where, f"неизвестный шаг «{kind}»")
    optional = optional or bool(args.pop("optional", False))
    reason = reason or str(args.pop("reason", "") or "")
    return Step(kind, args, optional, reason)


def _parse_candidates(where: str, raw) -> CandidateSpec:
    if raw is None:
        return CandidateSpec()
    if isinstance(raw, str):
        raw = {"from": raw}
    if not isinstance(raw, dict):
        raise _err(where, "candidates: нужен словарь {from: pages, max: 3}")
    extra = set(raw) - {"from", "max", "prefer", "stop_on_fail"}
    if extra:
        raise _err(where, f"candidates: неизвестные параметры {', '.join(sorted(extra))}")
    src = raw.get("from", "pages")
    if src not in CANDIDATE_SOURCES:
        raise _err(where, f"candidates.from: одно из {', '.join(CANDIDATE_SOURCES)}")
    try:
        mx = int(raw.get("max", 3))
    except (TypeError, ValueError):
        raise _err(where, "candidates.max: нужно число") from None
    return CandidateSpec(src, max(1, mx), list(raw.get("prefer") or []), bool(raw.get("stop_on_fail", False)))


def parse_scenarios(data: dict, path: str = "") -> ScenarioSet:
    name = Path(path).name if path else "controls.yaml"
    if not isinstance(data, dict):
        raise ScenarioError(f"{name}: ожидался словарь с ключами version, test_data, settings, controls")
    extra = set(data) - {"version", "test_data", "settings", "controls"}
    if extra:
        raise ScenarioError(f"{name}: неизвестные разделы {', '.join(sorted(extra))}")
    controls = data.get("controls")
    if not isinstance(controls, list) or not controls:
        raise ScenarioError(f"{name}: раздел controls должен быть непустым списком сценариев")
    scenarios: list[Scenario] = []
    seen: set[str] = set()
    for i, raw in enumerate(controls, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("item"), str):
            raise ScenarioError(f"{name}: сценарий {i}: нужен ключ item (id пункта чек-листа)")
        where = f"{name}: сценарий «{raw['item']}»"
        extra = set(raw) - {"item", "name", "method", "candidates", "steps", "finally", "success"}
        if extra:
            raise _err(where, f"неизвестные ключи {', '.join(sorted(extra))}")
        if raw["item"] in seen:
            raise _err(where, "сценарий для этого пункта уже есть")
        seen.add(raw["item"])
        method = raw.get("method", BROWSER)
        if method not in METHODS:
            raise _err(where, f"method: одно из {', '.join(METHODS)}")
        lists = {}
        for key in ("steps", "finally"):
            rs = raw.get(key) or []
            if not isinstance(rs, list) or (key == "steps" and not rs):
                raise _err(where, f"{key}: нужен список шагов")
            lists[key] = []
            for j, r in enumerate(rs, 1):
                st = _parse_step(f"{where}, {'шаг' if key == 'steps' else 'шаг finally'} {j}", r)
                st.number = j
                lists[key].append(st)
        scenarios.append(Scenario(raw["item"], str(raw.get("name") or raw["item"]), method,
                                  _parse_candidates(where, raw.get("candidates")),
                                  lists["steps"], lists["finally"], str(raw.get("success") or "")))
    test_data = {str(k): str(v) for k, v in (data.get("test_data") or {}).items()}
    return ScenarioSet(int(data.get("version", 1)), test_data, dict(data.get("settings") or {}), scenarios, path)


def load_scenarios(path: str | Path | None = None) -> ScenarioSet:
    """Load and validate checklists/controls.yaml (or an operator's copy), once per process and version of
    the file (checklists/file_cache.py): the result is shared, never change it."""
    p = Path(path) if path else DEFAULT_FILE
    try:
        key = str(p.resolve(strict=True))
    except OSError:
        raise ScenarioError(f"файл сценариев проверок не найден: {p}") from None
    return loaded_once(("scenarios", key), lambda: (_read_scenarios(p), [p]))


def _read_scenarios(p: Path) -> ScenarioSet:
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{p.name}: ошибка YAML: {exc}") from None
    return parse_scenarios(data, str(p))
