"""Duplicate filter that notices redirect loops.

A redirect back to a URL of its own redirect chain is dropped by the duplicate filter without an error; for an
audit that silence would lose the page, so the loop is recorded in the journal.
"""
from __future__ import annotations

from scrapy.dupefilters import RFPDupeFilter

from checklists.model.journal import Problem


class AuditDupeFilter(RFPDupeFilter):
    spider = None

    @classmethod
    def from_crawler(cls, crawler):
        dupefilter = super().from_crawler(crawler)
        dupefilter.crawler = crawler
        return dupefilter

    def log(self, request, spider):
        chain = request.meta.get("redirect_urls") or []
        if request.url in chain:
            spider = self.crawler.spider
            origin = chain[0]
            spider.record_problem(Problem(url=origin, kind="redirect_loop",
                                          message="перенаправления ведут по кругу (цикл перенаправлений)",
                                          referer=request.meta.get("nok_referer"),
                                          link_text=request.meta.get("nok_link_text", "")),
                                  request)
        super().log(request, spider)
