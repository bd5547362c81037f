"""The crawler's small components, each on its own (no network)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from checklists.urls import canonical_url, host_key
from crawler.documents import extract_text, kind_from_url
from crawler.exits import EXIT_BUG, guarded
from crawler.middlewares import EncodingFixer
from crawler.scope import SiteScope, is_private_ip
from crawler.traps import TrapGuard

SITES = Path(__file__).parent / "sites"


def test_www_and_scheme_variants_are_one_site():
    scope = SiteScope("https://kcson.example.ru/", extra_hosts=["files.kcson.example.ru"])
    assert scope.contains("http://www.kcson.example.ru/uslugi/")
    assert scope.contains("https://files.kcson.example.ru/ustav.pdf")
    assert not scope.contains("https://vk.com/kcson")
    assert host_key("http://127.0.0.5:8080/") != host_key("http://127.0.0.5:8081/")


def test_private_addresses():
    assert is_private_ip("127.0.0.9") and is_private_ip("10.1.2.3") and is_private_ip("192.168.0.1")
    assert is_private_ip("169.254.1.1") and not is_private_ip("95.163.0.1")


def test_session_ids_are_dropped_from_urls():
    assert canonical_url("http://a.ru/news/?PHPSESSID=abc&page=2#top") == "http://a.ru/news/?page=2"
    assert canonical_url("http://a.ru/x;jsessionid=ABC?utm_source=vk") == "http://a.ru/x"


def test_endless_calendar_is_cut_by_its_pattern_budget():
    guard = TrapGuard(per_pattern=50, per_date_pattern=12)
    admitted = [guard.admit(f"http://a.ru/afisha/calendar/?month=2026-{m:02d}&y={y}")
                for y in range(2000, 2030) for m in range(1, 13)]
    assert sum(admitted) == 12
    assert sum(guard.dropped.values()) == len(admitted) - 12
    # ordinary sections are not affected by the calendar's budget
    assert guard.admit("http://a.ru/uslugi/tarify/")


def test_repeating_relative_paths_are_a_trap():
    guard = TrapGuard()
    assert not guard.admit("http://a.ru/a/b/a/b/a/b/a/b/")


def _response(body: bytes, header: str) -> HtmlResponse:
    request = Request("http://a.ru/")
    return HtmlResponse("http://a.ru/", body=body, headers={"Content-Type": header}, request=request)


def test_windows_1251_under_a_utf8_header_is_redecoded():
    html = "<html><head><meta charset='windows-1251'><title>Тарифы</title></head><body>Свободные места</body></html>"
    response = _response(html.encode("cp1251"), "text/html; charset=utf-8")
    fixed = EncodingFixer(None).process_response(response.request, response)
    assert "Свободные места" in fixed.text
    assert "cp1251" in response.request.meta["nok_encoding_note"]


def test_windows_1251_without_meta_is_detected():
    html = ("<html><body>" + "Комплексный центр социального обслуживания населения. " * 20 + "</body></html>")
    response = _response(html.encode("cp1251"), "text/html; charset=utf-8")
    fixed = EncodingFixer(None).process_response(response.request, response)
    assert "Комплексный центр" in fixed.text


def test_valid_utf8_is_left_alone():
    response = _response("<p>Тарифы</p>".encode(), "text/html; charset=utf-8")
    assert EncodingFixer(None).process_response(response.request, response) is response


def test_document_kinds_and_pdf_text():
    assert kind_from_url("http://a.ru/upload/Устав%202024.PDF") == "pdf"
    assert kind_from_url("http://a.ru/docs/scan.jpeg") == "jpg"
    assert kind_from_url("http://a.ru/uslugi/") is None
    pdfs = sorted(SITES.glob("*/docs/*.pdf"))
    assert pdfs, "test sites ship real PDFs"
    _, text, note = extract_text("pdf", pdfs[0].read_bytes())
    assert text and not note
    assert any("а" <= ch <= "я" for ch in text.lower()), "Cyrillic text layer is read"


def test_broken_document_gives_a_note_not_an_exception():
    title, text, note = extract_text("pdf", b"%PDF-1.4 broken")
    assert text == "" and "не читается" in note


def test_an_internal_error_is_one_russian_line_naming_the_file_with_its_traceback(capsys):
    def broken() -> int:
        return {}["нет такого ключа"]

    assert guarded(broken) == EXIT_BUG
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("Внутренняя ошибка nok-audit:") and len(err.splitlines()) == 1
    path = Path(re.search(r"файл (\S+)\.$", err.strip()).group(1))
    try:
        kept = path.read_text(encoding="utf-8")
        assert "Traceback" in kept and "KeyError" in kept and "broken" in kept
    finally:
        path.unlink()


def test_a_page_body_is_stored_as_the_same_bytes_at_any_time(tmp_path):
    """The run store keeps a blob once per content: the gzip copy of a page must not carry the time it was
    written (gzip's header mtime), or last month's unchanged page is stored again."""
    import gzip
    import hashlib
    import time

    from crawler.crawlstore import CrawlWriter

    body = "<html><body><h1>Устав</h1></body></html>".encode() * 50
    sha = hashlib.sha256(body).hexdigest()
    stored = []
    for name in ("june", "july"):
        writer = CrawlWriter(tmp_path / name)
        stored.append((tmp_path / name / writer.save_body(sha, body)).read_bytes())
        time.sleep(1.1)         # gzip's header time has a resolution of one second
    assert stored[0] == stored[1] and gzip.decompress(stored[0]) == body
