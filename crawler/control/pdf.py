"""report.pdf: report.html printed to A4 by Chromium (Debian's /usr/bin/chromium through Playwright).

    write_pdf(out_dir / "report.html", out_dir / "report.pdf")

The HTML is opened from file:// so the screenshots beside it load; Cyrillic comes from the system fonts
(DejaVu / Liberation). Nothing but local files is loaded: every other request is refused.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from crawler.control.browser import chromium as launch
from crawler.control.browser import site_context
from reports.atomic_file import write_atomically

PDF_NAME = "report.pdf"
PDF_TIMEOUT_MS = 60_000


class PdfError(RuntimeError):
    """The PDF could not be made; the message is Russian."""


async def render_pdf(browser, html_path: Path, pdf_path: Path) -> Path:
    """Print `html_path` to `pdf_path` (atomically) with an already launched Playwright browser."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)

    async def _local_only(route):
        if route.request.url.startswith(("file:", "data:")):
            await route.continue_()
        else:
            await route.abort()

    async with site_context(browser, block_resources=False, viewport={"width": 1100, "height": 1400}) as context:
        await context.route("**/*", _local_only)
        page = await context.new_page()
        page.set_default_timeout(PDF_TIMEOUT_MS)
        await page.goto(html_path.as_uri(), wait_until="load")
        await page.emulate_media(media="print")
        data = await page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                              margin={"top": "14mm", "bottom": "14mm", "left": "12mm", "right": "12mm"})
    if not data.startswith(b"%PDF"):
        raise PdfError("Chromium вернул не PDF")
    return write_atomically(pdf_path, data)


async def write_pdf_async(html_path: Path, pdf_path: Path, chromium: str | None = None) -> Path:
    async with launch(chromium) as browser:
        return await render_pdf(browser, html_path, pdf_path)


def write_pdf(html_path: Path, pdf_path: Path, chromium: str | None = None) -> Path:
    """Render report.html to report.pdf with its own Chromium (`chromium`: path of the executable).

    Raises PdfError (or BrowserUnavailable, also a RuntimeError) with a Russian message on failure."""
    try:
        return asyncio.run(write_pdf_async(html_path, pdf_path, chromium))
    except (PdfError, RuntimeError):
        raise
    except Exception as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise PdfError(f"Chromium не смог напечатать отчёт: {first}") from exc
