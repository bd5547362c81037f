"""A stored crawl on disk: the hand-over point between the crawl and evaluation.

Layout of a crawl folder:
    pages.jsonl       one PageSnapshot per line
    documents.jsonl   one DocumentSnapshot per line
    crawl.json        the CrawlJournal (written when the crawl ends)
    html/<sha256>.html.gz   raw page bodies, as fetched
"""
from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from crawler.journal import CrawlJournal
from crawler.snapshot import DocumentSnapshot, PageSnapshot

PAGES = "pages.jsonl"
DOCUMENTS = "documents.jsonl"
JOURNAL = "crawl.json"
HTML_DIR = "html"


@dataclass
class StoredCrawl:
    folder: Path
    journal: CrawlJournal
    pages: list[PageSnapshot]
    documents: list[DocumentSnapshot]

    def html_of(self, page: PageSnapshot) -> bytes:
        return gzip.decompress((self.folder / page.html_file).read_bytes())


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
            path.write_bytes(gzip.compress(body, compresslevel=5))
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
        tmp = self.folder / (JOURNAL + ".tmp")
        tmp.write_text(json.dumps(journal.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.folder / JOURNAL)


def _read_jsonl(path: Path):
    if not path.exists():
        return
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue      # a line cut by a crash


def load_crawl(folder: Path) -> StoredCrawl:
    folder = Path(folder)
    journal_path = folder / JOURNAL
    if not journal_path.exists():
        raise FileNotFoundError(f"в папке {folder} нет сохранённого обхода ({JOURNAL})")
    journal = CrawlJournal.from_dict(json.loads(journal_path.read_text(encoding="utf-8")))
    pages = [PageSnapshot.from_dict(d) for d in _read_jsonl(folder / PAGES)]
    documents = [DocumentSnapshot.from_dict(d) for d in _read_jsonl(folder / DOCUMENTS)]
    return StoredCrawl(folder=folder, journal=journal, pages=pages, documents=documents)
