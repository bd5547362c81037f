"""The `audit` spider as Scrapy and Scrapyd know it: the site spider (crawler/site_spider.py), usable on its own

    scrapy crawl audit -a url=https://kcson.example.ru -a out=/tmp/kcson/crawl

or as one job of a stored run (what a Scrapyd node and the in-process worker run; crawler/runs/site_job.py):

    scrapy crawl audit -a run=RUN -a site=SITE -a worker=TOKEN -a db=URL [-a plan=JSON]
"""
from __future__ import annotations

from crawler.runs.site_job import SiteJob
from crawler.site_spider import SiteSpider


class AuditSpider(SiteSpider):
    name = "audit"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        if "run" in kwargs:     # a job of a stored run: the store names the site, the plan the options
            kwargs = SiteJob.attach(crawler, kwargs)
        return super().from_crawler(crawler, *args, **kwargs)
