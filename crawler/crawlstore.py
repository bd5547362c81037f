"""Writing a crawl folder during the crawl, and opening one for evaluation (layout: checklists.model.crawl)."""
from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import lxml.html
from lxml import etree

from checklists.model.crawl import DOCUMENTS, HTML_DIR, JOURNAL, PAGES, StoredCrawl
from checklists.model.journal import CrawlJournal
from checklists.model.snapshot import DocumentSnapshot, PageSnapshot
from crawler.extract import content_image
from reports.atomic_file import write_atomically


# Bench corpus pages (49 KB): level 3 takes 0.36 ms and keeps 18.0 %, level 5 0.53 ms and 16.2 %, level 1 0.32 ms
# and 19.9 %. No time in the header (mtime=0): the same page gives the same bytes every month, so the run
# store keeps it once (its blobs are content-addressed).
GZIP_LEVEL = 3


class CrawlWriter:
    """Appends snapshots as they arrive, so a crash keeps what was fetched."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        (self.folder / HTML_DIR).mkdir(parents=True, exist_ok=True)
        # A new crawl replaces an old one in the same folder.
        self._pages = open(self.folder / PAGES, "w", encoding="utf-8")
        self._docs = open(self.folder / DOCUMENTS, "w", encoding="utf-8")

    def save_body(self, sha256: str, body: bytes) -> str:
        rel = f"{HTML_DIR}/{sha256}.html.gz"
        path = self.folder / rel
        if not path.exists():
            path.write_bytes(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
        return rel

    def add_page(self, page: PageSnapshot) -> None:
        self._pages.write(json.dumps(page.to_dict(), ensure_ascii=False) + "\n")
        self._pages.flush()

    def add_document(self, doc: DocumentSnapshot) -> None:
        self._docs.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
        self._docs.flush()

    def close(self, journal: CrawlJournal) -> None:
        self._pages.close()
        self._docs.close()
        write_atomically(self.folder / JOURNAL, json.dumps(journal.to_dict(), ensure_ascii=False, indent=1))


def page_html(crawl: StoredCrawl, page: PageSnapshot) -> bytes:
    """The raw body of a stored page, as fetched."""
    return gzip.decompress((crawl.folder / page.html_file).read_bytes())


def load_crawl(folder: Path) -> StoredCrawl:
    """A stored crawl, ready for evaluation: a page stored before a snapshot field existed gets it from its
    stored HTML here, once, so evaluation never reads raw HTML (a missing body reads as no picture)."""
    crawl = StoredCrawl.load(folder)
    for page in crawl.pages:
        if page.content_image is None:
            try:
                root = lxml.html.document_fromstring(page_html(crawl, page))
            except (OSError, EOFError, zlib.error, etree.ParserError, ValueError):   # no or broken body
                page.content_image = False
                continue
            page.content_image = content_image(root)
    return crawl
