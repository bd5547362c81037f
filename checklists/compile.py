"""The YAML compiler of checklists: a checklist's `detect:` blocks and settings → a CompiledChecklist of rule
trees (checklists/checks/), validated with Russian messages that name the file and the item."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from checklists import patterns as pat
from checklists.checks.base import (DEFAULT_PATTERN_SCOPES, DEFAULT_PHRASE_SCOPES, PATTERN_SCOPES, PHRASE_SCOPES,
                                    Check, Node, RuleError)
from checklists.checks.forms import FormCheck
from checklists.checks.links import EmbedCheck, LinkHostCheck, UrlPathCheck
from checklists.checks.page_shape import ItempropCheck, NotNewsCheck, NotStubCheck
from checklists.checks.patterns import PatternCheck
from checklists.checks.phrases import PhraseCheck
from checklists.model.checklist import INDICATORS, Checklist, Item
from checklists.morphology import PhraseMatcher


class ChecklistError(Exception):
    """A checklist cannot be loaded or compiled. The message is Russian and names the file,
    the item and what is wrong."""


_CHECK_OPTIONS = {
    "phrase": {"in", "external_ok"},
    "pattern": {"in"},
    "regex": {"in"},
    "link_host": {"path", "exclude_path"},
    "embed_host": set(),
    "embed_url": set(),
    "itemprop": set(),
    "url_path": set(),
    "form": set(),
    "not_stub": set(),
    "not_news": set(),
}
CHECK_TYPES = tuple(_CHECK_OPTIONS)
_NODE_KEYS = {"any", "all", "none"}
_HOST_RX = re.compile(r"^[a-z0-9а-я.\-]+\.[a-zа-я0-9\-]+$")


def _str_list(value, what: str, allow_single: bool = True) -> list[str]:
    if isinstance(value, str) and allow_single:
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(x, str) and x.strip() for x in value):
        raise RuleError(f"{what}: нужен непустой список строк, а указано {value!r}")
    return [x.strip() for x in value]


def _scopes(spec: dict, check: str, allowed: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    if "in" not in spec:
        return default
    scopes = _str_list(spec["in"], f"проверка «{check}», поле in")
    for s in scopes:
        if s not in allowed:
            raise RuleError(f"проверка «{check}»: неизвестная область поиска «{s}» в in "
                            f"(допустимы: {', '.join(allowed)})")
    return tuple(dict.fromkeys(scopes))


class _Env:
    def __init__(self, matcher: PhraseMatcher, named: dict[str, pat.Finder]):
        self.matcher = matcher
        self.named = named


def _compile_check(spec: dict, env: _Env):
    kinds = [k for k in spec if k in _CHECK_OPTIONS]
    if len(kinds) != 1:
        unknown = [k for k in spec if k not in _CHECK_OPTIONS and k not in {o for v in _CHECK_OPTIONS.values() for o in v}]
        if unknown:
            raise RuleError(f"неизвестный тип проверки «{unknown[0]}» (допустимы: {', '.join(CHECK_TYPES)}, "
                            f"а также узлы any / all / none)")
        if not kinds:
            raise RuleError(f"в проверке {spec!r} не указан её тип ({', '.join(CHECK_TYPES)})")
        raise RuleError(f"в одной проверке указано несколько типов: {', '.join(kinds)}; "
                        f"объедините их через any / all")
    kind = kinds[0]
    label = spec.get("label")
    if label is not None and (not isinstance(label, str) or not label.strip()):
        raise RuleError(f"проверка «{kind}»: label должен быть непустой строкой (описание для отчёта)")
    check = _build_check(kind, spec, env)
    if label:
        check.label = label.strip()
    return check


def _build_check(kind: str, spec: dict, env: _Env) -> Check:
    extra = set(spec) - {kind, "label"} - _CHECK_OPTIONS[kind]
    if extra:
        allowed = ", ".join(sorted(_CHECK_OPTIONS[kind] | {"label"}))
        raise RuleError(f"проверка «{kind}»: неизвестное поле «{sorted(extra)[0]}» (допустимые поля: {allowed})")
    value = spec[kind]

    if kind == "phrase":
        phrases = _str_list(value, "проверка «phrase»")
        keys = []
        for p in phrases:
            k = env.matcher.add(p)
            if k is None:
                raise RuleError(f"проверка «phrase»: во фразе «{p}» нет ни одного слова")
            keys.append(k)
        ext = spec.get("external_ok", False)
        if not isinstance(ext, bool):
            raise RuleError("проверка «phrase»: external_ok должно быть true или false")
        return PhraseCheck(phrases, frozenset(keys), _scopes(spec, kind, PHRASE_SCOPES, DEFAULT_PHRASE_SCOPES), ext)

    if kind == "pattern":
        if not isinstance(value, str):
            raise RuleError(f"проверка «pattern»: нужно имя шаблона, а указано {value!r}")
        finder = env.named.get(value) or pat.BUILTIN.get(value)
        if finder is None:
            names = ", ".join(list(pat.BUILTIN) + list(env.named))
            raise RuleError(f"проверка «pattern»: неизвестный шаблон «{value}» (допустимы: {names}; "
                            f"свои шаблоны задаются в settings.patterns)")
        label = pat.LABELS.get(value, f"шаблон «{value}»")
        return PatternCheck(value, finder, _scopes(spec, kind, PATTERN_SCOPES, DEFAULT_PATTERN_SCOPES), label)

    if kind == "regex":
        if not isinstance(value, str) or not value:
            raise RuleError(f"проверка «regex»: нужно регулярное выражение-строка, а указано {value!r}")
        try:
            rx = pat.compile_regex(value)
        except re.error as e:
            raise RuleError(f"проверка «regex»: ошибка в регулярном выражении «{value}»: {e}") from None
        return PatternCheck("regex:" + value, pat.regex_finder(rx),
                            _scopes(spec, kind, PATTERN_SCOPES, DEFAULT_PATTERN_SCOPES),
                            "текст по особому шаблону (регулярному выражению)")

    if kind in ("link_host", "embed_host"):
        hosts = tuple(h.lower().removeprefix("www.") for h in _str_list(value, f"проверка «{kind}»"))
        for h in hosts:
            if "/" in h or ":" in h or not _HOST_RX.match(h):
                raise RuleError(f"проверка «{kind}»: «{h}» — не имя сайта (укажите только домен, "
                                f"например bus.gov.ru; путь задаётся полем path)")
        if kind == "embed_host":
            return EmbedCheck(hosts=hosts)
        paths = tuple(_str_list(spec["path"], "проверка «link_host», поле path")) if "path" in spec else ()
        excl = tuple(_str_list(spec["exclude_path"], "проверка «link_host», поле exclude_path")) if "exclude_path" in spec else ()
        for p in paths + excl:
            if not p.startswith("/"):
                raise RuleError(f"проверка «link_host»: путь «{p}» должен начинаться с «/»")
        return LinkHostCheck(hosts, tuple(p.lower() for p in paths), tuple(p.lower() for p in excl))

    if kind == "embed_url":
        return EmbedCheck(substrings=tuple(s.lower() for s in _str_list(value, "проверка «embed_url»")))

    if kind == "itemprop":
        return ItempropCheck(tuple(_str_list(value, "проверка «itemprop»")))

    if kind == "url_path":
        return UrlPathCheck(tuple(s.lower() for s in _str_list(value, "проверка «url_path»")))

    if kind == "form":
        if value is None or value is True:
            value = {}
        if not isinstance(value, dict):
            raise RuleError("проверка «form»: ожидается {textarea: true} или {min_text_fields: N}")
        extra = set(value) - {"textarea", "min_text_fields"}
        if extra:
            raise RuleError(f"проверка «form»: неизвестное поле «{sorted(extra)[0]}» (допустимы: textarea, min_text_fields)")
        ta = value.get("textarea", False)
        n = value.get("min_text_fields", 2)
        if not isinstance(ta, bool) or not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise RuleError("проверка «form»: textarea — true/false, min_text_fields — целое число ≥ 1")
        return FormCheck(ta, n)

    # not_stub / not_news
    if value is not True:
        raise RuleError(f"проверка «{kind}»: допускается только значение true "
                        f"(для обратного условия поместите её в none)")
    return NotStubCheck() if kind == "not_stub" else NotNewsCheck()


def compile_rule(spec, env: _Env, top: bool = True):
    if isinstance(spec, dict) and _NODE_KEYS & set(spec):
        extra = set(spec) - _NODE_KEYS
        if extra:
            raise RuleError(f"в узле правила рядом с any/all/none стоит «{sorted(extra)[0]}»: "
                            f"проверку нужно поместить внутрь списка any/all/none")
        lists = {}
        for key in ("any", "all", "none"):
            children = spec.get(key, [])
            if children is None:
                children = []
            if not isinstance(children, list):
                raise RuleError(f"«{key}» должен быть списком проверок")
            lists[key] = [compile_rule(c, env, top=False) for c in children]
        if not lists["any"] and not lists["all"]:
            raise RuleError("в правиле нет ни одной проверки в any или all (одного none недостаточно)")
        return Node(lists["any"], lists["all"], lists["none"])
    if isinstance(spec, dict):
        check = _compile_check(spec, env)
        return Node([check], [], []) if top else check
    raise RuleError(f"проверка должна быть словарём (например {{phrase: [...]}}), а указано {spec!r}")


@dataclass
class CompiledItem:
    item: Item
    rule: Node
    probe_keys: frozenset[int]        # phrase keys: recognise blocked links that might hold the item
    probe_paths: tuple[str, ...]      # url_path substrings, same purpose
    searched: str                     # Russian: what was searched for
    section_keys: frozenset[int] = frozenset()   # names of the sections it would live in (settings.sections)
    section_paths: tuple[str, ...] = ()          # and their URL path fragments


@dataclass
class CompiledChecklist:
    matcher: PhraseMatcher
    items: list[CompiledItem]
    news_url_patterns: tuple[str, ...]
    news_cue_keys: frozenset[int]
    news_dated_items: bool
    stub_keys: frozenset[int]
    stub_min_chars: int
    stub_phrase_max_chars: int
    max_evidence: int
    doc_text_max_chars: int
    external_document_hosts: tuple[str, ...]
    future_keys: frozenset[int] = frozenset()    # «будет размещён», «скоро»: announced, not published
    fingerprint: str = ""
    extra: dict = field(default_factory=dict)


_SETTINGS_KEYS = {"news", "stub", "future", "sections", "max_evidence", "doc_text_max_chars",
                  "external_document_hosts", "patterns", "sveden"}   # sveden: checklists/sveden.py


def _int_setting(d: dict, key: str, default: int, where: str) -> int:
    v = d.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise RuleError(f"{where}.{key}: нужно целое неотрицательное число, а указано {v!r}")
    return v


def _dict_setting(settings: dict, key: str, allowed: set[str]) -> dict:
    d = settings.get(key) or {}
    if not isinstance(d, dict):
        raise RuleError(f"settings.{key} должен быть словарём")
    extra = set(d) - allowed
    if extra:
        raise RuleError(f"settings.{key}: неизвестный параметр «{sorted(extra)[0]}» (допустимы: {', '.join(sorted(allowed))})")
    return d


def _sections(settings: dict, matcher: PhraseMatcher) -> dict[str, tuple[frozenset[int], tuple[str, ...]]]:
    """settings.sections: name -> {phrases: [link texts that name it], paths: [URL path fragments]}."""
    raw = settings.get("sections") or {}
    if not isinstance(raw, dict):
        raise RuleError("settings.sections должен быть словарём «имя раздела: {phrases: [...], paths: [...]}»")
    out = {}
    for name, spec in raw.items():
        where = f"settings.sections.{name}"
        if not isinstance(spec, dict) or not spec.get("phrases") or set(spec) - {"phrases", "paths"}:
            raise RuleError(f"{where}: нужен словарь {{phrases: [...], paths: [...]}} (paths — необязательно)")
        keys = frozenset(k for k in (matcher.add(p) for p in _str_list(spec["phrases"], f"{where}.phrases")) if k is not None)
        paths = tuple(p.lower() for p in _str_list(spec["paths"], f"{where}.paths")) if spec.get("paths") else ()
        out[name] = (keys, paths)
    return out


def fingerprint(checklist: Checklist) -> str:
    return repr((checklist.settings, [(i.id, i.enabled, i.allow_news, i.allow_stub, i.sections, i.detect)
                                      for i in checklist.items]))


def compile_checklist(checklist: Checklist, where: Callable[[str], str] | None = None) -> CompiledChecklist:
    """Compile and validate; raises ChecklistError. `where(item_id)` names the file an item came
    from (for messages)."""
    src = checklist.source or "чек-лист"
    where = where or (lambda _id: src)
    settings = checklist.settings or {}
    if not isinstance(settings, dict):
        raise ChecklistError(f"{src}: settings должен быть словарём")
    matcher = PhraseMatcher()
    try:
        extra = set(settings) - _SETTINGS_KEYS
        if extra:
            raise RuleError(f"неизвестный параметр settings.{sorted(extra)[0]} (допустимы: {', '.join(sorted(_SETTINGS_KEYS))})")
        news = _dict_setting(settings, "news", {"url_patterns", "heading_cues", "dated_items"})
        stub = _dict_setting(settings, "stub", {"phrases", "min_chars", "phrase_max_chars"})
        future = _dict_setting(settings, "future", {"phrases"})
        future_keys = frozenset(k for k in (matcher.add(p) for p in _str_list(future["phrases"], "settings.future.phrases")) if k is not None) if future.get("phrases") else frozenset()
        sections = _sections(settings, matcher)
        named: dict[str, pat.Finder] = {}
        if not isinstance(settings.get("patterns") or {}, dict):
            raise RuleError("settings.patterns должен быть словарём «имя: регулярное выражение»")
        for name, rx in (settings.get("patterns") or {}).items():
            if name in pat.BUILTIN:
                raise RuleError(f"settings.patterns: имя «{name}» занято встроенным шаблоном")
            if not isinstance(rx, str):
                raise RuleError(f"settings.patterns.{name}: нужно регулярное выражение-строка")
            try:
                named[name] = pat.regex_finder(pat.compile_regex(rx))
            except re.error as e:
                raise RuleError(f"settings.patterns.{name}: ошибка в регулярном выражении «{rx}»: {e}") from None
        url_patterns = tuple(p.lower() for p in _str_list(news["url_patterns"], "settings.news.url_patterns")) if news.get("url_patterns") else ()
        cue_keys = frozenset(k for k in (matcher.add(p) for p in _str_list(news["heading_cues"], "settings.news.heading_cues")) if k is not None) if news.get("heading_cues") else frozenset()
        stub_keys = frozenset(k for k in (matcher.add(p) for p in _str_list(stub["phrases"], "settings.stub.phrases")) if k is not None) if stub.get("phrases") else frozenset()
        dated = news.get("dated_items", True)
        if not isinstance(dated, bool):
            raise RuleError("settings.news.dated_items: нужно true или false")
        ext_hosts = tuple(h.lower() for h in _str_list(settings["external_document_hosts"], "settings.external_document_hosts")) if settings.get("external_document_hosts") else ()
        base = dict(
            news_url_patterns=url_patterns, news_cue_keys=cue_keys, news_dated_items=dated,
            stub_keys=stub_keys,
            stub_min_chars=_int_setting(stub, "min_chars", 80, "settings.stub"),
            stub_phrase_max_chars=_int_setting(stub, "phrase_max_chars", 1500, "settings.stub"),
            max_evidence=max(1, _int_setting(settings, "max_evidence", 5, "settings")),
            doc_text_max_chars=_int_setting(settings, "doc_text_max_chars", 300_000, "settings"),
            external_document_hosts=ext_hosts, future_keys=future_keys,
        )
    except RuleError as e:
        raise ChecklistError(f"{src}: {e}") from None

    env = _Env(matcher, named)
    compiled_items: list[CompiledItem] = []
    seen: set[str] = set()
    for item in checklist.items:
        ctx = f"{where(item.id)}: пункт «{item.id}»"
        if item.id in seen:
            raise ChecklistError(f"{ctx}: повторяющийся id пункта")
        seen.add(item.id)
        if item.indicator not in INDICATORS:
            raise ChecklistError(f"{ctx}: неизвестный показатель indicator «{item.indicator}» "
                                 f"(допустимы: {', '.join(INDICATORS)})")
        try:
            rule = compile_rule(item.detect, env)
        except RuleError as e:
            raise ChecklistError(f"{ctx}: {e}") from None
        if not item.enabled:
            continue
        probe: set[int] = set()
        paths: list[str] = []
        parts: list[str] = []
        for c in rule.positive_checks():
            if isinstance(c, PhraseCheck):
                probe |= c.keys
            elif isinstance(c, UrlPathCheck):
                paths.extend(c.substrings)
            d = c.label or c.describe()
            if d and d not in parts:
                parts.append(d)
        unknown = [n for n in item.sections if n not in sections]
        if unknown:
            raise ChecklistError(f"{ctx}: раздел «{unknown[0]}» из sections не описан в settings.sections "
                                 f"(описаны: {', '.join(sections) or 'нет'})")
        s_keys = frozenset().union(*(sections[n][0] for n in item.sections)) if item.sections else frozenset()
        s_paths = tuple(p for n in item.sections for p in sections[n][1])
        compiled_items.append(CompiledItem(item, rule, frozenset(probe), tuple(paths), "; ".join(parts),
                                           s_keys, s_paths))
    matcher.build()
    return CompiledChecklist(matcher=matcher, items=compiled_items, fingerprint=fingerprint(checklist), **base)


def compiled_for(checklist: Checklist) -> CompiledChecklist:
    """The compiled form of a checklist, built once and kept on the object (rebuilt if the
    checklist was changed after loading)."""
    comp = getattr(checklist, "_compiled", None)
    if comp is None or comp.fingerprint != fingerprint(checklist):
        comp = compile_checklist(checklist)
        checklist._compiled = comp
    return comp
