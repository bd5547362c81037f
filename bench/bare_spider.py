"""Baselines (b) and (b2) of the benchmark: a bare Scrapy CrawlSpider that only follows the links of a site.

    .venv/bin/python bench/bare_spider.py URL STATS.json [--concurrency 8]                 (b): one site
    .venv/bin/python bench/bare_spider.py URL URL … STATS.json --jobs J [--concurrency 8]   (b2): many sites

With several URLs, all sites are crawled in ONE process and one reactor, J crawlers (one per site, each its
own spider and downloader) at a time, a new one started as another finishes: the strongest bare-Scrapy
baseline for nok-audit's in-process batch (interpreter and imports paid once).

No robots.txt, no delay, no storage, no parsing beyond Scrapy's own link extraction: the floor of
what any Scrapy-based crawler pays per page. Documents (PDF, DOCX …) are downloaded like pages
(LinkExtractor's default deny list would skip them, but nok-audit downloads them, so the baseline
must too); their text is not extracted. Settings otherwise match nok-audit's with --delay 0
(CONCURRENT_REQUESTS 16, CONCURRENT_REQUESTS_PER_DOMAIN = --concurrency, cookies on, asyncio reactor).
Not run through the `scrapy` command: that would load this repository's scrapy.cfg and with it
nok-audit's middlewares and pipelines.

Writes STATS.json: pages (HTML responses), documents (other responses), errors, and timestamps
(t_start at the top of this script, t_opened of the first spider / t_closed of the last, t_end) for the
benchmark's startup / crawl / shutdown split; with several sites also `sites`, the counts per site.
"""
from __future__ import annotations

import time

T_START = time.time()

import argparse  # noqa: E402
import json  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from scrapy import signals  # noqa: E402
from scrapy.crawler import CrawlerProcess  # noqa: E402
from scrapy.http import Request, TextResponse  # noqa: E402
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor  # noqa: E402
from scrapy.spiders import CrawlSpider, Rule  # noqa: E402

DOCUMENT_EXTENSIONS = {"pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "rtf", "txt"}


class BareSpider(CrawlSpider):
    name = "bare"
    rules = (Rule(LinkExtractor(deny_extensions=[e for e in IGNORED_EXTENSIONS if e not in DOCUMENT_EXTENSIONS]),
                  callback="parse_item", follow=True),)

    def __init__(self, url: str, stats_path: str, **kwargs):
        self.start_urls = [url]
        self.allowed_domains = [urlsplit(url).hostname]
        super().__init__(**kwargs)
        self.stats_path = stats_path
        self.counts = {"pages": 0, "documents": 0, "errors": 0}
        self.t_opened = self.t_closed = 0.0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    async def start(self):
        # Without dont_filter (Spider's default for start_urls), so that the links back to "/" are
        # recognised as duplicates: the home page is fetched once, as by nok-audit and wget.
        yield Request(self.start_urls[0])

    def on_opened(self, spider):
        self.t_opened = time.time()

    def on_closed(self, spider, reason):
        self.t_closed = time.time()
        self.counts["reason"] = reason

    def parse_start_url(self, response):
        return self.parse_item(response)

    def parse_item(self, response):
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1")
        if isinstance(response, TextResponse) and "html" in ctype:
            self.counts["pages"] += 1
        else:
            self.counts["documents"] += 1
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("urls", nargs="+", metavar="URL")
    ap.add_argument("stats", metavar="STATS.json")
    ap.add_argument("--concurrency", type=int, default=8, help="requests per site at once (default 8)")
    ap.add_argument("--jobs", type=int, default=1, help="sites crawled at once in this process (default 1)")
    args = ap.parse_args()
    settings = {
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "CONCURRENT_REQUESTS": 16,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "USER_AGENT": "nok-audit-bench-bare/1",
    }
    process = CrawlerProcess(settings)
    crawlers = []
    pending = list(args.urls)

    def next_site(_=None):
        # Chained on the end of a crawl: the next site starts as soon as one of the J finishes.
        if pending:
            crawler = process.create_crawler(BareSpider)
            crawlers.append(crawler)
            return process.crawl(crawler, url=pending.pop(0), stats_path=args.stats).addBoth(next_site)
        return None

    lanes = [next_site() for _ in range(min(args.jobs, len(pending)))]
    from twisted.internet import defer, reactor        # installed by the first crawler (TWISTED_REACTOR)
    defer.DeferredList(lanes).addBoth(lambda _: reactor.stop())
    process.start(stop_after_crawl=False)
    per_site = []
    for crawler in crawlers:
        spider = crawler.spider
        per_site.append({**spider.counts, "url": spider.start_urls[0], "t_opened": spider.t_opened,
                         "t_closed": spider.t_closed,
                         "errors": crawler.stats.get_value("log_count/ERROR", 0),
                         "responses": crawler.stats.get_value("response_received_count", 0)})
    stats = {k: sum(x[k] for x in per_site) for k in ("pages", "documents", "errors", "responses")}
    stats.update(t_start=T_START, t_opened=min(x["t_opened"] for x in per_site),
                 t_closed=max(x["t_closed"] for x in per_site), t_end=time.time())
    if len(per_site) > 1:
        stats["sites"] = per_site
    else:
        stats["reason"] = per_site[0].get("reason")
    with open(args.stats, "w", encoding="utf-8") as f:
        json.dump(stats, f)


if __name__ == "__main__":
    main()
