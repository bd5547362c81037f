"""Progress of a crawl on the terminal (stderr), in Russian. Enabled by NOK_PROGRESS."""
from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured


class CrawlProgress:
    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.last = 0.0
        self.tty = sys.stderr.isatty()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NOK_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler, crawler.settings.getfloat("NOK_PROGRESS_INTERVAL", 2.0))
        crawler.signals.connect(ext.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def _line(self) -> str:
        j = self.crawler.spider.journal
        problems = len(j.problems) + len(j.robots.disallowed)
        return f"  обход: страниц {j.pages}, документов {j.documents}, проблем {problems}"

    def item_scraped(self, item):
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            sys.stderr.write(("\r" + self._line()) if self.tty else self._line() + "\n")
            sys.stderr.flush()

    def spider_closed(self):
        sys.stderr.write(("\r" if self.tty else "") + self._line() + " — обход завершён\n")
        sys.stderr.flush()
