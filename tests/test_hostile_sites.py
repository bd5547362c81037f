"""Sites that misbehave by the standards' book: robots.txt that fails (RFC 9309) and a server that asks the
crawler to come back later (HTTP 429/503 with Retry-After, RFC 9110). Real loopback servers count every request."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from conftest import FAST, run_cli
from crawler.retry_after import retry_after_seconds
from sitesrv import start_site

SMALL = Path(__file__).parent / "sites_hostile" / "small"
RFC_REASON = "по правилам RFC 9309 обход не выполнялся"


@pytest.fixture
def small():
    """A fresh server of the small site per test (its behaviour is set by the test), on 127.0.0.90."""
    with start_site(SMALL, "127.0.0.90") as server:
        yield server


def _audit(server, tmp_path, *extra):
    out = tmp_path / "out"
    return run_cli(["check", server.base_url + "/", "--out", str(out), *FAST, *extra], out, timeout=120)


@pytest.mark.parametrize("behaviour,what", [
    ({"status": {"/robots.txt": 500}}, "HTTP 500"),
    ({"status": {"/robots.txt": 503}}, "HTTP 503"),
    ({"slow": {"/robots.txt": 30}}, "сервер не ответил за отведённое время"),
])
def test_robots_txt_that_fails_forbids_the_whole_crawl(small, tmp_path, behaviour, what):
    small.config.update(behaviour)
    run = _audit(small, tmp_path, "--timeout", "1")
    assert run.code == 3, run.stderr
    assert {h.path for h in small.requests} == {"/robots.txt"}, "nothing but robots.txt was requested"
    report = run.report
    reason = report["robots"]["unavailable"]
    assert what in reason and RFC_REASON in reason and "--ignore-robots" in reason
    assert report["items"] and all(i["status"] == "unknown" for i in report["items"])
    assert all(RFC_REASON in i["reason"] and "--ignore-robots" in i["reason"] for i in report["items"])
    assert report["crawl"]["status"] == "unreachable"
    assert report["crawl"]["status_text"].startswith("не удалось проверить: robots.txt сайта недоступен")
    assert RFC_REASON in run.html and "Traceback" not in run.stderr

    summary = tmp_path / "summary"
    made = run_cli(["report", str(run.out), "--out", str(summary)], timeout=60)
    assert made.code == 0, made.stderr
    html = (summary / "summary.html").read_text(encoding="utf-8")
    ranking, not_checked = html.split('id="unreachable"', 1)
    assert "127.0.0.90" not in ranking.split('id="ranking"', 1)[1], "not ranked (as zero or otherwise)"
    assert "127.0.0.90" in not_checked.split("</section>", 1)[0] and RFC_REASON in not_checked


def test_robots_txt_not_found_means_no_restrictions(small, tmp_path):
    small.config.update({"status": {"/robots.txt": 404}})
    run = _audit(small, tmp_path)
    assert run.code == 0, run.stderr
    assert "/novosti/8/" in {h.path for h in small.requests}
    assert run.report["robots"]["unavailable"] == "" and run.report["robots"]["status"] == 404


def test_failing_robots_txt_with_ignore_robots_is_crawled(small, tmp_path):
    small.config.update({"status": {"/robots.txt": 500}})
    run = _audit(small, tmp_path, "--ignore-robots")
    assert run.code == 0, run.stderr
    assert "/robots.txt" not in {h.path for h in small.requests} and "/uslugi/" in {h.path for h in small.requests}


def test_a_robots_txt_over_500_kib_is_read_up_to_500_kib(tmp_path):
    site = tmp_path / "big_robots"
    site.mkdir()
    for f in SMALL.rglob("*"):
        if f.is_file():
            (site / f.relative_to(SMALL)).parent.mkdir(parents=True, exist_ok=True)
            (site / f.relative_to(SMALL)).write_bytes(f.read_bytes())
    filler = "# " + "x" * 97 + "\n"
    head = "User-agent: *\nDisallow: /o-nas/\n" + filler * (490 * 1024 // len(filler))
    (site / "robots.txt").write_text(head + filler * 200 + "Disallow: /uslugi/\n", encoding="utf-8")
    with start_site(site, "127.0.0.91") as server:
        run = _audit(server, tmp_path)
    paths = {h.path for h in server.requests}
    assert run.code == 0, run.stderr
    assert "/o-nas/" not in paths, "a rule inside the first 500 KiB applies"
    assert "/uslugi/" in paths, "a rule beyond 500 KiB is not read"


@pytest.mark.parametrize("concurrency", [1, 2])
def test_retry_after_longer_than_the_budget_stops_the_crawl_without_hammering(small, tmp_path, concurrency):
    small.config.update({"retry_after": {"/uslugi/": {"value": "3600"}}})
    run = _audit(small, tmp_path, "--concurrency", str(concurrency))
    hits = small.requests
    assert [h.path for h in hits].count("/uslugi/") == 1 and len(small.refused_at) == 1
    after = [h.path for h in hits if h.at > small.refused_at[0]]
    # Requests that were already on their way (one per parallel connection) may still arrive; nothing else.
    assert len(after) <= concurrency, f"further requests after the 429: {after}"
    assert len(hits) < 10, "the other pages linked from the home page were never requested"
    assert run.code == 0, run.stderr                       # the home page was fetched: a partial report
    report = run.report
    assert report["crawl"]["stop_reason"] == "rate_limited" and report["crawl"]["status"] == "partial"
    refused = [e for e in report["errors"] if e["kind"] == "rate_limited"]
    assert refused and "Retry-After: 3600" in refused[0]["message"] and "/uslugi/" in refused[0]["url"]
    statuses = {i["status"] for i in report["items"]}
    assert "absent" not in statuses, "nothing is «нет» on a crawl the site cut short"
    unknown = [i for i in report["items"] if i["status"] == "unknown"]
    assert unknown and all("повторить запросы позже" in i["reason"] for i in unknown)


@pytest.mark.parametrize("value", ["1", "date+2"])
def test_a_short_retry_after_is_waited_out_and_the_crawl_goes_on(small, tmp_path, value):
    small.config.update({"retry_after": {"/uslugi/": {"value": value, "times": 1}}})
    run = _audit(small, tmp_path)
    assert run.code == 0, run.stderr
    uslugi = [h for h in small.requests if h.path == "/uslugi/"]
    refused = small.refused_at[0]
    assert len(uslugi) == 2 and uslugi[1].at - refused >= 0.9, "asked again only after the wait"
    during = [h.path for h in small.requests if refused < h.at < refused + 0.9]
    # The whole site waited, not one request: only those already on their way (--concurrency 2) arrived.
    assert len(during) <= 2, during
    report = run.report
    assert report["crawl"]["stop_reason"] == "finished"
    assert {h.path for h in small.requests} >= {"/uslugi/", "/novosti/8/", "/vakansii/"}
    pages = [json.loads(line)["url"] for line in (run.out / "crawl" / "pages.jsonl").read_text().splitlines()]
    assert any(u.endswith("/uslugi/") for u in pages)


def test_retry_after_beyond_the_cap_stops_even_within_the_time_limit(small, tmp_path):
    small.config.update({"retry_after": {"/uslugi/": {"value": "5", "status": 503}}})
    run = _audit(small, tmp_path, "--max-retry-after", "2")
    assert [h.path for h in small.requests].count("/uslugi/") == 1
    refused = [e for e in run.report["errors"] if e["kind"] == "rate_limited"]
    assert refused and "HTTP 503" in refused[0]["message"] and "--max-retry-after" in refused[0]["message"]


def test_retry_after_values():
    now = datetime(2026, 12, 4, 21, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(b"0", now) == 0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert retry_after_seconds("Fri, 04 Dec 2026 20:00:00 GMT", now) == 0          # in the past: now
    for junk in (None, "", "soon", "-5", "1.5e3", "Fri, 99 Foo 2026"):
        assert retry_after_seconds(junk, now) is None


def test_robots_txt_asking_to_retry_shortly_is_waited_for_then_obeyed(small, tmp_path):
    small.config.update({"retry_after": {"/robots.txt": {"status": 503, "value": "1", "times": 1}}})
    run = _audit(small, tmp_path)
    assert run.code == 0, run.stderr
    robots = [h for h in small.requests if h.path == "/robots.txt"]
    assert len(robots) == 2 and robots[1].at - small.refused_at[0] >= 0.9
    assert run.report["robots"]["unavailable"] == "" and "/novosti/8/" in {h.path for h in small.requests}
