"""Scrapy settings of nok-audit: polite by default, because the audited sites are small public services.

The CLI overrides a few of these per run (limits, delay, User-Agent contact); `scrapy crawl audit` and
Scrapyd use them as they are.
"""
from crawler import __version__

BOT_NAME = "nok-audit"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

CONTACT_URL = "https://github.com/nok-audit/nok-audit"
# ASCII only: HTTP headers are Latin-1, and browsers refuse anything else.


def user_agent(contact: str = CONTACT_URL) -> str:
    """The tool's name and version, and where a site owner can reach the operator."""
    return f"nok-audit/{__version__} (+{contact}; independent quality assessment site audit)"


USER_AGENT = user_agent()

# robots.txt is respected by default (RFC 9309, crawler/robots.py); what it forbids is recorded in the report.
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "nok-audit"

# Politeness: few parallel requests per site, a delay adapted to the server's latency.
# One organisation per crawl: the total equals the per-site figure, so no requests wait in Scrapy's downloader
# queue beyond those in flight — a site that says «stop» (429 Retry-After) gets at most the one already sent.
CONCURRENT_REQUESTS = 2
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 20
# A 429/503 with Retry-After is waited out up to this many seconds (and never beyond the site's time budget);
# a longer wait stops the site's crawl (crawler/retry_after.py). --max-retry-after.
NOK_RETRY_AFTER_MAX = 120.0
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = True
# Pages above 5 MB are skipped (request meta overrides this); documents get NOK_DOCUMENT_MAXSIZE.
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 0
NOK_DOCUMENT_MAXSIZE = 20 * 1024 * 1024

# Breadth first: with a page budget, the sections linked from the home page matter most.
DEPTH_LIMIT = 0          # the spider enforces --max-depth itself, to count what it skipped
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Error responses are handled by the spider (recorded, not fatal).
HTTPERROR_ALLOW_ALL = False

TWISTED_DNS_RESOLVER = "crawler.resolver.PinnedResolver"
NOK_RESOLVE = {}
NOK_ALLOW_PRIVATE = False

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.SiteScopeGuard": 40,
    "crawler.middlewares.PrivateAddressGuard": 50,
    "crawler.middlewares.RobotsRecorder": 60,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.Rfc9309RobotsTxt": 100,
    "crawler.retry_after.RetryAfter": 560,
    "crawler.middlewares.EncodingFixer": 950,
}
# Scrapy's remote-control server (code execution over HTTP on 127.0.0.1) has no place in an audit run;
# switched off here so that its module (and aiohttp) is not even imported.
EXTENSIONS = {"crawler.progress.CrawlProgress": 500, "scrapy.extensions.remote_control.RemoteControl": None}
NOK_PROGRESS = False
ITEM_PIPELINES = {"crawler.pipelines.SnapshotPipeline": 300}
DUPEFILTER_CLASS = "crawler.dupefilter.AuditDupeFilter"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
