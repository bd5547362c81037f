"""Checks and rule trees: how a checklist item's `detect:` block is compiled and run.

axe-core style: an item is a rule, the leaves are small checks, and a rule tree combines them:

    {any: [...]}   at least one child passes
    {all: [...]}   every child passes
    {none: [...]}  no child passes
    (the three keys may be combined in one node and nested)

A tree is run against ONE unit at a time: one page or one document of the stored crawl
(crawl_view.PageUnit / DocUnit), so "a phrase in a heading AND not a stub" holds on the same page.
A check returns None (did not pass) or a list of Hits (passed; the hits become evidence). Whether
a hit is strong, weak (news) or rejected (stub, dead link) is decided afterwards by the engine,
from the unit's page class and the link target's state.

Checks (leaves):
    phrase: [..]    in: [title, heading, link, anchor, body, doc_title, doc_text]
                    default in: [title, heading, link, doc_title]; external_ok: true lets a link
                    to another site count (questionnaires, chats)
    pattern: phone | email | date | ogrn | inn | address | person | people | <settings.patterns name>
                    in: [...] (body); people = at least 3 different names (a staff list)
    regex: "..."    in: [...] (body); case-insensitive
    link_host: [hosts]   path: prefix or [prefixes]; exclude_path: [prefixes]
    embed_host: [hosts]  embed_url: [substrings]      (script/iframe/embed sources)
    itemprop: [names]    url_path: [substrings]
    form: {textarea: true} | {min_text_fields: 2} | {}
    not_stub: true       not_news: true
Every check may also carry label: "…", a Russian description for reports («Искали: …»).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Callable

from checklists import patterns as pat
from checklists.model.checklist import INDICATORS, Checklist, Item
from checklists.morphology import PhraseMatcher, snippet

if TYPE_CHECKING:
    from checklists.crawl_view import CrawlView, Unit


class ChecklistError(Exception):
    """A checklist cannot be loaded or compiled. The message is Russian and names the file,
    the item and what is wrong."""


class RuleError(Exception):
    """A rule tree is malformed (message in Russian, without file/item context)."""


# ---- hits ----------------------------------------------------------------------------------

class Hit:
    """One piece of evidence before its strength is decided.

    snippet is a string, or a zero-argument callable that makes it (phrase matches on long
    texts: the snippet is built only for evidence that is kept).

    chrome is True when the match sits in site chrome (header, footer, sidebar, a link repeated
    on every page) rather than in the page's own content; such evidence ranks lower. weight is
    how many of the check's phrases the text holds: a page that names an item several ways is
    more likely the page that publishes it.

    state is "" for a hit on the unit itself; for a hit through a link it is the state of the
    link target (crawl_view.Target.state: ok, stub, news, failed, robots, unfetched, external,
    external_ok, external_doc).
    """
    __slots__ = ("url", "kind", "snippet", "source_url", "state", "note", "chrome", "weight")

    def __init__(self, url: str, kind: str, snippet, source_url: str = "", state: str = "", note: str = "",
                 chrome: bool = False, weight: int = 1):
        self.url = url
        self.kind = kind
        self.snippet = snippet
        self.source_url = source_url
        self.state = state
        self.note = note
        self.chrome = chrome
        self.weight = weight


# ---- scopes --------------------------------------------------------------------------------

PHRASE_SCOPES = ("title", "heading", "link", "anchor", "body", "doc_title", "doc_text")
PATTERN_SCOPES = ("title", "heading", "anchor", "body", "doc_title", "doc_text")
DEFAULT_PHRASE_SCOPES = ("title", "heading", "link", "doc_title")
DEFAULT_PATTERN_SCOPES = ("body",)
_DOC_SCOPES = {"doc_title", "doc_text"}
SCOPE_LABELS = {
    "title": "заголовках страниц (title)",
    "heading": "заголовках на страницах",
    "link": "текстах ссылок (пунктах меню)",
    "anchor": "текстах ссылок и кнопок",
    "body": "тексте страниц",
    "doc_title": "названиях документов",
    "doc_text": "тексте документов",
}

_MAX_LINK_HITS = 3          # per check and page: enough to show where a menu item leads


def _quote_list(values, limit: int = 4) -> str:
    vals = [f"«{v}»" for v in values]
    return ", ".join(vals[:limit]) + (" и др." if len(vals) > limit else "")


def _scopes_text(scopes) -> str:
    labels = [SCOPE_LABELS[s] for s in scopes]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " и " + labels[-1]


def _first_key(keys: frozenset[int], found: dict[int, int]) -> int | None:
    """The matching key that occurs first in the text."""
    if keys.isdisjoint(found):
        return None
    best, best_end = None, None
    for k, end in found.items():
        if k in keys and (best_end is None or end < best_end):
            best, best_end = k, end
    return best


def _short(m: PhraseMatcher, s, k: int):
    """A short text (title, heading) as it is; a long one around the match."""
    return s.text if len(s.text) <= 160 else partial(m.snippet, s, k)


# ---- checks --------------------------------------------------------------------------------

class Check:
    on_pages = True
    on_docs = False
    label = ""              # Russian description from the checklist (label:), overrides describe()

    def run(self, u: "Unit", v: "CrawlView") -> list[Hit] | None:
        raise NotImplementedError

    def describe(self) -> str:
        return ""


class PhraseCheck(Check):
    def __init__(self, phrases: list[str], keys: frozenset[int], scopes: tuple[str, ...], external_ok: bool):
        self.phrases = phrases
        self.keys = keys
        self.scopes = scopes
        self.external_ok = external_ok
        self.on_pages = any(s not in _DOC_SCOPES for s in scopes)
        self.on_docs = any(s in _DOC_SCOPES for s in scopes)

    def run(self, u, v):
        keys, sc, m = self.keys, self.scopes, v.matcher
        hits: list[Hit] = []
        if u.is_page:
            if "title" in sc:
                s = u.title_scan()
                k = _first_key(keys, s.found)
                if k is not None:
                    hits.append(Hit(u.url, "page_title", _short(m, s, k)))
            if "heading" in sc:
                best = None
                for s in u.heading_scans():
                    k = _first_key(keys, s.found)
                    if k is not None:
                        in_main = u.in_main(s.text)
                        if best is None or (in_main and best[2]):
                            best = (s, k, not in_main)
                        if in_main:
                            break
                if best is not None:
                    hits.append(Hit(u.url, "heading", _short(m, best[0], best[1]), chrome=best[2],
                                    weight=1 + len(keys.intersection(best[0].found))))
            if "body" in sc:
                for s, chrome in u.body_scans():
                    k = _first_key(keys, s.found)
                    if k is not None:
                        hits.append(Hit(u.url, "page_text", partial(m.snippet, s, k), chrome=chrome,
                                        weight=len(keys.intersection(s.found))))
                        break
            if "anchor" in sc or "link" in sc:
                anchor_hit = None if "anchor" in sc else False
                n_links = 0
                seen: set[str] = set()
                for link, s in u.link_scans():
                    k = _first_key(keys, s.found)
                    if k is None:
                        continue
                    if anchor_hit is None or (anchor_hit and anchor_hit.chrome and u.in_main(link.text)):
                        anchor_hit = Hit(u.url, "link_text", link.text, chrome=not u.in_main(link.text))
                    if "link" in sc and n_links < _MAX_LINK_HITS:
                        t = v.resolve(link.url)
                        if t is None or t.url in seen:
                            continue
                        seen.add(t.url)
                        n_links += 1
                        state = "external_ok" if (t.state == "external" and self.external_ok) else t.state
                        hits.append(Hit(t.url, "link_text", link.text, source_url=u.url,
                                        state=state, note=t.note))
                if anchor_hit:
                    hits.append(anchor_hit)
        else:
            if "doc_title" in sc:
                for s in u.title_scans():
                    k = _first_key(keys, s.found)
                    if k is not None:
                        hits.append(Hit(u.url, "document_title", _short(m, s, k)))
                        break
            if "doc_text" in sc:
                s = u.text_scan()
                k = _first_key(keys, s.found)
                if k is not None:
                    hits.append(Hit(u.url, "document_text", partial(m.snippet, s, k),
                                    weight=len(keys.intersection(s.found))))
        return hits or None

    def describe(self):
        return f"{_quote_list(self.phrases)} в {_scopes_text(self.scopes)}"


class PatternCheck(Check):
    def __init__(self, name: str, finder: pat.Finder, scopes: tuple[str, ...], what: str):
        self.name = name
        self.finder = finder
        self.scopes = scopes
        self.what = what
        self.on_pages = any(s not in _DOC_SCOPES for s in scopes)
        self.on_docs = any(s in _DOC_SCOPES for s in scopes)
        self._hrefs = name in ("phone", "email") and bool({"body", "anchor"} & set(scopes))
        self._cache_key = ("pattern", name, scopes)

    def run(self, u, v):
        cached = u.cache.get(self._cache_key, False)
        if cached is not False:
            return cached
        result = self._find(u, v)
        u.cache[self._cache_key] = result
        return result

    def _find(self, u, v):
        chrome_hit = None
        for scope in self.scopes:
            for text, chrome in u.texts(scope, v):
                found = self.finder(text)
                if found:
                    if chrome is None:                 # joined headings / link texts
                        part = u.part_of(scope, found.start)
                        hit = Hit(u.url, "pattern", part[:200], chrome=not u.in_main(part))
                    else:
                        hit = Hit(u.url, "pattern", snippet(text, found.start, found.end), chrome=chrome)
                    if not hit.chrome:
                        return [hit]
                    chrome_hit = chrome_hit or hit
        if self._hrefs and u.is_page:
            from_href = pat.phone_from_href if self.name == "phone" else pat.email_from_href
            for link in u.contact_links():
                value = from_href(link.url)
                if value:
                    text = f"{link.text} ({link.url})" if link.text and link.text not in link.url else link.url
                    hit = Hit(u.url, "pattern", text[:200], chrome=not u.in_main(link.text))
                    if not hit.chrome:
                        return [hit]
                    chrome_hit = chrome_hit or hit
        return [chrome_hit] if chrome_hit else None

    def describe(self):
        return f"{self.what} в {_scopes_text(self.scopes)}"


def _host_matches(host: str, hosts: tuple[str, ...]) -> bool:
    for h in hosts:
        if host == h or host.endswith("." + h):
            return True
    return False


class LinkHostCheck(Check):
    def __init__(self, hosts: tuple[str, ...], paths: tuple[str, ...], exclude: tuple[str, ...]):
        self.hosts, self.paths, self.exclude = hosts, paths, exclude

    def run(self, u, v):
        if not u.is_page:
            return None
        chrome_hit = None
        for host, path, link in u.offsite_links():
            if not _host_matches(host, self.hosts):
                continue
            if self.paths and not any(path.startswith(p) for p in self.paths):
                continue
            if self.exclude and any(path.startswith(p) for p in self.exclude):
                continue
            text = f"{link.text} → {link.url}" if link.text else link.url
            hit = Hit(u.url, "link_host", text[:200], chrome=not u.in_main(link.text))
            if not hit.chrome:
                return [hit]
            chrome_hit = chrome_hit or hit
        return [chrome_hit] if chrome_hit else None

    def describe(self):
        where = ", ".join(h + p for h in self.hosts for p in (self.paths or ("",)))
        return f"ссылку на {where}"


class EmbedCheck(Check):
    """A script/iframe/embed source on one of `hosts`, or containing one of `substrings`."""

    def __init__(self, hosts: tuple[str, ...] = (), substrings: tuple[str, ...] = ()):
        self.hosts, self.substrings = hosts, substrings

    def run(self, u, v):
        if not u.is_page:
            return None
        for src in u.page.embeds:
            if self.hosts:
                host, _ = v.host_path(src)
                if host and _host_matches(host, self.hosts):
                    return [Hit(u.url, "embed", src[:200], chrome=v.is_chrome_embed(src))]
            if self.substrings:
                low = src.lower()
                if any(s in low for s in self.substrings):
                    return [Hit(u.url, "embed", src[:200], chrome=v.is_chrome_embed(src))]
        return None

    def describe(self):
        return "встроенный виджет или скрипт " + ", ".join(self.hosts + self.substrings)


class ItempropCheck(Check):
    def __init__(self, names: tuple[str, ...]):
        self.names = names

    def run(self, u, v):
        if not u.is_page:
            return None
        props = u.page.itemprops
        for name in self.names:
            for value in props.get(name, ()):
                if value.strip():
                    return [Hit(u.url, "itemprop", f'itemprop="{name}": {value[:150]}')]
        return None

    def describe(self):
        return "микроразметку itemprop " + ", ".join(f"«{n}»" for n in self.names)


class UrlPathCheck(Check):
    on_docs = True

    def __init__(self, substrings: tuple[str, ...]):
        self.substrings = substrings

    def run(self, u, v):
        path = u.path
        for s in self.substrings:
            if s in path:
                return [Hit(u.url, "url_path", path[:200])]
        return None

    def describe(self):
        return "адрес страницы или документа, содержащий " + _quote_list(self.substrings)


class FormCheck(Check):
    _TEXT_INPUTS = {"text", "email", "tel", "search", ""}

    def __init__(self, textarea: bool, min_text_fields: int):
        self.textarea = textarea
        self.min_text_fields = min_text_fields

    def run(self, u, v):
        if not u.is_page:
            return None
        for f in u.page.forms:
            if not f.has_submit:
                continue
            has_ta = any(fl.tag == "textarea" for fl in f.fields)
            n_text = sum(1 for fl in f.fields
                         if fl.tag == "textarea" or (fl.tag == "input" and fl.type in self._TEXT_INPUTS))
            ok = has_ta if self.textarea else (has_ta or n_text >= self.min_text_fields)
            if ok:
                names = ", ".join(fl.name or fl.tag for fl in f.fields[:8])
                return [Hit(u.url, "form", f"форма ({f.method.upper()} {f.action or 'на эту же страницу'}): поля {names}"[:200],
                            chrome=v.is_chrome_form(f))]
        return None

    def describe(self):
        return ("форму с полем для текста обращения и кнопкой отправки" if self.textarea
                else f"форму не менее чем с {self.min_text_fields} текстовыми полями и кнопкой отправки")


class NotStubCheck(Check):
    on_docs = True

    def run(self, u, v):
        return None if (u.is_page and u.is_stub) else []


class NotNewsCheck(Check):
    on_docs = True

    def run(self, u, v):
        return None if u.is_news else []


class Node:
    """any / all / none of child checks or nodes."""

    def __init__(self, any_: list, all_: list, none_: list):
        self.any, self.all, self.none = any_, all_, none_
        kids_pos = any_ + all_
        if all_:
            self.on_pages = all(c.on_pages for c in all_) and (not any_ or any(c.on_pages for c in any_))
            self.on_docs = all(c.on_docs for c in all_) and (not any_ or any(c.on_docs for c in any_))
        else:
            self.on_pages = any(c.on_pages for c in kids_pos)
            self.on_docs = any(c.on_docs for c in kids_pos)

    def run(self, u, v):
        hits: list[Hit] = []
        for c in self.all:
            r = c.run(u, v)
            if r is None:
                return None
            hits.extend(r)
        for c in self.none:
            if c.run(u, v) is not None:
                return None
        if self.any:
            passed = False
            for c in self.any:
                r = c.run(u, v)
                if r is None:
                    continue
                passed = True
                hits.extend(r)
                if any(not h.source_url and not h.chrome for h in r) and not u.is_stub:
                    break           # found in this unit's own content: other alternatives add nothing
            if not passed:
                return None
        return hits

    def checks(self):
        for c in self.any + self.all + self.none:
            if isinstance(c, Node):
                yield from c.checks()
            else:
                yield c

    def positive_checks(self):
        for c in self.any + self.all:
            if isinstance(c, Node):
                yield from c.positive_checks()
            else:
                yield c


# ---- compiling -----------------------------------------------------------------------------

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


# ---- compiled checklist --------------------------------------------------------------------

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
