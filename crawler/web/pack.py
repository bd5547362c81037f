"""Serving a finished evidence pack (an audit folder) over HTTP: only the files its manifest lists, the
report under a strict CSP (no script runs, nothing loads from elsewhere), the whole pack as a ZIP."""
from __future__ import annotations

import io
import mimetypes
import zipfile
from pathlib import Path

from starlette.responses import FileResponse

from reports.manifest import MANIFEST_NAME, load_manifest

REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; "
              "form-action 'none'; base-uri 'none'; sandbox allow-popups allow-popups-to-escape-sandbox")
_INLINE = {"text/html", "application/pdf", "text/csv"}     # top-level reports only; images anywhere


def listed(audit: Path) -> set[str]:
    """The pack's files by its manifest (and the manifest); empty when there is none."""
    try:
        return {f["path"] for f in load_manifest(audit)["files"]} | {MANIFEST_NAME}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def pack_file(folder: Path, rel: str, allowed: set[str]) -> FileResponse | None:
    """`rel` of `folder` if it is one of `allowed`: HTML only for the reports themselves (a stored page of the
    audited site is downloaded, never rendered), every answer under REPORT_CSP."""
    if rel not in allowed or not (folder / rel).is_file():
        return None
    media = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    inline = media.startswith("image/") or (media in _INLINE and "/" not in rel)
    return FileResponse(folder / rel, media_type=media,
                        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "no-referrer"},
                        content_disposition_type="inline" if inline else "attachment",
                        filename=None if inline else Path(rel).name)


def pack_zip(audit: Path) -> bytes:
    """The evidence pack: exactly the files of its manifest, and the manifest (verifies after unpacking)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in sorted(listed(audit)):
            archive.write(audit / rel, rel)
    return buffer.getvalue()
