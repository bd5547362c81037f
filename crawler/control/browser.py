"""Debian's Chromium driven by Playwright's async API. The browser is never downloaded by Playwright: it is the
system's /usr/bin/chromium (override with --chromium or NOK_CHROMIUM)."""
from __future__ import annotations

import os
from contextlib import asynccontextmanager

from typing import TYPE_CHECKING

from crawler import settings as crawl_settings
from crawler.control.netguard import BrowserGuard, GuardProxy

if TYPE_CHECKING:       # Playwright is imported when a browser is needed: most crawls never start one
    from playwright.async_api import Browser, BrowserContext

DEFAULT_CHROMIUM = "/usr/bin/chromium"
# Chromium must contact nothing but the pages it is sent to. --disable-background-networking alone does not
# stop Debian's Chromium 156 (recorded with strace in a loopback-only network namespace: the component
# updater still resolves update.googleapis.com); every switch below was kept because of such a recording or
# because it names a service that talks to Google on its own. tests/test_no_third_party.py is the proof.
DISABLED_FEATURES = [
    # Playwright's own list (one --disable-features switch: the last one given would replace the other)
    "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
    "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding", "ThirdPartyStoragePartitioning",
    "AvoidCorsURLLoaderRestartOnRedirect", "OptimizationHints", "NetworkTimeServiceQuerying", "AimEnabled",
    "PreconnectToSearch",
    # background services: model and hint downloads, media router discovery, translate, autofill
    # server, certificate-transparency and safe-browsing list updates, DNS-over-HTTPS upgrade probes
    "OptimizationGuideModelDownloading", "OptimizationHintsFetching", "OptimizationTargetPrediction",
    "DialMediaRouteProvider", "Translate", "AutofillServerCommunication", "CertificateTransparencyComponentUpdater",
    "SafeBrowsing", "InterestFeedContentSuggestions", "DnsOverHttps", "UseDnsHttpsSvcb",
]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--disable-domain-reliability", "--disable-client-side-phishing-detection",
                 "--safebrowsing-disable-auto-update", "--no-pings", "--disable-breakpad", "--dns-prefetch-disable",
                 "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
                 "--disable-features=" + ",".join(DISABLED_FEATURES)]
# Hosts of Chromium's own services, answered «not found» by Chromium's resolver and refused by the guard proxy
# without a look-up (behind the proxy Chromium resolves nothing itself): the component updater ignores
# --disable-component-update, and a switch missed here must still not reach Google.
SERVICE_HOSTS = ["update.googleapis.com", "accounts.google.com", "clients1.google.com", "clients2.google.com",
                 "clientservices.googleapis.com", "safebrowsing.googleapis.com", "optimizationguide-pa.googleapis.com",
                 "content-autofill.googleapis.com", "redirector.gvt1.com", "edgedl.me.gvt1.com", "dl.google.com",
                 "android.clients.google.com", "dns.google", "chrome.cloudflare-dns.com"]
# Resources that never matter for a control check; blocking them keeps a check fast and light.
BLOCKED_RESOURCES = {"image", "media", "font"}


def chromium_path(explicit: str | None = None) -> str:
    return explicit or os.environ.get("NOK_CHROMIUM") or DEFAULT_CHROMIUM


class BrowserUnavailable(RuntimeError):
    """Chromium could not be started; the message is Russian and says what to do."""


def launch_args(proxy: str | None = None) -> list[str]:
    """CHROMIUM_ARGS, Chromium's service hosts answered «not found» by its resolver, and — with `proxy` (a
    netguard.GuardProxy) — every request of every context sent through that proxy, loopback included (Chromium
    bypasses the proxy for loopback unless told `<-loopback>`)."""
    args = [*CHROMIUM_ARGS, "--host-resolver-rules=" + ", ".join(f"MAP {h} ~NOTFOUND" for h in SERVICE_HOSTS)]
    if proxy:
        args += [f"--proxy-server={proxy}", "--proxy-bypass-list=<-loopback>"]
    return args


@asynccontextmanager
async def chromium(executable: str | None = None, guard: BrowserGuard | None = None):
    """One Chromium per process. With `guard` (netguard.BrowserGuard) every request Chromium makes passes it:
    the browser is started behind a GuardProxy of that guard (see crawler/control/netguard.py)."""
    path = chromium_path(executable)
    if not os.path.exists(path):
        raise BrowserUnavailable(f"браузер Chromium не найден: {path} (установите пакет chromium: ./setup.sh, "
                                 "или укажите путь через --chromium / NOK_CHROMIUM)")
    from playwright.async_api import async_playwright   # Playwright only when a browser is started

    proxy = GuardProxy(guard, SERVICE_HOSTS) if guard is not None else None
    try:
        server = await proxy.start() if proxy else None
        async with async_playwright() as p:
            try:
                browser = await p.chromium.launch(executable_path=path, headless=True, args=launch_args(server))
            except Exception as exc:
                raise BrowserUnavailable(f"не удалось запустить Chromium ({path}): {str(exc).splitlines()[0]}") from exc
            try:
                yield browser
            finally:
                await browser.close()
    finally:
        if proxy:
            await proxy.close()


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
