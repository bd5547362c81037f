"""Items the audit spider yields; the snapshot pipeline stores them."""
from __future__ import annotations

from dataclasses import dataclass

from checklists.model.snapshot import DocumentSnapshot, PageSnapshot


@dataclass
class FetchedPage:
    snapshot: PageSnapshot
    body: bytes          # raw bytes as fetched, kept as evidence


@dataclass
class FetchedDocument:
    snapshot: DocumentSnapshot
