"""Rendering pages whose navigation is built by JavaScript (`--render auto|never|always`).

Most pages are fetched without a browser. In `auto` mode a page is rendered in Chromium when its static
HTML looks like a script-built shell (`PageSnapshot.render_hint`, set by crawler/extract.py), so the crawl still reaches the sections its menu
links to. One Chromium is started lazily, on the first page that needs it.
"""
from __future__ import annotations

import logging

from crawler.control.browser import BLOCKED_RESOURCES, SERVICE_HOSTS, chromium_path, launch_args
from crawler.control.netguard import BrowserGuard, GuardProxy

logger = logging.getLogger(__name__)
RENDER_MODES = ("auto", "never", "always")


class PageRenderer:
    """Renders pages in one lazily started Chromium (Playwright async API, inside Scrapy's asyncio loop)."""

    def __init__(self, executable: str | None, user_agent: str, timeout_s: float, max_pages: int,
                 resolve: dict[str, str] | None = None, site_hosts: list[str] = (), allow_private: bool = False):
        self.executable = chromium_path(executable)
        self.user_agent = user_agent
        self.timeout_ms = int(timeout_s * 1000)
        self.max_pages = max_pages
        self.resolve = resolve or {}
        # the page's own resources and redirect hops pass the crawl's private-address guard too
        self.proxy = GuardProxy(BrowserGuard.for_site(list(site_hosts), self.resolve, allow_private), SERVICE_HOSTS)
        self.rendered = 0
        self.failed_to_start = ""
        self._pw = self._browser = self._context = None

    async def _start(self) -> bool:
        if self._context is not None:
            return True
        if self.failed_to_start:
            return False
        try:
            from playwright.async_api import async_playwright   # only when a page is rendered
            self._pw = await async_playwright().start()
            self._browser = await self._pw.chromium.launch(executable_path=self.executable, headless=True,
                                                           args=launch_args(await self.proxy.start()))
            self._context = await self._browser.new_context(user_agent=self.user_agent, locale="ru-RU",
                                                            service_workers="block")

            async def _route(route):
                if route.request.resource_type in BLOCKED_RESOURCES:
                    await route.abort()
                else:
                    await route.continue_()
            await self._context.route("**/*", _route)
            return True
        except Exception as exc:
            self.failed_to_start = f"браузер не запустился: {str(exc).splitlines()[0]}"
            logger.warning("renderer: %s", self.failed_to_start)
            await self.close()
            return False

    async def render(self, url: str) -> str | None:
        """The page's DOM after its scripts ran, or None (limit reached, browser unavailable, error)."""
        if self.rendered >= self.max_pages or not await self._start():
            return None
        self.rendered += 1
        page = await self._context.new_page()
        try:
            await page.goto(url, wait_until="load", timeout=self.timeout_ms)
            try:
                await page.wait_for_load_state("networkidle", timeout=min(self.timeout_ms, 3000))
            except Exception:
                pass    # long-polling pages never go idle; the DOM after 'load' is still useful
            return await page.content()
        except Exception as exc:
            logger.info("render failed for %s: %s", url, exc)
            return None
        finally:
            await page.close()

    async def close(self) -> None:
        for closer in (self._context, self._browser):
            if closer is not None:
                try:
                    await closer.close()
                except Exception:
                    pass
        if self._pw is not None:
            await self._pw.stop()
        await self.proxy.close()
        self._pw = self._browser = self._context = None
