"""The page text of crawler/extract.py (one walk for body and main text, scripts and menus dropped in one pass)
against a reference written here the plain way: lxml.html's tree, every element looked at, one recursive
walk per text, the main area found after the drops. Generated pages mix the tags that matter (invisible,
menu, chrome, main-area markers, lists of links), comments and all kinds of whitespace."""
from __future__ import annotations

import re

import lxml.html
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists.model.snapshot import PageSnapshot
from crawler.extract import _clean, extract

_INVISIBLE = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object"}
_MENU_ATTR = re.compile(r"(?:^|[\s_-])(?:menu|nav|navbar|navigation|breadcrumbs?|submenu|topmenu|sidebar-menu)(?:$|[\s_-])", re.I)
_MAIN = ("//main", "//*[@role='main']", "//article", "//*[@id='content']", "//*[@id='main']",
         "//*[contains(concat(' ', normalize-space(@class), ' '), ' content ')]")


def reference_clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def reference_text(el) -> str:
    """Visible text: comments and invisible elements give only their tail; a space where an element ends."""
    def walk(node):
        if not isinstance(node.tag, str) or node.tag in _INVISIBLE:
            return node.tail or ""
        return (node.text or "") + "".join(walk(c) for c in node) + " " + (node.tail or "")
    return reference_clean((el.text or "") + "".join(walk(c) for c in el))


def reference_is_menu(el) -> bool:
    if el.tag in ("nav", "menu") or el.get("role") == "navigation":
        return True
    if _MENU_ATTR.search(f"{el.get('class', '')} {el.get('id', '')}"):
        return True
    if el.tag in ("ul", "ol") and len(el.findall("li")) >= 3:
        total = len(reference_text(el))
        linked = sum(len(reference_clean(a.text_content())) for a in el.iter("a"))
        return total > 0 and linked >= 0.8 * total
    return False


def reference_texts(html: str) -> tuple[str, str]:
    """(text, main_text) of a page the way extract() defines them, computed without shortcuts."""
    html = re.sub("[\x0b\x0c\x1c-\x1f]", " ", re.sub("[\x00-\x08\x0e-\x1b]", "", html))
    root = lxml.html.document_fromstring(html)
    for el in root.iter("br", "p", "div", "li", "td", "th", "tr", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
                        "h6", "section", "article", "header", "footer", "table", "ul", "ol", "blockquote"):
        el.tail = " " + el.tail if el.tail else " "
    body = root.find("body")
    body = root if body is None else body
    for el in list(body.iter()):
        if isinstance(el.tag, str) and el.getparent() is not None and (el.tag in _INVISIBLE or reference_is_menu(el)):
            el.drop_tree()
    text = reference_text(body)
    main = next((found[0] for found in (body.xpath(xp) for xp in _MAIN) if found), None)
    if main is None:
        for el in list(body.iter("header", "footer", "nav", "aside")):
            el.drop_tree()
        main = body
    return text, reference_text(main)


_SPACE = st.sampled_from([" ", "  ", "\n", "\t", "\xa0", "\u2003", "\x0b", "\x1c", "\r\n", "", "\x00", "\x01"])
_WORD = st.sampled_from(["Устав", "приём", "a", "b", "контакты", "8 (800) 100-00-00", "&amp;", "x"])
_TEXT = st.lists(st.one_of(_WORD, _SPACE), max_size=4).map("".join)
_TAGS = ["div", "span", "p", "b", "a", "li", "ul", "ol", "nav", "main", "article", "header", "footer", "aside",
         "script", "style", "noscript", "svg", "iframe", "section", "td", "h2", "br", "menu"]
_ATTRS = st.sampled_from(["", ' class="content"', ' class="top-menu"', ' id="main"', ' id="content"',
                          ' role="main"', ' role="navigation"', ' class="logo nav"', ' class="page content x"',
                          ' href="/a"'])


@st.composite
def _node(draw, depth=0):
    if depth > 3 or draw(st.integers(0, 4)) == 0:
        return draw(st.one_of(_TEXT, _TEXT.map(lambda t: f"<!--{t}-->")))
    tag = draw(st.sampled_from(_TAGS))
    if tag == "br":
        return "<br>"
    inner = "".join(draw(st.lists(_node(depth + 1), max_size=4)))
    return f"<{tag}{draw(_ATTRS)}>{inner}</{tag}>"


_PAGE = st.builds(lambda head, body, attrs: f"<html><head><title>t</title>{head}</head><body{attrs}>{body}</body></html>",
                  st.sampled_from(["", "<script>var x = 1;</script>", "<style>p {}</style>"]),
                  st.lists(_node(), min_size=1, max_size=6).map("".join),
                  st.sampled_from(["", ' class="page"', ' id="main"', ' class="nav"']))


def _snapshot(html: str) -> PageSnapshot:
    return extract(PageSnapshot(url="http://127.0.0.1/p", requested_url="http://127.0.0.1/p", status=200, depth=0,
                                referer=None, link_text="", fetched_at="", content_type="text/html",
                                encoding="utf-8", encoding_note="", sha256="", html_file=""), html)


@given(st.text(alphabet=st.sampled_from("аб c\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u3000\u200b\ufeff"),
               max_size=30))
def test_whitespace_is_collapsed_as_the_regular_expression_does(text):
    assert _clean(text) == reference_clean(text)


@settings(max_examples=300, deadline=None)
@given(_PAGE)
def test_text_and_main_text_equal_the_reference(html):
    snapshot = _snapshot(html)
    assert (snapshot.text, snapshot.main_text) == reference_texts(html)


def test_a_menu_list_is_dropped_and_the_main_area_kept():
    html = ("<body><header>Шапка</header><ul><li><a href='/1'>Один</a><li><a href='/2'>Два</a>"
            "<li><a href='/3'>Три</a></ul><main><p>Устав <b>учреждения</b></p><script>x()</script></main>"
            "<footer>Подвал</footer></body>")
    snapshot = _snapshot(html)
    assert snapshot.text == "Шапка Устав учреждения Подвал"
    assert snapshot.main_text == "Устав учреждения"
    assert (snapshot.text, snapshot.main_text) == reference_texts(html)


def test_a_control_character_in_the_text_does_not_lose_the_page():
    snapshot = _snapshot("<body><div>Устав</div>\x0bучре\x00ждения\x01.</body>")
    assert snapshot.text == "Устав учреждения."


def test_a_snapshot_is_stored_as_dataclasses_asdict_gives_it():
    import dataclasses

    snapshot = _snapshot('<html><head><title>Приёмная</title></head><body><h1>Обращения</h1>'
                         '<span itemprop="telephone">+7 800 100-00-00</span><a href="/a">Устав</a>'
                         '<iframe src="https://vk.com/widget"></iframe><form action="/send" method="post">'
                         '<input name="fio" required><textarea name="text"></textarea><button>Отправить</button>'
                         '</form></body></html>')
    assert snapshot.forms and snapshot.links and snapshot.itemprops and snapshot.embeds and snapshot.headings
    assert snapshot.to_dict() == dataclasses.asdict(snapshot)
    assert PageSnapshot.from_dict(snapshot.to_dict()) == snapshot


@given(st.sampled_from(["http://127.0.0.1/", "https://кцсон.рф/a/b.html?x=1#f", "http://h:8080/dir/", "HTTP://H.ru",
                        "http://u@h.ru/a/./b/../c"]),
       st.text(alphabet=st.sampled_from("/.abя?#%&= :\\"), max_size=20).map(lambda t: "/" + t))
def test_a_link_from_the_root_resolves_as_urljoin_does(base, href):
    from urllib.parse import urljoin, urlsplit

    from w3lib.url import safe_url_string

    from crawler.extract import _absolute

    try:
        expected = safe_url_string(urljoin(base, href))
    except ValueError:
        expected = None         # not a URL: the link is left out
    parts = urlsplit(base)
    assert _absolute(base, f"{parts.scheme}://{parts.netloc}", href) == expected


def test_a_link_that_is_no_url_is_left_out_and_the_page_kept():
    snapshot = _snapshot('<body><h1>Устав</h1><a href="//::">x</a><a href="/ustav/">Устав</a></body>')
    assert [link.url for link in snapshot.links] == ["http://127.0.0.1/ustav/"]
    assert snapshot.text == "Устав x Устав"
