"""A stored crawl: the hand-over point between the crawl and evaluation, and how it is read back.

Layout of a crawl folder (written by crawler.crawlstore.CrawlWriter):
    pages.jsonl       one PageSnapshot per line
    documents.jsonl   one DocumentSnapshot per line
    crawl.json        the CrawlJournal (written when the crawl ends)
    html/<sha256>.html.gz   raw page bodies, as fetched (evidence; evaluation never reads them)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from checklists.model.journal import CrawlJournal
from checklists.model.snapshot import DocumentSnapshot, PageSnapshot

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

    @classmethod
    def load(cls, folder: Path) -> "StoredCrawl":
        folder = Path(folder)
        journal_path = folder / JOURNAL
        if not journal_path.exists():
            raise FileNotFoundError(f"в папке {folder} нет сохранённого обхода ({JOURNAL})")
        journal = CrawlJournal.from_dict(json.loads(journal_path.read_text(encoding="utf-8")))
        pages = [PageSnapshot.from_dict(d) for d in _read_jsonl(folder / PAGES)]
        documents = [DocumentSnapshot.from_dict(d) for d in _read_jsonl(folder / DOCUMENTS)]
        return cls(folder=folder, journal=journal, pages=pages, documents=documents)


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
