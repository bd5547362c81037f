"""Storing what the spider fetched into the crawl folder (see crawler/crawlstore.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from scrapy import signals

from crawler.crawlstore import CrawlWriter
from crawler.items import FetchedDocument, FetchedPage

STOP_REASONS = {"finished": "finished", "closespider_timeout": "time_limit", "shutdown": "interrupted",
                "max_pages": "max_pages", "rate_limited": "rate_limited"}


class SnapshotPipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.writer: CrawlWriter | None = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler)
        # The journal is written on spider_closed, which (unlike close_spider) knows why the crawl ended.
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self):
        self.writer = CrawlWriter(self.crawler.spider.crawl_dir)

    def process_item(self, item):
        if isinstance(item, FetchedPage):
            item.snapshot.html_file = self.writer.save_body(item.snapshot.sha256, item.body)
            self.writer.add_page(item.snapshot)
        elif isinstance(item, FetchedDocument):
            self.writer.add_document(item.snapshot)
        return item

    def spider_closed(self, spider, reason):
        journal = spider.journal
        if journal.stop_reason == "finished":
            journal.stop_reason = STOP_REASONS.get(reason, reason)
        now = datetime.now(timezone.utc)
        journal.finished_at = now.isoformat(timespec="seconds")
        journal.duration_s = round((now - datetime.fromisoformat(journal.started_at)).total_seconds(), 3)
        if not journal.entry_ok and not journal.entry_error:
            journal.entry_error = "стартовая страница сайта не получена"
        self.writer.close(journal)
