"""The report stage: report.json content, its schema, report.html safety and the terminal summary."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import lxml.html
import pytest

from checklists.model import INDICATORS, Checklist, Item
from checklists.results import EVIDENCE_KINDS, REJECTED, WEAK, Evidence, Finding
from crawler.crawlstore import CrawlWriter, load_crawl
from crawler.journal import PROBLEM_KINDS, CrawlJournal, Problem, RobotsInfo
from crawler.snapshot import DocumentSnapshot, PageSnapshot
from reports import labels
from reports.html_view import link, readable_url
from reports.render import (SCHEMA_PATH, ReportInputError, ReportSchemaError, build_report, render_html,
                            terminal_summary, write_reports)

SITE = "https://" + "кцсон-пример.рф".encode("idna").decode("ascii") + "/"
XSS_SNIPPET = "Учредитель: <script>alert(1)</script> министерство"
XSS_URL = "javascript:alert(1)"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: 'self'"


# ---------------------------------------------------------------- hand-made inputs

def _page(url: str, title: str, sha: str, depth: int = 1) -> PageSnapshot:
    return PageSnapshot(url=url, requested_url=url, status=200, depth=depth, referer=SITE if depth else None,
                        link_text="", fetched_at="2026-11-22T10:00:05+00:00", content_type="text/html",
                        encoding="utf-8", encoding_note="", sha256=sha, html_file=f"html/{sha}.html.gz",
                        title=title, headings=[title], text="текст", main_text="текст")


def make_journal(**changes) -> CrawlJournal:
    journal = CrawlJournal(
        start_url=SITE, site_hosts=[SITE.split("/")[2]], started_at="2026-11-22T10:00:00+00:00",
        user_agent="nok-audit/0.1 (+https://example.org/nok-audit)", max_pages=500, max_depth=6,
        final_url=SITE, finished_at="2026-11-22T10:02:05+00:00", duration_s=125.0, entry_ok=True,
        stop_reason="finished", pages=2, documents=1, bytes=734_003,
        robots=RobotsInfo(obeyed=True, url=SITE + "robots.txt", status=200),
    )
    for key, value in changes.items():
        setattr(journal, key, value)
    return journal


def make_crawl(folder: Path, journal: CrawlJournal | None = None):
    writer = CrawlWriter(folder)
    for page in (_page(SITE, "ГБУ «КЦСОН Примерного района»", "a" * 64, depth=0),
                 _page(SITE + "sveden/", "Сведения об организации <script>alert(2)</script>", "b" * 64)):
        writer.save_body(page.sha256, b"<html><body>x</body></html>")
        writer.add_page(page)
    writer.add_document(DocumentSnapshot(
        url=SITE + "files/ustav.pdf", referer=SITE + "sveden/", link_text="Устав учреждения", kind="pdf",
        fetched=True, status=200, content_type="application/pdf", size=120_000, sha256="c" * 64,
        fetched_at="2026-11-22T10:01:00+00:00", title="Устав"))
    if journal is None:
        journal = make_journal(
            problems=[Problem(url=SITE + "old/", kind="http_error", message="HTTP 404", referer=SITE + "sveden/",
                              link_text="<img src=x onerror=alert(3)>Старый раздел")],
        )
    writer.close(journal)
    return load_crawl(folder)


def _item(id_: str, name: str, indicator: str, confidence: str = "C", counts_in_norm: bool = True,
          enabled: bool = True) -> Item:
    return Item(id=id_, name=name, indicator=indicator, legal_basis="442-ФЗ ст. 13 ч. 2; Приказ Минтруда № 886н п. 3",
                fix=f"Разместите сведения «{name}» в разделе «Сведения о поставщике».", detect={},
                confidence=confidence, counts_in_norm=counts_in_norm, enabled=enabled)


def make_checklist() -> Checklist:
    return Checklist(id="social", version="2026.1", name="Поставщики социальных услуг", sector="social",
                     source="checklists/social.yaml", items=[
                         _item("reg_date", "о дате государственной регистрации", "1.1"),
                         _item("founder", "об учредителе (учредителях)", "1.1"),
                         _item("structure", "о структуре и об органах управления", "1.1", confidence="U"),
                         _item("free_places", "о количестве свободных мест", "1.1"),
                         _item("tariffs", "о тарифах на социальные услуги", "1.1", confidence="U"),
                         _item("format_no_registration", "доступ без регистрации", "1.1", counts_in_norm=False),
                         _item("retired", "исключённый пункт", "1.1", enabled=False),
                         _item("ch_phone", "абонентский номер телефона", "1.2", confidence="P"),
                         _item("ch_email", "адрес электронной почты", "1.2", confidence="P"),
                         _item("ch_faq", "раздел «Часто задаваемые вопросы»", "1.2", confidence="P"),
                         _item("acc_alt_version", "альтернативная версия сайта для инвалидов по зрению", "3.2",
                               confidence="P", counts_in_norm=False),
                         _item("pos_widget", "виджет ПОС «Решаем вместе»", "extra", counts_in_norm=False),
                     ])


def make_findings() -> list[Finding]:
    sveden = SITE + "sveden/"
    # Deliberately not in checklist order: the report must restore it.
    return [
        Finding("pos_widget", "absent", reason="На страницах сайта нет виджета ПОС."),
        Finding("reg_date", "present", evidence=[
            Evidence(url=sveden, kind="page_text", snippet="Дата государственной регистрации: 12.03.1996")]),
        Finding("founder", "present", evidence=[
            Evidence(url=sveden, kind="heading", snippet=XSS_SNIPPET),
            Evidence(url=SITE + "news/1/", kind="page_text", snippet="новость об учредителе", strength=WEAK,
                     note="новость")]),
        Finding("structure", "absent", reason="Раздел о структуре не найден ни на одной странице.", evidence=[
            Evidence(url=SITE + "struktura/", kind="link_text", snippet="Структура", strength=REJECTED,
                     note="страница-заглушка", source_url=SITE)]),
        Finding("free_places", "unknown", reason="Раздел закрыт файлом robots.txt."),
        Finding("tariffs", "present", evidence=[
            Evidence(url=SITE + "files/tarify.pdf", kind="document_title", snippet="Тарифы на социальные услуги"),
            Evidence(url=XSS_URL, kind="link_text", snippet="Тарифы", strength=WEAK, note="ссылка не открывается",
                     source_url="JavaScript:alert(4)")]),
        Finding("format_no_registration", "present", evidence=[
            Evidence(url=SITE, kind="pattern", snippet="страницы открываются без регистрации")]),
        Finding("ch_phone", "present", evidence=[
            Evidence(url=SITE + "kontakty/", kind="pattern", snippet="Телефон: +7 (812) 123-45-67")]),
        Finding("ch_email", "present", evidence=[
            Evidence(url=SITE + "kontakty/", kind="link_host", snippet="mailto:kcson@example.ru",
                     source_url=SITE + "kontakty/")]),
        Finding("ch_faq", "absent", reason="Раздел «Вопрос-ответ» не найден."),
        Finding("acc_alt_version", "present", evidence=[
            Evidence(url=SITE, kind="link_text", snippet="Версия для слабовидящих")]),
    ]


def make_report(tmp_path: Path, journal: CrawlJournal | None = None, findings: list[Finding] | None = None) -> dict:
    crawl = make_crawl(tmp_path / "crawl", journal)
    return build_report(crawl, make_checklist(), make_findings() if findings is None else findings,
                        command=["nok-audit", "audit", SITE, "--out", str(tmp_path / "out")],
                        tool_version="0.1.0", generated_at="2026-11-22T10:02:10+00:00")


def _validate(report: dict) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)


def _items(report: dict) -> dict[str, dict]:
    return {it["id"]: it for it in report["items"]}


# ---------------------------------------------------------------- report.json content

def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_report_validates_against_schema_and_keeps_checklist_order(tmp_path):
    report = make_report(tmp_path)
    _validate(report)
    assert [it["id"] for it in report["items"]] == [
        "reg_date", "founder", "structure", "free_places", "tariffs", "format_no_registration",
        "ch_phone", "ch_email", "ch_faq", "acc_alt_version", "pos_widget"]
    assert report["schema_version"] == "1.0"
    assert report["tool"] == {"name": "nok-audit", "version": "0.1.0"}
    assert report["site"]["title"] == "ГБУ «КЦСОН Примерного района»"
    assert report["checklist"]["id"] == "social"


def test_items_carry_russian_status_and_unconfirmed_mark(tmp_path):
    items = _items(make_report(tmp_path))
    assert items["reg_date"]["status_text"] == "размещено"
    assert items["structure"]["status_text"] == "не найдено"
    assert items["free_places"]["status_text"] == "не удалось проверить"
    assert items["structure"]["unconfirmed"] is True
    assert items["reg_date"]["unconfirmed"] is False
    assert items["founder"]["evidence"][0]["kind_text"] == EVIDENCE_KINDS["heading"]
    # The evidence title comes from the crawl (page title / document title).
    assert items["reg_date"]["evidence"][0]["title"].startswith("Сведения об организации")


def test_counts_and_site_share_of_indicator_1_1(tmp_path):
    summary = make_report(tmp_path)["summary"]
    assert (summary["present"], summary["absent"], summary["unknown"], summary["total"]) == (7, 3, 1, 11)
    assert summary["by_indicator"]["1.1"] == {"present": 4, "absent": 1, "unknown": 1, "total": 6, "norm": 5}
    assert summary["by_indicator"]["1.2"] == {"present": 2, "absent": 1, "unknown": 0, "total": 3, "norm": 3}
    assert summary["by_indicator"]["3.2"]["total"] == 1
    assert summary["by_indicator"]["extra"]["absent"] == 1
    share = summary["site_share_1_1"]
    # Исайт: reg_date, founder, tariffs (format_no_registration is outside the norm); Инорм_сайт: 5.
    assert (share["found"], share["norm"], share["unknown"], share["share"]) == (3, 5, 1, 0.6)
    assert share["formula"] == "Исайт / Инорм_сайт"
    assert share["formula_text"] == "Исайт / Инорм_сайт = 3 / 5 = 0,6"


def test_site_share_is_rounded_to_four_places(tmp_path):
    findings = [f if f.item_id != "structure" else Finding("structure", "present") for f in make_findings()]
    findings = [f if f.item_id != "free_places" else Finding("free_places", "absent", reason="нет") for f in findings]
    findings = [f if f.item_id != "tariffs" else Finding("tariffs", "absent", reason="нет") for f in findings]
    share = make_report(tmp_path, findings=findings)["summary"]["site_share_1_1"]
    assert (share["found"], share["norm"], share["share"]) == (3, 5, 0.6)
    checklist = make_checklist()
    checklist.items = [it for it in checklist.items if it.id in ("reg_date", "founder", "structure")]
    crawl = make_crawl(tmp_path / "c2")
    report = build_report(crawl, checklist, [Finding("reg_date", "present"), Finding("founder", "absent", reason="нет"),
                                              Finding("structure", "absent", reason="нет")],
                          command=["nok-audit"], tool_version="0.1.0")
    assert report["summary"]["site_share_1_1"]["share"] == 0.3333
    _validate(report)


def test_site_share_is_null_when_no_item_counts_in_norm(tmp_path):
    checklist = make_checklist()
    checklist.items = [it for it in checklist.items if it.indicator != "1.1"]
    findings = [f for f in make_findings() if checklist.items and f.item_id in {it.id for it in checklist.items}]
    report = build_report(make_crawl(tmp_path / "crawl"), checklist, findings, command=["nok-audit"],
                          tool_version="0.1.0")
    share = report["summary"]["site_share_1_1"]
    assert share["share"] is None and share["norm"] == 0
    _validate(report)
    assert "—" in render_html(report)


def test_channels_and_alternative_version_wait_for_the_works_check(tmp_path):
    items = _items(make_report(tmp_path))
    for item_id in ("ch_phone", "ch_email", "ch_faq", "acc_alt_version"):
        assert items[item_id]["works"] is None
        assert items[item_id]["works_text"] == "работоспособность не проверялась"
    assert "works" not in items["reg_date"]


def test_schema_requires_works_on_channel_items(tmp_path):
    report = make_report(tmp_path)
    del _items(report)["ch_phone"]["works"]
    with pytest.raises(jsonschema.ValidationError):
        _validate(report)


def test_errors_robots_and_traps_are_reported(tmp_path):
    journal = make_journal(
        problems=[Problem(url=SITE + "a.pdf", kind="too_large", message="больше 20 МБ", is_document=True)],
        robots=RobotsInfo(obeyed=True, url=SITE + "robots.txt", status=200, disallowed=[
            Problem(url=SITE + "bitrix/admin/", kind="robots", message="Disallow: /bitrix/", referer=SITE,
                    link_text="Вход")]),
        trap_patterns={"/calendar/?date=*": 40, "/search/?q=*": 400},
    )
    report = make_report(tmp_path, journal=journal)
    _validate(report)
    assert report["errors"] == [{"url": SITE + "a.pdf", "kind": "too_large", "kind_text": PROBLEM_KINDS["too_large"],
                                 "message": "больше 20 МБ", "referer": None, "link_text": "", "is_document": True}]
    assert report["robots"]["disallowed"][0]["message"] == "Disallow: /bitrix/"
    assert [t["pattern"] for t in report["traps"]] == ["/search/?q=*", "/calendar/?date=*"]
    html = render_html(report)
    assert PROBLEM_KINDS["too_large"] in html and "Disallow: /bitrix/" in html and "/calendar/?date=*" in html


# ---------------------------------------------------------------- crawl status

def test_unreachable_site_gives_status_unreachable(tmp_path):
    journal = make_journal(entry_ok=False, entry_error="имя сайта не найдено (DNS)", final_url="", pages=0,
                           documents=0, bytes=0, duration_s=0.0)
    items = [Finding(f.item_id, "unknown", reason="Сайт недоступен.") for f in make_findings()]
    report = make_report(tmp_path, journal=journal, findings=items)
    _validate(report)
    assert report["crawl"]["status"] == "unreachable"
    assert "имя сайта не найдено (DNS)" in report["crawl"]["status_text"]
    assert report["crawl"]["pages_per_s"] is None
    assert report["summary"]["unknown"] == report["summary"]["total"] == 11
    assert "Сайт недоступен" in render_html(report)


@pytest.mark.parametrize("changes, expected", [
    ({}, "complete"),
    ({"stop_reason": "max_pages"}, "partial"),
    ({"cut_off_links": 3}, "partial"),
    ({"deep_links": 12}, "partial"),
    ({"problems": [Problem(url=SITE + "x/", kind="timeout", message="30 с")]}, "partial"),
    ({"robots": RobotsInfo(obeyed=True, disallowed=[Problem(url=SITE + "p/", kind="robots", message="Disallow")])},
     "partial"),
])
def test_crawl_status_is_partial_when_part_of_the_site_was_not_visited(tmp_path, changes, expected):
    report = make_report(tmp_path, journal=make_journal(**changes))
    assert report["crawl"]["status"] == expected
    assert report["crawl"]["status_text"].startswith("обход полный" if expected == "complete" else "обход неполный")


def test_partial_status_text_names_the_limit(tmp_path):
    report = make_report(tmp_path, journal=make_journal(stop_reason="max_pages", cut_off_links=17))
    assert report["crawl"]["status_text"] == (
        "обход неполный: достигнут лимит страниц (500); из-за лимита не загружено ссылок: 17")


# ---------------------------------------------------------------- refusing inconsistent input

def test_finding_for_an_item_outside_the_checklist_is_refused(tmp_path):
    with pytest.raises(ReportInputError, match="not in checklist"):
        make_report(tmp_path, findings=make_findings() + [Finding("no_such_item", "present")])


def test_enabled_item_without_finding_is_refused(tmp_path):
    with pytest.raises(ReportInputError, match="founder"):
        make_report(tmp_path, findings=[f for f in make_findings() if f.item_id != "founder"])


def test_two_findings_for_one_item_are_refused(tmp_path):
    with pytest.raises(ReportInputError, match="two findings"):
        make_report(tmp_path, findings=make_findings() + [Finding("reg_date", "absent")])


def test_unknown_status_is_refused(tmp_path):
    findings = [f if f.item_id != "reg_date" else Finding("reg_date", "maybe") for f in make_findings()]
    with pytest.raises(ReportInputError, match="maybe"):
        make_report(tmp_path, findings=findings)


# ---------------------------------------------------------------- report.html

def _parse(html: str):
    return lxml.html.document_fromstring(html)


def test_site_strings_are_escaped_and_javascript_urls_never_become_links(tmp_path):
    html = render_html(make_report(tmp_path))
    root = _parse(html)
    assert root.xpath("//script") == []
    assert root.xpath("//*[@onerror]") == [] and root.xpath("//img") == []
    hrefs = root.xpath("//@href")
    assert hrefs, "evidence URLs should be links"
    for href in hrefs:
        assert href.startswith(("#", "http://", "https://")), href
    assert not any("javascript" in h.lower() for h in hrefs)
    text = root.text_content()
    # The hostile strings are shown to the reader as text.
    assert "<script>alert(1)</script>" in text
    assert XSS_URL in text and "<img src=x onerror=alert(3)>Старый раздел" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_is_self_contained_and_has_no_scripts(tmp_path):
    html = render_html(make_report(tmp_path))
    root = _parse(html)
    csp = root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert csp == [CSP]
    assert root.xpath("//script | //link | //iframe | //object | //embed | //@src") == []
    style = " ".join(root.xpath("//style/text()"))
    assert "@import" not in style and "url(" not in style
    assert root.get("lang") == "ru"
    assert re.search(r"<script", html, re.IGNORECASE) is None


def test_html_shows_statuses_evidence_fix_and_unconfirmed_mark(tmp_path):
    root = _parse(render_html(make_report(tmp_path)))
    row = root.get_element_by_id("item-structure")
    text = row.text_content()
    assert "не найдено" in text and "не подтверждено" in text and "Что сделать:" in text
    assert "страница-заглушка" in text
    assert row.xpath(".//span[contains(@class, 'badge')]/@class") == ["badge st-absent"]
    present = root.get_element_by_id("item-reg_date").text_content()
    assert "Дата государственной регистрации: 12.03.1996" in present and "Что сделать:" not in present
    assert "работоспособность не проверялась" in root.get_element_by_id("item-ch_phone").text_content()
    # Groups by indicator, in indicator order.
    assert [s.get("id") for s in root.xpath("//section[starts-with(@id, 'ind-')]")] == [
        "ind-1-1", "ind-1-2", "ind-3-2", "ind-extra"]
    assert "Исайт / Инорм_сайт = 3 / 5 = 0,6" in root.get_element_by_id("summary").text_content()
    assert "60\u00a0%" in root.get_element_by_id("summary").text_content()


def test_templates_never_mark_strings_safe():
    templates = Path(__file__).resolve().parents[1] / "reports" / "templates"
    for path in templates.iterdir():
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", source), path
        assert "autoescape false" not in source, path
        assert "<script" not in source.lower(), path


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<b>x</b>", "vbscript:msgbox(1)", "//evil.example/", "https://ok.example/\njavascript:x",
])
def test_only_plain_http_urls_become_links(url):
    assert link(url)["href"] is None
    assert link(url)["text"] == url


def test_http_urls_become_links_shown_readably():
    url = SITE + "%D1%81%D0%B2%D0%B5%D0%B4%D0%B5%D0%BD%D0%B8%D1%8F/"
    assert link(url) == {"href": url, "text": "https://кцсон-пример.рф/сведения/"}
    assert link("HTTP://example.ru/a")["href"] == "HTTP://example.ru/a"
    # Decoding must not smuggle a right-to-left override into the shown text.
    tricky = "https://example.ru/%E2%80%AEfdp.exe"
    assert readable_url(tricky) == tricky


# ---------------------------------------------------------------- files and terminal

def test_write_reports_writes_both_files(tmp_path):
    report = make_report(tmp_path)
    json_path, html_path = write_reports(report, tmp_path / "out")
    assert (json_path.name, html_path.name) == ("report.json", "report.html")
    text = json_path.read_text(encoding="utf-8")
    assert "размещено" in text and "\\u0440" not in text     # Cyrillic kept, not escaped
    assert json.loads(text) == report
    assert "<!DOCTYPE html>" in html_path.read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html", "report.json"]


def test_write_reports_refuses_a_report_that_breaks_the_schema(tmp_path):
    report = make_report(tmp_path)
    report["items"][0]["status"] = "maybe"
    with pytest.raises(ReportSchemaError, match="items/0/status"):
        write_reports(report, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_terminal_summary_lists_missing_items_and_report_paths(tmp_path):
    report = make_report(tmp_path)
    json_path, html_path = write_reports(report, tmp_path / "out")
    text = terminal_summary(report, json_path, html_path)
    assert "страниц: 2, документов: 1, ошибок загрузки: 1" in text
    assert "размещено 7, не найдено 3, не удалось проверить 1" in text
    missing = text.split("Не найдено на сайте:")[1].split("Не удалось проверить")[0]
    assert "о структуре и об органах управления" in missing
    assert "раздел «Часто задаваемые вопросы»" in missing
    assert "о дате государственной регистрации" not in missing
    assert "о количестве свободных мест" in text
    assert str(json_path) in text and str(html_path) in text
    assert "кцсон-пример.рф" in text


# ---------------------------------------------------------------- registries stay in step

def test_schema_enums_follow_the_code_registries():
    defs = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["$defs"]
    assert defs["error"]["properties"]["kind"]["enum"] == list(PROBLEM_KINDS)
    assert defs["evidence"]["properties"]["kind"]["enum"] == list(EVIDENCE_KINDS)
    assert defs["item"]["properties"]["indicator"]["enum"] == list(INDICATORS)
    assert defs["item"]["properties"]["status_text"]["enum"] == list(labels.STATUS_TEXT.values())


def test_every_indicator_has_russian_titles():
    for table in (labels.INDICATOR_TITLES, labels.INDICATOR_SHORT, labels.INDICATOR_NOTES):
        assert set(table) == set(INDICATORS)
