"""Linked documents: recognising them by URL or content type, and extracting their text.

PDF text comes from pypdfium2 (Google's PDFium, the engine of Chromium's PDF viewer: fast C++, reads the
broken PDFs that real sites publish, wheels for every platform); DOCX from python-docx (the standard
OOXML reader). Other formats are recorded with their link text only.
"""
from __future__ import annotations

import io
import logging
from urllib.parse import unquote, urlsplit

from checklists.compile import compiled_for
from checklists.loading import load_checklist

logger = logging.getLogger(__name__)

# Extension -> kind. Images count: a scanned licence published as JPG is still a published document.
DOCUMENT_EXTENSIONS = {
    "pdf": "pdf", "doc": "doc", "docx": "docx", "xls": "xls", "xlsx": "xlsx", "odt": "odt", "ods": "ods",
    "rtf": "rtf", "ppt": "ppt", "pptx": "pptx", "jpg": "jpg", "jpeg": "jpg", "png": "png", "tif": "tif",
    "tiff": "tif", "zip": "zip", "rar": "rar", "7z": "7z", "txt": "txt", "sig": "sig",
}
CONTENT_TYPES = {
    "application/pdf": "pdf", "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt", "application/rtf": "rtf", "text/rtf": "rtf",
    "image/jpeg": "jpg", "image/png": "png", "image/tiff": "tif", "application/zip": "zip",
}
# Archives and signatures are recorded but never downloaded: nothing to read in them.
NOT_FETCHED_KINDS = {"zip", "rar", "7z", "sig"}
MAX_TEXT_CHARS = 300_000
MAX_PDF_PAGES = 200


def kind_from_url(url: str) -> str | None:
    path = unquote(urlsplit(url).path).lower()
    name = path.rsplit("/", 1)[-1]
    if "." not in name:
        return None
    return DOCUMENT_EXTENSIONS.get(name.rsplit(".", 1)[-1])


IMAGE_KINDS = {"jpg", "png", "tif"}


class DocumentRelevance:
    """Orders linked documents for the document budget: those whose link text or file name names a
    checklist item first (a «Устав», a «План ФХД»), other documents next, pictures without such a
    name (gallery photos) last. Uses the same phrase matcher as the checklist."""

    def __init__(self, checklist_ref: str | None = None):
        comp = compiled_for(load_checklist(checklist_ref))
        self.matcher = comp.matcher
        self.keys = frozenset().union(*(ci.probe_keys for ci in comp.items))
        self.paths = tuple({p for ci in comp.items for p in ci.probe_paths})

    def score(self, url: str, link_text: str, kind: str) -> int:
        path = unquote(urlsplit(url).path).lower()
        name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
        named = bool(self.keys & self.matcher.scan(f"{link_text} {name}").found.keys()) or any(p in path for p in self.paths)
        if named:
            return 2
        return 0 if kind in IMAGE_KINDS else 1


def document_relevance(checklist_ref: str | None = None) -> DocumentRelevance:
    """The document ranking of a checklist (loaded once per process and file version: a worker audits many
    sites)."""
    return DocumentRelevance(checklist_ref)


def kind_from_content_type(content_type: str) -> str:
    return CONTENT_TYPES.get(content_type.split(";")[0].strip().lower(), "other")


def extract_text(kind: str, body: bytes) -> tuple[str, str, str]:
    """Return (title, text, note). `note` says in Russian why there is no text, when there is none."""
    try:
        if kind == "pdf":
            return _pdf(body)
        if kind == "docx":
            return _docx(body)
        if kind == "txt":
            return "", body.decode("utf-8", errors="replace")[:MAX_TEXT_CHARS], ""
    except Exception as exc:  # a broken file on a site must not stop the audit
        logger.info("text extraction failed (%s): %s", kind, exc)
        return "", "", f"файл повреждён или не читается ({type(exc).__name__})"
    if kind in ("jpg", "png", "tif"):
        return "", "", "изображение (скан): текст не извлекается"
    return "", "", f"текст из формата {kind.upper()} не извлекается"


def _pdf(body: bytes) -> tuple[str, str, str]:
    import pypdfium2 as pdfium       # loaded only when a crawl fetches a PDF (a native library)

    pdf = pdfium.PdfDocument(body)
    try:
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
        parts, size = [], 0
        for i in range(min(len(pdf), MAX_PDF_PAGES)):
            page = pdf[i]
            textpage = page.get_textpage()
            chunk = textpage.get_text_range()
            textpage.close()
            page.close()
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_TEXT_CHARS:
                break
        text = " ".join(parts).replace("\r", " ")[:MAX_TEXT_CHARS].strip()
    finally:
        pdf.close()
    note = "" if text else "PDF без текстового слоя (скан): текст не извлекается, документ недоступен программам чтения с экрана"
    return title, text, note


def _docx(body: bytes) -> tuple[str, str, str]:
    import docx                      # loaded only when a crawl fetches a DOCX

    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    text = "\n".join(p for p in parts if p)[:MAX_TEXT_CHARS]
    return (document.core_properties.title or "").strip(), text, "" if text else "документ пуст"
