"""Page and document snapshots: what the crawl hands to checklist evaluation.

A snapshot holds everything evaluation needs (text by scope, links, microdata, embedded resources, forms,
pictures of the main area), filled once during the crawl by `crawler.extract`, so a stored crawl can be
re-evaluated with another checklist without fetching or parsing again. The raw HTML is stored beside it
(gzip) as evidence.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field


@dataclass
class Link:
    url: str    # absolute, as found (fragment kept: '#' links matter for control checks)
    text: str   # anchor text, or img alt / title when the anchor has no text


@dataclass
class FormField:
    tag: str        # input | textarea | select
    type: str       # input type; '' for textarea/select
    name: str
    required: bool


@dataclass
class FormInfo:
    action: str     # absolute URL ('' when the form posts to itself)
    method: str
    fields: list[FormField]
    has_submit: bool
    submit_disabled: bool


@dataclass
class PageSnapshot:
    url: str                 # final URL after redirects
    requested_url: str
    status: int
    depth: int
    referer: str | None
    link_text: str           # text of the link that led here (empty for the start page)
    fetched_at: str
    content_type: str
    encoding: str
    encoding_note: str       # non-empty when the declared charset was wrong and the page was re-decoded
    sha256: str              # of the raw body bytes
    html_file: str           # gzip copy of the body, relative to the crawl folder
    title: str = ""
    site_name: str = ""      # <meta property="og:site_name">: the organisation's own name for its site
    header_name: str = ""    # the name the site's header / text logo shows (see _header_name)
    headings: list[str] = field(default_factory=list)
    text: str = ""           # visible text without menus (body scope)
    main_text: str = ""      # text of the main content area (stub detection)
    links: list[Link] = field(default_factory=list)
    itemprops: dict[str, list[str]] = field(default_factory=dict)
    embeds: list[str] = field(default_factory=list)   # script/iframe/embed src and URLs inside inline scripts
    forms: list[FormInfo] = field(default_factory=list)
    render_hint: str = ""    # why the static HTML looks script-built (Russian), '' when it does not
    rendered: bool = False   # the fields above come from the DOM after scripts ran (Chromium)
    # The main area shows a picture, not an icon (a short page with one is not a stub). None: the page was
    # crawled before this was extracted (crawler.crawlstore.load_crawl fills it from the stored HTML).
    content_image: bool | None = None

    def to_dict(self) -> dict:
        """What dataclasses.asdict gives, built directly: its generic deep copy cost more than writing the JSON."""
        d = {name: getattr(self, name) for name in _PAGE_FIELDS}
        d["headings"] = list(self.headings)
        d["links"] = [{"url": link.url, "text": link.text} for link in self.links]
        d["itemprops"] = {name: list(values) for name, values in self.itemprops.items()}
        d["embeds"] = list(self.embeds)
        d["forms"] = [dataclasses.asdict(f) for f in self.forms]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "PageSnapshot":
        d = dict(d)
        d["links"] = [Link(**x) for x in d.get("links", [])]
        d["forms"] = [FormInfo(**{**f, "fields": [FormField(**x) for x in f["fields"]]}) for f in d.get("forms", [])]
        return cls(**d)


_PAGE_FIELDS = tuple(f.name for f in dataclasses.fields(PageSnapshot))


@dataclass
class DocumentSnapshot:
    url: str
    referer: str | None
    link_text: str
    kind: str                # pdf | docx | doc | xls | xlsx | odt | ods | rtf | jpg | png | other
    fetched: bool            # False when only the link was recorded (off-site, oversized, failed)
    status: int | None
    content_type: str
    size: int | None
    sha256: str
    fetched_at: str
    title: str = ""          # document metadata title, when it has one
    text: str = ""           # extracted text (possibly truncated)
    note: str = ""           # Russian note: why text is missing, why it was not fetched

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "DocumentSnapshot":
        return cls(**d)
