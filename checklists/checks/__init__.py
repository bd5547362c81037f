"""Checks and rule trees: how a checklist item's `detect:` block is run (compiled by checklists/compile.py).

One module per family: base (hits, scopes, the Check interface, the any/all/none tree), phrases, patterns,
links, forms, page_shape.

axe-core style: an item is a rule, the leaves are small checks, and a rule tree combines them:

    {any: [...]}   at least one child passes
    {all: [...]}   every child passes
    {none: [...]}  no child passes
    (the three keys may be combined in one node and nested)

A tree is run against ONE unit at a time: one page or one document of the stored crawl
(checklists/units.py: PageUnit / DocUnit), so "a phrase in a heading AND not a stub" holds on the same page.
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
