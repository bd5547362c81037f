"""The report stage: report.json content, its schema, report.html safety and the terminal summary."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import lxml.html
import pytest

from checklists.assess import CONTROL_METHODS, AssessmentInputError
from checklists.model.checklist import INDICATORS, Checklist, Item
from checklists.model.control import (BROWSER, HTTP, IMPACTS, VALIDATED, AccessibilityResult, ControlResult,
                                      Screenshot)
from checklists.model.journal import PROBLEM_KINDS, CrawlJournal, Problem, RobotsInfo
from checklists.model.results import EVIDENCE_KINDS, REJECTED, WEAK, Evidence, Finding
from checklists.model.snapshot import DocumentSnapshot, PageSnapshot
from crawler.crawlstore import CrawlWriter, load_crawl
from reports import labels
from reports.accessibility_text import summarise_ru
from reports.render import (SCHEMA_PATH, ReportSchemaError, build_report, render_html,
                            terminal_summary, write_reports)
from reports.safe_links import link, readable_url

SITE = "https://" + "кцсон-пример.рф".encode("idna").decode("ascii") + "/"
XSS_SNIPPET = "Учредитель: <script>alert(1)</script> министерство"
XSS_URL = "javascript:alert(1)"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: file:"


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


def make_report(tmp_path: Path, journal: CrawlJournal | None = None, findings: list[Finding] | None = None,
                checklist: Checklist | None = None, **control_stage) -> dict:
    crawl = make_crawl(tmp_path / "crawl", journal)
    return build_report(crawl, checklist or make_checklist(), make_findings() if findings is None else findings,
                        command=["nok-audit", "audit", SITE, "--out", str(tmp_path / "out")],
                        tool_version="0.1.0", generated_at="2026-11-22T10:02:10+00:00", **control_stage)


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
        assert items[item_id]["works_text"] == "работоспособность не проверялась (проверка без браузера)"
        assert "control" not in items[item_id]
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
    with pytest.raises(AssessmentInputError, match="not in checklist"):
        make_report(tmp_path, findings=make_findings() + [Finding("no_such_item", "present")])


def test_enabled_item_without_finding_is_refused(tmp_path):
    with pytest.raises(AssessmentInputError, match="founder"):
        make_report(tmp_path, findings=[f for f in make_findings() if f.item_id != "founder"])


def test_two_findings_for_one_item_are_refused(tmp_path):
    with pytest.raises(AssessmentInputError, match="two findings"):
        make_report(tmp_path, findings=make_findings() + [Finding("reg_date", "absent")])


def test_unknown_status_is_refused(tmp_path):
    findings = [f if f.item_id != "reg_date" else Finding("reg_date", "maybe") for f in make_findings()]
    with pytest.raises(AssessmentInputError, match="maybe"):
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
    assert "не проверено" in root.get_element_by_id("item-ch_phone").text_content()
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
        # report.html holds no scripts at all; the summary page (reports/summary*.py) includes only its own
        # constant summary_sort.js, allowed by a CSP hash, and is tested in tests/test_summary.py.
        if path.name.startswith("report"):
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
    from reports.report_content import VIOLATION_FIELDS
    assert defs["control"]["properties"]["method"]["enum"] == list(CONTROL_METHODS) == list(labels.CONTROL_METHOD_TEXT)
    assert defs["violation"]["properties"]["impact"]["enum"] == list(IMPACTS)
    assert defs["violation"]["required"] == list(VIOLATION_FIELDS)


def test_every_indicator_has_russian_titles():
    for table in (labels.INDICATOR_TITLES, labels.INDICATOR_SHORT, labels.INDICATOR_NOTES):
        assert set(table) == set(INDICATORS)


# ---------------------------------------------------------------- control stage (issue #3)

SHOT_OK = "screenshots/ch_e_service-form.png"
SHOT_BAD = ("../../etc/passwd", "javascript:alert(1)", "screenshots/../../x.png", "/screenshots/a.png",
            "screenshots/a.png\n", "https://evil.example/a.png", "screenshots/sub/a.png", "screenshots/a.svg")
CHANNEL_SCREENSHOT = "2026-11-22T10:03:00+00:00"


def make_control_checklist() -> Checklist:
    checklist = make_checklist()
    extra = [_item("ch_e_service", "электронные сервисы (обращение)", "1.2", confidence="P"),
             _item("ch_opinion", "анкета для оценки качества", "1.2", confidence="P"),
             _item("ch_other", "иной дистанционный способ", "1.2", confidence="U")]
    at = [it.id for it in checklist.items].index("acc_alt_version")
    checklist.items[at:at] = extra
    return checklist


def make_control_findings() -> list[Finding]:
    return make_findings() + [
        Finding("ch_e_service", "present", evidence=[Evidence(url=SITE + "priemnaya/", kind="form", snippet="форма")]),
        Finding("ch_opinion", "present", evidence=[
            Evidence(url="https://bus.gov.ru/qrcode/rate/123", kind="link_host", snippet="bus.gov.ru",
                     source_url=SITE)]),
        Finding("ch_other", "present", evidence=[Evidence(url="https://vk.com/kcson", kind="link_host", snippet="ВК")]),
    ]


def make_controls(submitted: bool = False) -> list[ControlResult]:
    return [
        ControlResult("ch_phone", True, "Номер +7 (812) 123-45-67 опубликован и соответствует формату.",
                      method=VALIDATED, url=SITE + "kontakty/", details={"numbers": ["+78121234567"]}),
        ControlResult("ch_email", False, "Адрес «kcson@example» не является адресом электронной почты.",
                      method=VALIDATED, url=SITE + "kontakty/"),
        ControlResult("ch_e_service", True, "Форма обращения заполнена, проверка полей пройдена.", method=BROWSER,
                      url=SITE + "priemnaya/", final_url=SITE + "priemnaya/?step=2", status=200,
                      steps=["Открыта страница «Интернет-приёмная»", "Заполнены поля: ФИО, e-mail, текст",
                             "Кнопка «Отправить» найдена, нажатие не выполнялось"],
                      details={"fields": 3}, submitted=submitted,
                      screenshots=[Screenshot(SHOT_OK, "форма до отправки <b>жирно</b>", CHANNEL_SCREENSHOT)]
                      + [Screenshot(bad, f"плохой путь {n}", CHANNEL_SCREENSHOT) for n, bad in enumerate(SHOT_BAD)]),
        ControlResult("ch_opinion", False, "HTTP 404", method=HTTP, url="https://bus.gov.ru/qrcode/rate/123",
                      status=404),
        ControlResult("ch_other", None, "Страница не ответила за 30 с.", method=BROWSER, url="https://vk.com/kcson"),
        ControlResult("acc_alt_version", True, "Переключатель «Версия для слабовидящих» увеличивает шрифт до 24 px.",
                      url=SITE, steps=["Нажата ссылка «Версия для слабовидящих»"],
                      details={"font_px_before": 14, "font_px_after": 24},
                      screenshots=[Screenshot("screenshots/acc_alt_version-before.png", "до нажатия", CHANNEL_SCREENSHOT),
                                   Screenshot("screenshots/acc_alt_version-after.png", "после нажатия",
                                              CHANNEL_SCREENSHOT)]),
    ]


def make_accessibility() -> list[AccessibilityResult]:
    violation = {"id": "image-alt", "impact": "critical", "help_ru": "Изображения должны иметь альтернативный текст",
                 "help_en": "Images must have alternative text", "nodes": 7, "targets": ["img.logo"],
                 "help_url": "https://dequeuniversity.com/rules/axe/4.10/image-alt", "wcag": ["1.1.1"],
                 "best_practice": False}
    contrast = {"id": "color-contrast", "impact": "serious", "help_ru": "Контрастность <script>x</script> текста",
                "help_en": "Contrast", "nodes": 12, "targets": [], "help_url": "", "wcag": ["1.4.3"],
                "best_practice": False}
    return [
        AccessibilityResult(url=SITE, variant="normal", axe_version="4.10.2",
                            violations_by_impact={"critical": 1, "serious": 1, "moderate": 0, "minor": 0},
                            violations=[contrast, violation], zoom_200_horizontal_scroll=True,
                            zoom_details={"scroll_width": 1100, "content_width": 1100, "viewport_width": 640,
                                          "wide_elements": []}),
        AccessibilityResult(url=SITE + "?special=1", variant="alt_version", axe_version="4.10.2",
                            violations_by_impact={"critical": 0, "serious": 0, "moderate": 0, "minor": 0},
                            zoom_200_horizontal_scroll=False),
    ]


def make_control_report(tmp_path: Path, controls=None, accessibility="default", findings=None) -> dict:
    return make_report(tmp_path, checklist=make_control_checklist(),
                       findings=make_control_findings() if findings is None else findings,
                       controls=make_controls() if controls is None else controls,
                       accessibility=make_accessibility() if accessibility == "default" else accessibility)


def test_control_report_validates_against_schema(tmp_path):
    report = make_control_report(tmp_path)
    _validate(report)
    assert report["schema_version"] == "1.0"
    assert report["controls"]["checked"] == 6
    assert (report["controls"]["working"], report["controls"]["not_working"], report["controls"]["undecided"]) == (3, 2, 1)
    assert report["controls"]["by_method"] == {"browser": 3, "validated": 2, "http": 1}
    assert report["controls"]["forms_submitted"] is False


def test_works_text_depends_on_method_and_value(tmp_path):
    items = _items(make_control_report(tmp_path))
    assert items["ch_phone"]["works"] is True
    assert items["ch_phone"]["works_text"] == "опубликован, номер корректен; контрольный звонок не выполнялся"
    assert items["ch_email"]["works"] is False
    assert items["ch_email"]["works_text"] == (
        "опубликован, но некорректен: адрес «kcson@example» не является адресом электронной почты")
    assert items["ch_e_service"]["works_text"] == "работает (проверено в браузере)"
    assert items["ch_opinion"]["works_text"] == "ссылка не открывается: HTTP 404"
    assert items["ch_other"]["works"] is None
    assert items["ch_other"]["works_text"] == "не удалось проверить: страница не ответила за 30 с"
    assert items["acc_alt_version"]["works_text"] == "работает (проверено в браузере)"
    # Controls ran, but the channel was not found: nothing to check.
    assert items["ch_faq"]["works"] is None
    assert items["ch_faq"]["works_text"] == "не проверялось: канал не найден на сайте"
    assert "control" not in items["ch_faq"] and "works" not in items["reg_date"]


@pytest.mark.parametrize("method, works, reason, expected", [
    (BROWSER, False, "Кнопка «Отправить» не найдена.", "не работает: кнопка «Отправить» не найдена"),
    (BROWSER, None, "", "не удалось проверить"),
    (HTTP, True, "HTTP 200", "ссылка открывается (один запрос)"),
    (VALIDATED, True, "ok", "опубликован, номер/адрес корректен; контрольный звонок/письмо не выполнялись"),
    (VALIDATED, None, "DNS не ответил", "не удалось проверить: DNS не ответил"),
])
def test_works_text_table(method, works, reason, expected):
    from reports.report_content import works_text
    assert works_text("ch_other", ControlResult("ch_other", works, reason, method=method)) == expected


def test_control_object_is_kept_in_full(tmp_path):
    control = _items(make_control_report(tmp_path))["ch_e_service"]["control"]
    assert control["method"] == "browser" and control["method_text"] == labels.CONTROL_METHOD_TEXT["browser"]
    assert control["final_url"] == SITE + "priemnaya/?step=2" and control["status"] == 200
    assert control["steps"][-1] == "Кнопка «Отправить» найдена, нажатие не выполнялось"
    assert control["details"] == {"fields": 3} and control["submitted"] is False
    assert control["screenshots"][0] == {"path": SHOT_OK, "caption": "форма до отправки <b>жирно</b>",
                                         "taken_at": CHANNEL_SCREENSHOT}
    assert len(control["screenshots"]) == 1 + len(SHOT_BAD)      # kept in JSON; the HTML decides what to show


def test_channels_working_and_preview_of_indicator_1_2(tmp_path):
    summary = make_control_report(tmp_path)["summary"]
    assert summary["channels_present"] == 5
    assert summary["channels_working"] == 2            # ch_phone (validated) and ch_e_service
    preview = summary["dist_preview_1_2"]
    assert (preview["channels"], preview["points"], preview["undecided"]) == (2, 60, 1)
    assert preview["text"].startswith("Пдист = 30 × Сдист (не более 100): 30 × 2 = 60")
    assert "не удалось проверить найденных каналов: 1" in preview["text"]
    assert preview["label"] == "предварительно: учтены только работающие каналы, найденные на сайте"


def test_preview_of_indicator_1_2_is_capped_at_100(tmp_path):
    controls = [ControlResult(i, True, "работает") for i in ("ch_phone", "ch_email", "ch_e_service", "ch_opinion",
                                                             "ch_other")]
    report = make_control_report(tmp_path, controls=controls)
    preview = report["summary"]["dist_preview_1_2"]
    assert preview["points"] == 100 and preview["text"].endswith("30 × 5 = 150, учитывается 100")
    _validate(report)


def test_preview_of_indicator_1_2_is_not_computed_without_controls(tmp_path):
    summary = make_report(tmp_path)["summary"]
    assert summary["channels_present"] == 2 and summary["channels_working"] == 0
    assert summary["dist_preview_1_2"]["points"] is None
    assert summary["dist_preview_1_2"]["text"].startswith("Пдист не рассчитан")


def test_reports_without_control_stage_validate(tmp_path):
    report = make_report(tmp_path)
    assert report["controls"] is None and report["accessibility"] is None
    assert report["crawl"]["rendered_pages"] == 0
    _validate(report)
    # A report.json written before the control stage existed: none of the new keys.
    for key in ("controls", "accessibility"):
        del report[key]
    del report["crawl"]["rendered_pages"]
    for key in ("channels_present", "channels_working", "dist_preview_1_2"):
        del report["summary"][key]
    _validate(report)
    html = render_html(report)
    assert "Контрольные звонки и письма не выполнялись" in html
    assert "Дополнительная проверка доступности не проводилась" in html
    text = terminal_summary(report, "report.json", "report.html")
    assert "Каналы обратной связи" not in text


def test_rendered_pages_come_from_the_journal(tmp_path):
    report = make_report(tmp_path, journal=make_journal(rendered_pages=4))
    assert report["crawl"]["rendered_pages"] == 4
    assert "Страниц, прочитанных через браузер" in render_html(report)


def test_schema_stays_strict_for_control_and_accessibility(tmp_path):
    report = make_control_report(tmp_path)
    bad = json.loads(json.dumps(report))
    _items(bad)["ch_phone"]["control"]["called"] = True
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)
    bad = json.loads(json.dumps(report))
    _items(bad)["ch_phone"]["control"]["method"] = "phoned"
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)
    bad = json.loads(json.dumps(report))
    bad["accessibility"]["results"][0]["violations"][0]["extra"] = 1
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)
    bad = json.loads(json.dumps(report))
    bad["summary"]["dist_preview_1_2"]["points"] = 150
    with pytest.raises(jsonschema.ValidationError):
        _validate(bad)
    bad = json.loads(json.dumps(report))
    del _items(bad)["ch_phone"]["works"]
    with pytest.raises(jsonschema.ValidationError):       # control without works
        _validate(bad)


def test_inconsistent_control_results_are_refused(tmp_path):
    with pytest.raises(AssessmentInputError, match="two control results"):
        make_control_report(tmp_path, controls=make_controls() + [ControlResult("ch_phone", True, "")])
    with pytest.raises(AssessmentInputError, match="unknown method"):
        make_control_report(tmp_path, controls=[ControlResult("ch_phone", True, "", method="phoned")])


def test_results_for_items_outside_the_report_are_ignored(tmp_path):
    report = make_control_report(tmp_path, controls=[ControlResult("no_such_item", True, "")])
    _validate(report)
    assert report["controls"]["checked"] == 0


def test_html_shows_works_badges_control_reason_steps_and_thumbnails(tmp_path):
    root = _parse(render_html(make_control_report(tmp_path)))
    def badges(item_id):
        return root.get_element_by_id(f"item-{item_id}").xpath(".//td[3]//span[contains(@class, 'badge')]/text()")
    assert badges("ch_e_service") == ["размещено", "работает"]
    assert badges("ch_email") == ["размещено", "не работает"]
    assert badges("ch_other") == ["размещено", "не проверено"]
    assert badges("ch_faq") == ["не найдено", "не проверено"]
    assert badges("acc_alt_version") == ["размещено", "работает"]
    assert badges("reg_date") == ["размещено"]
    row = root.get_element_by_id("item-ch_e_service")
    assert "Форма обращения заполнена, проверка полей пройдена." in row.text_content()
    steps = row.xpath(".//details[contains(@class, 'steps')]")
    assert len(steps) == 1 and steps[0].get("open") is None
    assert steps[0].xpath(".//li/text()")[0] == "Открыта страница «Интернет-приёмная»"
    imgs = row.xpath(".//img")
    assert [img.get("src") for img in imgs] == [SHOT_OK]
    assert imgs[0].get("width") == "160" and imgs[0].get("loading") == "lazy"
    assert imgs[0].get("alt") == "форма до отправки <b>жирно</b>"
    assert imgs[0].getparent().tag == "a" and imgs[0].getparent().get("href") == SHOT_OK
    # Rejected paths are shown as text, never as src or href.
    for bad in SHOT_BAD:
        for attr in root.xpath("//@src | //@href"):
            assert attr != bad
    assert "../../etc/passwd" in row.text_content() and "javascript:alert(1)" in row.text_content()
    alt_imgs = root.get_element_by_id("item-acc_alt_version").xpath(".//img/@src")
    assert alt_imgs == ["screenshots/acc_alt_version-before.png", "screenshots/acc_alt_version-after.png"]


def test_html_with_controls_stays_safe(tmp_path):
    html = render_html(make_control_report(tmp_path))
    root = _parse(html)
    assert root.xpath("//meta[@http-equiv='Content-Security-Policy']/@content") == [CSP]
    assert root.xpath("//script | //link | //iframe | //object | //embed") == []
    assert re.search(r"<script", html, re.IGNORECASE) is None
    for src in root.xpath("//@src"):
        assert re.fullmatch(r"screenshots/[A-Za-z0-9_.-]+\.png", src), src
    for href in root.xpath("//@href"):
        assert href.startswith(("#", "http://", "https://")) or re.fullmatch(
            r"screenshots/[A-Za-z0-9_.-]+\.png", href), href
    assert "Контрастность <script>x</script> текста" in root.text_content()


@pytest.mark.parametrize("path, ok", [
    (SHOT_OK, True), ("screenshots/A-b_c.1.png", True), *[(bad, False) for bad in SHOT_BAD],
    ("screenshots/..png", False), ("SCREENSHOTS/a.png", False), ("screenshots/a.png?x", False),
    ("screenshots/а.png", False),
])
def test_only_plain_screenshot_file_names_become_images(path, ok):
    from reports.safe_links import screenshot
    shot = screenshot({"path": path, "caption": "c", "taken_at": ""})
    assert (shot["src"] == path) if ok else (shot["src"] is None)


def test_html_control_section_says_what_was_never_done(tmp_path):
    section = _parse(render_html(make_control_report(tmp_path))).get_element_by_id("controls")
    text = section.text_content()
    assert "Контрольные проверки каналов" in text
    assert "Формы не отправлялись (пробный прогон без отправки)" in text
    assert "Контрольные звонки и письма не выполнялись — оператор вносит их результаты вручную" in text
    assert "Проверено пунктов" in text and "не проверялось: канал не найден на сайте" in text
    summary = _parse(render_html(make_control_report(tmp_path / "2"))).get_element_by_id("summary").text_content()
    assert "Пдист = 30 × Сдист (не более 100): 30 × 2 = 60" in summary
    assert "предварительно: учтены только работающие каналы, найденные на сайте" in summary


def test_submitted_forms_are_reported(tmp_path):
    report = make_control_report(tmp_path, controls=make_controls(submitted=True))
    assert report["controls"]["forms_submitted"] is True
    notes = report["controls"]["notes"]
    assert notes[0].startswith("Формы отправлялись (запуск с --submit-forms)")
    assert "электронные сервисы (обращение)" in notes[0]
    text = _parse(render_html(report)).text_content()
    assert "Формы не отправлялись" not in text and "Формы отправлялись" in text
    assert "форма отправлена" in _parse(render_html(report)).get_element_by_id("item-ch_e_service").text_content()


def _claims_no_call_or_letter(text: str) -> None:
    """Every mention of a call (звонок) must be a denial: «не выполнялся», «без звонка»."""
    low = text.lower()
    for m in re.finditer(r"звон|позвон|дозвон", low):
        around = low[max(0, m.start() - 30):m.end() + 40]
        assert "не выполн" in around or "без " in around or "вносит" in around, around
    for made in ("звонок выполнен", "позвонили", "дозвонились", "письмо отправлено", "звонок совершён",
                 "звонок совершен", "ответили на звонок"):
        assert made not in low, made


def test_a_call_or_letter_is_never_claimed(tmp_path):
    report = make_control_report(tmp_path)
    json_path, html_path = write_reports(report, tmp_path / "out")
    _claims_no_call_or_letter(json_path.read_text(encoding="utf-8"))
    _claims_no_call_or_letter(_parse(html_path.read_text(encoding="utf-8")).text_content())
    _claims_no_call_or_letter(terminal_summary(report, json_path, html_path))
    assert "контрольный звонок не выполнялся" in _items(report)["ch_phone"]["works_text"]


def test_accessibility_results_and_summary(tmp_path):
    report = make_control_report(tmp_path)
    a11y = report["accessibility"]
    assert [r["variant"] for r in a11y["results"]] == ["normal", "alt_version"]
    assert a11y["results"][0] == make_accessibility()[0].to_dict()
    assert 1 <= len(a11y["summary"]) <= 5 and all(a11y["summary"])
    assert any("200 %" in line for line in a11y["summary"])
    assert any("НОК" in line for line in a11y["summary"])


def test_accessibility_summary_is_written_without_the_browser_stage(tmp_path, monkeypatch):
    """The report's accessibility lines come from reports/, so a machine without the browser stage
    (axe-core, Playwright) writes the same summary from stored results."""
    import sys
    monkeypatch.setitem(sys.modules, "crawler.control.accessibility", None)     # importing it raises ImportError
    results = make_accessibility()
    report = make_control_report(tmp_path, accessibility=results)
    lines = report["accessibility"]["summary"]
    assert lines == summarise_ru(results)
    assert any("200 %" in line and "ПП РФ № 102" in line for line in lines)
    assert lines[-1] == "Проверка дополнительная, баллы НОК по ней не начисляются"
    _validate(report)


def test_accessibility_violation_keys_are_normalised(tmp_path):
    results = make_accessibility()
    results[0].violations = [{"id": "x", "impact": "serious", "help_ru": "Что-то", "nodes": 2, "surprise": 1}]
    report = make_control_report(tmp_path, accessibility=results)
    v = report["accessibility"]["results"][0]["violations"][0]
    assert v["id"] == "x" and v["nodes"] == 2 and "surprise" not in v and v["targets"] == []
    _validate(report)


def test_html_accessibility_section(tmp_path):
    section = _parse(render_html(make_control_report(tmp_path))).get_element_by_id("accessibility")
    text = section.text_content()
    assert "Доступность (дополнительно, не влияет на баллы)" in text
    assert "не влияет на баллы НОК" in text
    rows = [[td.text_content() for td in tr.xpath("./td")] for tr in section.xpath(".//tbody/tr")]
    assert rows[0] == ["критическое", "Изображения должны иметь альтернативный текст", "image-alt", "7"]
    assert rows[1][0] == "серьёзное" and rows[1][3] == "12"
    assert "Версия для слабовидящих" in text and "горизонтальной прокрутки нет" in text


def test_terminal_summary_lists_channels_and_alternative_version(tmp_path):
    report = make_control_report(tmp_path)
    json_path, html_path = write_reports(report, tmp_path / "out")
    text = terminal_summary(report, json_path, html_path)
    assert "Каналы обратной связи (1.2): работают 2 из 5 найденных" in text
    assert "  - абонентский номер телефона: опубликован, номер корректен; контрольный звонок не выполнялся" in text
    assert "  - раздел «Часто задаваемые вопросы»: не проверялось: канал не найден на сайте" in text
    assert "  - анкета для оценки качества: ссылка не открывается: HTTP 404" in text
    assert "Версия для слабовидящих: работает (проверено в браузере)" in text
    assert "Пдист = 30 × Сдист (не более 100): 30 × 2 = 60" in text
    assert "Формы не отправлялись" in text
    assert "Доступность (дополнительно, не влияет на баллы НОК):" in text
    assert len(max(text.splitlines(), key=len)) < 250


def test_terminal_summary_without_controls_says_so_once(tmp_path):
    report = make_report(tmp_path)
    text = terminal_summary(report, "report.json", "report.html")
    assert text.count("(проверка без браузера)") == 1 and "Контрольные проверки не выполнялись" in text
    assert "Доступность" not in text


# ---------------------------------------------------------------- official scores and «what to fix first»

OPERATOR_YAML = """\
organisation: ГБУ «КЦСОН Примерного района»
site: {site}
assessed_by: ООО «Оператор»
date: 2026-10-15
stands: {{found: 9, norm: 10}}
survey:
  "1.3": {{satisfied: 80, total: 100}}
  "2.3": 0.9
  "3.3": 0.9
  "4.1": 0.9
  "4.2": 0.9
  "4.3": 0.9
  "5.1": 0.9
  "5.2": 0.9
  "5.3": 0.9
conditions:
  "2.1": [a, b, c, d, e]
  "3.1": [a, b]
  "3.2": [sign_language]
controls:
  ch_email: {{works: true, date: 2026-10-10, by: Петров П. П.}}
"""


def _operator(tmp_path):
    from checklists.operator_data import load_operator_data
    path = tmp_path / "operator.yaml"
    path.write_text(OPERATOR_YAML.format(site=SITE), encoding="utf-8")
    return load_operator_data(path, SITE)


def test_scores_section_validates_and_needs_operator_data_without_it(tmp_path):
    report = make_report(tmp_path)
    _validate(report)
    scores = report["scores"]
    assert scores["operator_data"] is None and scores["total"]["value"] is None
    assert scores["total"]["band"] is None
    assert [c["key"] for c in scores["criteria"]] == ["К1", "К2", "К3", "К4", "К5"]
    ind = {s["key"]: s for s in scores["indicators"]}
    assert ind["1.1"]["value"] is None and "стендовая часть не оценивалась" in ind["1.1"]["notes"]
    assert ind["1.1"]["inputs"]["site_share"] == 0.6
    assert scores["criteria"][0]["missing"][0].startswith("нужны данные оператора: ")
    # The summary preview of 1.2 and the score are one computation.
    assert ind["1.2"]["value"] is None and report["summary"]["dist_preview_1_2"]["points"] is None


def test_scores_with_operator_data(tmp_path):
    crawl_report = make_report(tmp_path, checklist=make_control_checklist(), findings=make_control_findings(),
                               controls=make_controls(), operator_data=_operator(tmp_path))
    _validate(crawl_report)
    scores = crawl_report["scores"]
    ind = {s["key"]: s for s in scores["indicators"]}
    # 1.1: 0,5 × (9/10 + 3/5) × 100 = 75; 1.2: phone, e-service, e-mail (operator's letter overrides) → 90.
    assert ind["1.1"]["formula_text"] == "Пинф = 0,5 × (9/10 + 3/5) × 100 = 75"
    assert ind["1.2"]["value"] == 90 and crawl_report["summary"]["dist_preview_1_2"]["points"] == 90
    assert crawl_report["summary"]["channels_working"] == 3
    # К1 = 0,3 × 75 + 0,3 × 90 + 0,4 × 80 = 81,5; К3 = 0,3 × 40 + 0,4 × 40 + 0,3 × 90 = 55.
    crit = {c["key"]: c["value"] for c in scores["criteria"]}
    assert crit["К1"] == 81.5 and crit["К3"] == 55
    assert scores["total"]["value"] is not None
    assert scores["operator_data"]["organisation"] == "ГБУ «КЦСОН Примерного района»"
    html = render_html(crawl_report)
    root = _parse(html)
    card = root.get_element_by_id("score-К1").text_content()
    assert "К1 = 0,3 × 75 + 0,3 × 90 + 0,4 × 80 = 81,5" in card
    assert "Баллы НОК рассчитаны" in html


def test_fix_first_is_ordered_by_gain(tmp_path):
    report = make_report(tmp_path)
    fixes = report["fix_first"]
    # ch_faq: +30 of Пдист = +9 К1; structure, free_places: 0,5 × 100 / 5 = +10 Пинф = +3 К1.
    assert [f["item_id"] for f in fixes] == ["ch_faq", "structure", "free_places"]
    assert [f["gain_indicator"] for f in fixes] == [30, 10, 10]
    assert fixes[0]["gain_text"] == ("+30 баллов показателя 1.2 (Пдист); +9 баллов К1 (вес 0,3); "
                                     "+1,8 балла итоговой оценки")
    assert fixes[0]["fix"].startswith("Разместите сведения")
    gains = [f["gain_total"] for f in fixes]
    assert gains == sorted(gains, reverse=True)
    assert "pos_widget" not in [f["item_id"] for f in fixes]        # extra checks give no points


def test_html_shows_score_cards_fix_list_and_missing_operator_data(tmp_path):
    report = make_report(tmp_path)
    root = _parse(render_html(report))
    scores = root.get_element_by_id("scores").text_content()
    assert "Данные оператора не переданы" in scores
    assert "нужны данные оператора: сведения об информационных стендах" in scores
    assert "Пинф = 0,5 × (Истенд/Инорм_стенд + 3/5) × 100 — не рассчитан" in scores
    items = root.xpath("//section[@id='fix-first']//ol/li")
    assert len(items) == 3
    assert "раздел «Часто задаваемые вопросы»" in items[0].text_content()
    assert "+30 баллов показателя 1.2" in items[0].text_content() and "Что сделать:" in items[0].text_content()
    assert "Итоговая оценка НОК в нём не рассчитана" in root.xpath("//footer")[0].text_content()


def test_terminal_summary_has_score_lines_and_top_fixes(tmp_path):
    report = make_report(tmp_path)
    text = terminal_summary(report, "report.json", "report.html")
    assert "Баллы НОК (Приказ Минтруда России № 344н):" in text
    assert "  Итог: не рассчитан" in text
    assert "Что исправить в первую очередь (первые 3 из 3):" in text
    assert "  1. раздел «Часто задаваемые вопросы» — не найдено на сайте; +30 баллов" in text


def test_schema_stays_strict_for_scores(tmp_path):
    report = make_report(tmp_path)
    for mutate in (lambda r: r["scores"].__setitem__("extra", 1),
                   lambda r: r["scores"]["criteria"][0].__setitem__("value", 150),
                   lambda r: r["scores"]["total"].pop("band"),
                   lambda r: r["fix_first"][0].__setitem__("gain_indicator", -1)):
        bad = json.loads(json.dumps(report))
        mutate(bad)
        with pytest.raises(jsonschema.ValidationError):
            _validate(bad)
    old = json.loads(json.dumps(report))
    del old["scores"], old["fix_first"]                 # reports made before the scores existed
    _validate(old)
    assert "Баллы НОК" not in terminal_summary(old, "report.json", "report.html")
    render_html(old)
