"""Debian's Chromium driven by Playwright's async API. The browser is never downloaded by Playwright: it is the
system's /usr/bin/chromium (override with --chromium or NOK_CHROMIUM)."""
from __future__ import annotations

import os
from contextlib import asynccontextmanager

from typing import TYPE_CHECKING

from crawler import settings as crawl_settings

if TYPE_CHECKING:       # Playwright is imported when a browser is needed: most crawls never start one
    from playwright.async_api import Browser, BrowserContext

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]
# Resources that never matter for a control check; blocking them keeps a check fast and light.
BLOCKED_RESOURCES = {"image", "media", "font"}


def chromium_path(explicit: str | None = None) -> str:
    return explicit or os.environ.get("NOK_CHROMIUM") or DEFAULT_CHROMIUM


class BrowserUnavailable(RuntimeError):
    """Chromium could not be started; the message is Russian and says what to do."""


def launch_args(resolve: dict[str, str] | None = None) -> list[str]:
    """CHROMIUM_ARGS, plus --resolve pins as Chromium host-resolver rules (the browser must reach the same
    addresses as the crawl)."""
    args = list(CHROMIUM_ARGS)
    if resolve:
        args.append("--host-resolver-rules=" + ", ".join(f"MAP {h} {a}" for h, a in sorted(resolve.items())))
    return args


@asynccontextmanager
async def chromium(executable: str | None = None, resolve: dict[str, str] | None = None):
    """One Chromium per process."""
    path = chromium_path(executable)
    if not os.path.exists(path):
        raise BrowserUnavailable(f"браузер Chromium не найден: {path} (установите пакет chromium: ./setup.sh, "
                                 "или укажите путь через --chromium / NOK_CHROMIUM)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        try:
            browser = await p.chromium.launch(executable_path=path, headless=True, args=launch_args(resolve))
        except Exception as exc:
            raise BrowserUnavailable(f"не удалось запустить Chromium ({path}): {str(exc).splitlines()[0]}") from exc
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def site_context(browser: Browser, block_resources: bool = True, user_agent: str | None = None,
                       viewport: dict | None = None):
    """One browser context per site, always closed (pages first, then the context)."""
    context: BrowserContext = await browser.new_context(
        user_agent=user_agent or crawl_settings.USER_AGENT, locale="ru-RU",
        viewport=viewport or {"width": 1280, "height": 900}, ignore_https_errors=True,
        service_workers="block")
    if block_resources:
        async def _route(route):
            if route.request.resource_type in BLOCKED_RESOURCES:
                await route.abort()
            else:
                await route.continue_()
        await context.route("**/*", _route)
    try:
        yield context
    finally:
        for page in list(context.pages):
            try:
                await page.close()
            except Exception:
                pass
        await context.close()
