"""Extraction: the one place that parses a page's HTML into its snapshot (checklists.model.snapshot).

Evaluation works on snapshots only, so whatever a check needs is extracted here, once, during the crawl.
"""
from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit

from lxml import etree
from w3lib.url import safe_url_string

from checklists.model.snapshot import FormField, FormInfo, Link, PageSnapshot

# Elements whose text is never visible content.
_INVISIBLE = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
# class/id fragments that mark navigation blocks, whose text is menu text, not body text.
_MENU_ATTR = re.compile(r"(?:^|[\s_-])(?:menu|nav|navbar|navigation|breadcrumbs?|submenu|topmenu|sidebar-menu)(?:$|[\s_-])", re.I)
_MAIN_XPATH = tuple(etree.XPath(xp) for xp in (
    "//main", "//*[@role='main']", "//article", "//*[@id='content']", "//*[@id='main']",
    # (the cheap contains() first: libxml2 evaluates the second test only where it passes)
    "//*[contains(@class, 'content')][contains(concat(' ', normalize-space(@class), ' '), ' content ')]"))
# Pictures that are page furniture, not content (a short page showing only these is still a stub).
_ICON_SRC = re.compile(r"icon|logo|spacer|blank|pixel|counter|banner|button|arrow|\.svg(?:$|\?)|^data:", re.I)
_CHROME_TAGS = ("header", "footer", "nav", "aside")

_NOSCRIPT_JS = re.compile(r"javascript|включите", re.I)
_URL_IN_SCRIPT = re.compile(r"""https?://[^\s"'<>()\\]+""")
# Browsers read a stray «</br>» as a line break; libxml2 drops it (and glues «Иванова</br>Анна»).
_END_BR = re.compile(r"</br\s*>", re.I)
# Control characters libxml2 keeps in text but lxml refuses to set (a vertical tab after a </div> made the
# page's extraction fail). Those Python (and so the text's whitespace collapse) counts as whitespace become a
# space, as they read before; the others are invisible in a browser and go, so a word they split stays whole.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")     # (str.translate took 2 ms per page, this 0.13)


def _without_controls(html: str) -> str:
    return _CONTROL.sub(lambda m: " " if m.group().isspace() else "", html)
# Elements a reader sees as separate lines: their text never runs into the next word.
_LINE_BREAKING = ("br", "p", "div", "li", "td", "th", "tr", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
                  "section", "article", "header", "footer", "table", "ul", "ol", "blockquote")


# Plain lxml elements: lxml.html's element classes cost a Python look-up for every node touched, and nothing
# here needs their methods (text_content and drop_tree are the two below).
_PARSER = etree.HTMLParser()
_STRING = etree.XPath("string()", smart_strings=False)     # what lxml.html's text_content() is


def _clean(text: str) -> str:
    # str.split() and re's \s agree on what whitespace is (Py_UNICODE_ISSPACE); split/join is several times faster
    return " ".join(text.split())


def text_content(el) -> str:
    return _STRING(el)


def _drop(el) -> None:
    """Remove `el` with its children, keeping its tail text in place (lxml.html's drop_tree)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def _text_parts(el, skip=_INVISIBLE, mark=None) -> tuple[list[str], tuple[int, int] | None]:
    """The pieces of `el`'s text as a reader sees it (its own text and its children's, not its tail), with a
    space where an element ends; a comment and an element of a `skip` tag give only their tail (as if removed
    with `_drop`). Also where the text of `mark`, a descendant, starts and ends among the pieces (None when
    it is not met)."""
    parts: list[str] = []
    append = parts.append
    span = None

    def walk(node):
        nonlocal span
        tag = node.tag
        if tag.__class__ is not str or tag in skip:     # comments, processing instructions; skipped subtrees
            if node.tail:
                append(node.tail)
            return
        start = len(parts)
        if node.text:
            append(node.text)
        for child in node:
            walk(child)
        if node is mark:
            span = (start, len(parts))
        append(" ")
        if node.tail:
            append(node.tail)

    if el.text:
        append(el.text)
    for child in el:
        walk(child)
    return parts, span


def _text_of(el, skip=_INVISIBLE) -> str:
    return _clean("".join(_text_parts(el, skip)[0]))


def _is_menu(el) -> bool:
    tag = el.tag
    if tag in ("nav", "menu") or el.get("role") == "navigation":
        return True
    attrs = f"{el.get('class', '')} {el.get('id', '')}"
    if _MENU_ATTR.search(attrs):
        return True
    if tag in ("ul", "ol"):
        # A list made almost only of links is a menu (Bitrix/Joomla templates rarely mark it up).
        items = el.findall("li")
        if len(items) >= 3:
            total = len(_text_of(el))
            linked = sum(len(_clean(text_content(a))) for a in el.iter("a"))
            return total > 0 and linked >= 0.8 * total
    return False


def anchor_text(a) -> str:
    """The text a link shows: its text, else an image's alt/title, else its title / aria-label."""
    text = _clean(text_content(a))
    if not text:
        for img in a.iter("img"):
            text = _clean(img.get("alt") or img.get("title") or "")
            if text:
                break
    return text or _clean(a.get("title") or a.get("aria-label") or "")


def _main_area(body):
    """The first of <main>, role=main, <article>, #content… the page has, or None."""
    return next((found[0] for found in (xp(body) for xp in _MAIN_XPATH) if found), None)


def main_content(body):
    """The page's main content area: <main>, role=main, <article>, #content…; without one, the body with
    its header, footer, navigation and sidebars removed (in place)."""
    main = _main_area(body)
    if main is not None:
        return main
    for el in list(body.iter(*_CHROME_TAGS)):
        _drop(el)
    return body


def content_image(root) -> bool:
    """Does the page's main area (as `main_content` finds it) show a picture: a scheme of the structure, a
    scanned order — not an icon, a logo or a small button? Reads the tree without changing it."""
    body = root.find("body")
    body = root if body is None else body
    return _shows_picture(body, _main_area(body))


def _shows_picture(body, main) -> bool:
    for img in (main if main is not None else body).iter("img"):
        if main is None and any(a.tag in _CHROME_TAGS for a in img.iterancestors()):
            continue
        src = img.get("src") or img.get("data-src") or ""
        if not src or _ICON_SRC.search(src):
            continue
        width = img.get("width") or ""
        if width.isdigit() and int(width) < 100:
            continue
        return True
    return False


def _drop_invisible_and_menus(body) -> None:
    """Remove scripts, styles… and navigation blocks from `body` (their tails stay). What is inside a removed
    element goes with it and is not looked at (unless it is the body itself, whose text is still read)."""
    nodes = list(body.iter())
    i = 0
    while i < len(nodes):
        el = nodes[i]
        i += 1
        if el.tag.__class__ is str and el.getparent() is not None and (el.tag in _INVISIBLE or _is_menu(el)):
            if el is not body:
                i += sum(1 for _ in el.iter()) - 1      # its descendants come next in document order
            _drop(el)


def _render_hint(root, links: int) -> str:
    """Does this page's static HTML look built by script? (the `--render auto` heuristic)

    1. it loads scripts and has fewer than 3 links: an application shell;
    2. it loads scripts and a navigation container is empty (<nav> without links, or an empty element whose
       id/class names a menu): the menu is filled in by script;
    3. a <noscript> block asks the visitor to enable JavaScript.
    """
    if root.find(".//script") is None:
        return ""
    if links < 3:
        return "в статическом HTML почти нет ссылок: страница строится скриптом"
    for el in root.iter("nav", "ul", "div", "menu"):
        if el.find(".//a") is None and (el.tag == "nav" or (
                len(el) == 0 and not (el.text or "").strip()
                and _MENU_ATTR.search(f"{el.get('class', '')} {el.get('id', '')}"))):
            return "меню пустое в статическом HTML и заполняется скриптом"
    for ns in root.iter("noscript"):
        if _NOSCRIPT_JS.search(text_content(ns) or ""):
            return "страница требует JavaScript (<noscript>)"
    return ""


# The name in the site's header: an element whose class or id says it holds the name (site-name, header__name,
# logoText), else a logo holding nothing but text. Not an image's alt («Логотип»), not a logo block that also
# holds a phone or a menu, not a header's plain home link (it often reads «Главная»).
_NAME_CLASS = re.compile(r"(?:site|org|organi[sz]ation|company|brand|logo)[-_]*(?:name|title|text)(?![a-z])"
                         r"|header[-_]*name(?![a-z])", re.I)
# logo, site-logo, siteLogo; not logout
_LOGO_CLASS = re.compile(r"(?:(?<![A-Za-z])[lL]ogo|Logo|LOGO)(?:type)?(?![a-z])")
_NAME_MAX = 200     # longer: the element holds more than a name
_INLINE_TEXT = {"span", "b", "strong", "em", "i", "br"}


def _header_name(root) -> str:
    named, logos = [], []
    for el in root.xpath("//*[@class or @id]"):
        key = f'{el.get("class") or ""} {el.get("id") or ""}'
        if _NAME_CLASS.search(key):
            named.append(el)
        elif _LOGO_CLASS.search(key) and all(c.tag in _INLINE_TEXT for c in el.iterdescendants()):
            logos.append(el)
    for el in named + logos:
        text = _clean(text_content(el))
        if text and len(text) <= _NAME_MAX:
            return text
    return ""


def _absolute(base: str, origin: str, href: str) -> str | None:
    """The link's absolute URL; None for one no browser could follow ("//::", a broken IPv6 host). A path from
    the root ("/svedeniya/") does not depend on the page it is on, only on its scheme and host (`origin`): the
    menus repeated on every page are resolved once per site."""
    try:
        if origin and href.startswith("/") and not href.startswith("//"):
            return _from_root(origin, href)
        return safe_url_string(urljoin(base, href))
    except ValueError:          # (it failed the whole page's extraction)
        return None


def _origin(base: str) -> str:
    try:
        parts = urlsplit(base)
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


@functools.lru_cache(maxsize=8192)
def _from_root(origin: str, href: str) -> str:
    return safe_url_string(urljoin(origin, href))


def extract(snapshot: PageSnapshot, html: str) -> PageSnapshot:
    """Fill the content fields of `snapshot` from the page's decoded HTML."""
    try:
        root = etree.fromstring(_without_controls(_END_BR.sub("<br>", html)), _PARSER)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:        # an empty or unparsable body: nothing to show, stored as such
        snapshot.content_image = False
        return snapshot
    for el in root.iter(*_LINE_BREAKING):       # headings and link texts as a reader sees them
        el.tail = " " + el.tail if el.tail else " "
    base = snapshot.url
    for b in root.iter("base"):
        if b.get("href"):
            base = urljoin(base, b.get("href"))
            break

    title_el = root.find(".//title")
    snapshot.title = _clean(text_content(title_el)) if title_el is not None else ""
    snapshot.site_name = next((_clean(m.get("content") or "") for m in root.xpath('//meta[@property="og:site_name"]')
                               if _clean(m.get("content") or "")), "")
    snapshot.header_name = _header_name(root)
    snapshot.headings = [h for h in (_clean(text_content(e)) for e in root.iter("h1", "h2", "h3", "h4", "h5", "h6")) if h]

    origin = _origin(base)
    links: list[Link] = []
    for a in root.iter("a", "area"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "data:")):
            continue
        url = _absolute(base, origin, href)
        if url is not None:
            links.append(Link(url=url, text=anchor_text(a)))
    snapshot.links = links

    props: dict[str, list[str]] = {}
    for el in root.xpath("//*[@itemprop]"):
        value = el.get("content") or el.get("href") or el.get("src") or text_content(el)
        for name in el.get("itemprop").split():
            props.setdefault(name, []).append(_clean(value)[:500])
    snapshot.itemprops = props

    embeds: list[str] = []
    for el in root.iter("script", "iframe", "embed", "object"):
        src = el.get("src") or el.get("data")
        if src:
            embeds.append(safe_url_string(urljoin(base, src.strip())))
        elif el.tag == "script" and el.text:
            embeds.extend(_URL_IN_SCRIPT.findall(el.text))
    snapshot.embeds = embeds

    forms: list[FormInfo] = []
    for f in root.iter("form"):
        fields = [FormField(tag=e.tag, type=(e.get("type") or "text").lower() if e.tag == "input" else "",
                            name=e.get("name") or e.get("id") or "", required=e.get("required") is not None)
                  for e in f.iter("input", "textarea", "select")
                  if not (e.tag == "input" and (e.get("type") or "").lower() in ("hidden", "submit", "button", "image", "reset"))]
        submits = [e for e in f.iter("button", "input")
                   if (e.tag == "button" and (e.get("type") or "submit").lower() == "submit")
                   or (e.tag == "input" and (e.get("type") or "").lower() in ("submit", "image"))]
        action = (f.get("action") or "").strip()
        forms.append(FormInfo(action=safe_url_string(urljoin(base, action)) if action else "",
                              method=(f.get("method") or "get").lower(), fields=fields,
                              has_submit=bool(submits),
                              submit_disabled=bool(submits) and all(e.get("disabled") is not None for e in submits)))
    snapshot.forms = forms
    snapshot.render_hint = _render_hint(root, len(links))
    body = root.find("body")
    if body is None:
        body = root
    main = _main_area(body)
    snapshot.content_image = _shows_picture(body, main)

    _drop_invisible_and_menus(body)
    if body is not root and body.getparent() is None:    # the body itself was a menu: read it as it is
        snapshot.text = _text_of(body)
        snapshot.main_text = _text_of(main_content(body))
        return snapshot
    # Body and main text from one walk. Dropping only removes elements, so the main area found before is
    # still `main_content`'s answer if it is still in the body; without one, the chrome is skipped as if dropped.
    parts, span = _text_parts(body, mark=main)
    snapshot.text = _clean("".join(parts))
    if main is None:
        snapshot.main_text = _text_of(body, _INVISIBLE | set(_CHROME_TAGS))
    elif main is body:
        snapshot.main_text = snapshot.text
    elif span is not None:
        snapshot.main_text = _clean("".join(parts[span[0]:span[1]]))
    else:                   # the main area was removed with a menu, or lies outside the body
        snapshot.main_text = _text_of(main_content(body))
    return snapshot
