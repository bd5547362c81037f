"""Checklist engine: loading YAML checklists and evaluating stored crawls.

Snapshots are built in code from small HTML strings with crawler.extract.extract() and a
hand-made CrawlJournal / StoredCrawl: no network, no server, no stored files.
"""
from __future__ import annotations

import random
import re
import time
from pathlib import Path

import pytest

from checklists import patterns
from checklists.compile import ChecklistError
from checklists.engine import evaluate
from checklists.loading import load_checklist
from checklists.model.crawl import StoredCrawl
from checklists.model.journal import CrawlJournal, Problem, RobotsInfo
from checklists.model.results import ABSENT, EVIDENCE_KINDS, PRESENT, REJECTED, STRONG, UNKNOWN, WEAK
from checklists.model.snapshot import DocumentSnapshot, PageSnapshot
from checklists.morphology import PhraseMatcher, stems_of
from crawler.extract import extract

SITE = "https://kcson.example.ru"


# ---- builders ------------------------------------------------------------------------------

def html_doc(title: str = "", main: str = "", nav: str = "", header: str = "", footer: str = "", head: str = "") -> str:
    return (f"<html><head><title>{title}</title>{head}</head><body>"
            f"<header>{header}</header><nav><ul>{nav}</ul></nav><main>{main}</main>"
            f"<footer>{footer}</footer></body></html>")


def page(path: str, html: str, depth: int = 1, status: int = 200) -> PageSnapshot:
    url = SITE + path
    snap = PageSnapshot(url=url, requested_url=url, status=status, depth=depth, referer=None, link_text="",
                        fetched_at="2026-11-01T10:00:00", content_type="text/html", encoding="utf-8",
                        encoding_note="", sha256="0" * 64, html_file="html/none.html.gz")
    return extract(snap, html)


LONG = ("Центр оказывает помощь гражданам пожилого возраста и людям с инвалидностью, "
        "работает с семьями и детьми, проводит занятия и консультации специалистов. ") * 2


def home(main: str = "", nav: str = "", footer: str = "", head: str = "", header: str = "") -> PageSnapshot:
    return page("/", html_doc("КЦСОН «Забота»", "<h1>Добро пожаловать</h1><p>" + LONG + "</p>" + main,
                              nav=nav, footer=footer, head=head, header=header), depth=0)


def document(path: str, link_text: str = "", title: str = "", text: str = "", fetched: bool = True,
             status: int | None = 200, referer: str = "/", note: str = "") -> DocumentSnapshot:
    return DocumentSnapshot(url=SITE + path, referer=SITE + referer, link_text=link_text, kind="pdf",
                            fetched=fetched, status=status, content_type="application/pdf", size=1000,
                            sha256="1" * 64, fetched_at="2026-11-01T10:00:00", title=title, text=text, note=note)


def crawl_of(pages, documents=(), **journal) -> StoredCrawl:
    fields = dict(start_url=SITE + "/", site_hosts=["kcson.example.ru"], started_at="2026-11-01T10:00:00",
                  user_agent="nok-audit-test", max_pages=500, max_depth=6, final_url=SITE + "/", entry_ok=True)
    fields.update(journal)
    return StoredCrawl(folder=Path("/nonexistent/crawl"), journal=CrawlJournal(**fields),
                       pages=list(pages), documents=list(documents))


def findings(crawl, checklist=None) -> dict:
    result = evaluate(crawl, checklist or SOCIAL)
    return {f.item_id: f for f in result}


SOCIAL = load_checklist()


# ---- the social checklist itself -----------------------------------------------------------

EXPECTED_IDS = {
    "1.1": "reg_date founder location_branches work_schedule contacts structure head_deputies staff "
           "service_forms service_types procedure_conditions tariffs recipients_number free_places "
           "services_volume material_base licenses fin_activity internal_rules inspections nok_info "
           "charter reg_certificate paid_services_doc".split(),
    "1.2": "ch_phone ch_email ch_e_service ch_faq ch_opinion ch_other".split(),
    "3.2": "acc_alt_version acc_remote_or_home acc_sign_language acc_staff_assistance".split(),
    "extra": "social_vk social_ok pos_widget bus_gov_link".split(),
}


def test_social_checklist_has_exactly_the_agreed_items():
    assert SOCIAL.id == "social" and SOCIAL.sector == "social" and SOCIAL.version == "2026.11.1"
    got = {}
    for it in SOCIAL.items:
        got.setdefault(it.indicator, []).append(it.id)
    assert got == EXPECTED_IDS
    for it in SOCIAL.items:
        assert it.name and it.legal_basis and it.fix and it.confidence in "CPU"
        assert re.search("[а-яё]", it.name + it.fix), it.id          # Russian for people
        assert it.counts_in_norm == (it.indicator == "1.1")


def test_unconfirmed_items_are_marked_u():
    u_items = {"head_deputies", "staff", "procedure_conditions", "tariffs", "recipients_number",
               "services_volume", "material_base", "licenses", "fin_activity", "internal_rules",
               "inspections", "nok_info", "charter", "reg_certificate", "paid_services_doc", "ch_other"}
    for it in SOCIAL.items:
        if it.id in u_items:
            assert it.confidence == "U", it.id
    assert SOCIAL.item("founder").confidence == "C"


def test_one_finding_per_enabled_item_in_checklist_order():
    result = evaluate(crawl_of([home()]), SOCIAL)
    assert [f.item_id for f in result] == [it.id for it in SOCIAL.items]
    for f in result:
        assert f.status in (PRESENT, ABSENT, UNKNOWN)
        if f.status != PRESENT:
            assert f.reason
        for e in f.evidence:
            assert e.kind in EVIDENCE_KINDS


# ---- morphology ----------------------------------------------------------------------------

def test_nominative_and_oblique_forms_share_a_stem():
    # Snowball alone gives устав→«уста» but устава→«устав»; the engine stems to a fixpoint.
    for a, b in [("устав", "устава"), ("филиал", "филиалы"), ("приём", "приема"), ("состав", "составе"),
                 ("органы", "органов"), ("Тарифы", "тарифов"), ("учредитель", "Учредителем")]:
        assert stems_of(a) == stems_of(b), (a, b)


def test_phrase_matcher_finds_word_sequences_and_maps_back_to_the_text():
    m = PhraseMatcher()
    k = m.add("количество свободных мест")
    other = m.add("места")
    m.build()
    text = "Информация о количестве свободных мест на 1 ноября: 5 мест в стационаре."
    s = m.scan(text)
    assert k in s.found and other in s.found
    assert "количестве свободных мест" in m.snippet(s, k)
    assert m.scan("свободных мест количество").found.get(k) is None      # order matters


def test_mixed_latin_lookalike_letters_are_read_as_cyrillic():
    assert stems_of("Тaрифы") == stems_of("Тарифы")                      # Latin «a» inside


# ---- phrases, news, stubs, links -----------------------------------------------------------

def test_inflected_phrase_in_body_is_found():
    about = page("/o-nas/", html_doc("Об учреждении", "<h1>Об учреждении</h1><p>Учредителем учреждения является "
                                     "Министерство социального развития края. " + LONG + "</p>"))
    f = findings(crawl_of([home(nav='<li><a href="/o-nas/">Об учреждении</a></li>'), about]))["founder"]
    assert f.status == PRESENT
    ev = f.evidence[0]
    assert ev.strength == STRONG and ev.url == SITE + "/o-nas/" and ev.kind == "page_text"
    assert "Учредителем учреждения является" in ev.snippet and len(ev.snippet) < 200


def test_news_item_gives_only_weak_evidence_and_the_item_stays_absent():
    news = page("/news/novye-tarify/", html_doc("Новые тарифы", "<h1>Утверждены новые тарифы на социальные услуги</h1>"
                                                "<p>" + LONG + "</p>"), depth=2)
    f = findings(crawl_of([home(), news]))["tariffs"]
    assert f.status == ABSENT
    assert f.evidence and all(e.strength == WEAK for e in f.evidence)
    assert f.evidence[0].note == "упоминание в новости — не является размещением сведений"
    assert "только в новостях" in f.reason
    assert "«тарифы»" in f.reason                                        # says what was searched for


def test_absent_reason_describes_regex_checks_in_words():
    f = findings(crawl_of([home()]))["reg_date"]
    assert f.status == ABSENT and "«ОГРН … от <дата>»" in f.reason and "(?:" not in f.reason


def test_dated_page_outside_the_news_folder_is_a_news_item():
    item = page("/o-nas/obyavleniya/tarify-2024/", html_doc("Объявление", "<h1>Изменились тарифы</h1>"
                                                              "<p>12.01.2024 приказом министерства изменены тарифы. " + LONG + "</p>"))
    f = findings(crawl_of([home(), item]))["tariffs"]
    assert f.status == ABSENT and f.evidence[0].strength == WEAK


def test_allow_news_makes_news_evidence_strong(tmp_path):
    p = tmp_path / "news_ok.yaml"
    p.write_text("extends: social\nitems:\n  - id: tariffs\n    allow_news: true\n", encoding="utf-8")
    news = page("/news/1/", html_doc("Новые тарифы", "<h1>Новые тарифы</h1><p>" + LONG + "</p>"), depth=2)
    f = findings(crawl_of([home(), news]), load_checklist(p))["tariffs"]
    assert f.status == PRESENT and f.evidence[0].strength == STRONG


def test_stub_page_gives_rejected_evidence():
    stub = page("/tarify/", html_doc("Тарифы", "<h1>Тарифы</h1><p>Страница находится в разработке.</p>"))
    f = findings(crawl_of([home(), stub]))["tariffs"]
    assert f.status == ABSENT
    ev = [e for e in f.evidence if e.url == SITE + "/tarify/"][0]
    assert ev.strength == REJECTED and ev.note == "страница-заглушка: раздел назван, но не заполнен"
    assert "заглушка" in f.reason


def test_page_with_only_a_heading_is_a_stub_but_one_with_documents_is_not():
    empty = page("/tarify/", html_doc("Тарифы", "<h1>Тарифы</h1><p>Скоро.</p>"))
    assert findings(crawl_of([home(), empty]))["tariffs"].status == ABSENT
    with_doc = page("/tarify/", html_doc("Тарифы", '<h1>Тарифы</h1><ul><li><a href="/files/p5.pdf">Приказ № 5</a></li>'
                                                   '<li><a href="/files/p6.pdf">Приказ № 6</a></li></ul>'))
    f = findings(crawl_of([home(), with_doc], [document("/files/p5.pdf", "Приказ № 5", referer="/tarify/")]))["tariffs"]
    assert f.status == PRESENT and f.evidence[0].url == SITE + "/tarify/"


def test_short_page_showing_a_scheme_is_not_a_stub_but_one_showing_an_icon_is():
    """The picture is read from the snapshot (extracted once during the crawl), not from stored HTML."""
    scheme = page("/struktura/", html_doc("Структура", '<h1>Структура</h1><img src="/img/shema.png" width="800">'))
    icon = page("/struktura/", html_doc("Структура", '<h1>Структура</h1><img src="/img/icon-print.png">'
                                                     '<img src="/img/p.jpg" width="16">'))
    assert scheme.content_image is True and icon.content_image is False
    assert page("/pusto/", "").content_image is False     # an empty body is decided too: never refilled on load
    assert findings(crawl_of([home(), scheme]))["structure"].status == PRESENT
    assert findings(crawl_of([home(), icon]))["structure"].status == ABSENT


def test_section_index_with_sub_pages_is_not_a_stub_but_a_lone_heading_with_siblings_is():
    side = ('<li><a href="/nok/rezultaty-2025/">Результаты 2025</a></li><li><a href="/nok/plan/">План</a></li>'
            '<li><a href="/o-nas/">Об учреждении</a></li>')
    index = page("/nok/", html_doc("НОК", "<h1>Независимая оценка качества</h1>", nav=side))
    f = findings(crawl_of([home(), index]))["nok_info"]
    assert f.status == PRESENT and f.evidence[0].url == SITE + "/nok/"
    lone = page("/nok/plan/", html_doc("План", "<h1>План по устранению недостатков</h1><p>—</p>", nav=side))
    f = findings(crawl_of([home(), lone]))["nok_info"]
    assert f.status == ABSENT and f.evidence[0].strength == REJECTED


def test_link_targets_are_matched_across_url_spellings():
    nav = '<li><a href="http://www.kcson.example.ru/mesta/index.php?utm_source=menu#top">Свободные места</a></li>'
    real = page("/mesta/", html_doc("Места", "<h2>На 01.11.2026</h2><p>" + LONG + "</p>"))
    f = findings(crawl_of([home(nav=nav), real]))["free_places"]
    assert f.status == PRESENT and f.evidence[0].url == SITE + "/mesta/"


def test_link_to_a_page_the_crawl_did_not_fetch_makes_the_item_unknown():
    nav = '<li><a href="/mesta/">Свободные места</a></li>'
    f = findings(crawl_of([home(nav=nav)], deep_links=5))["free_places"]
    assert f.status == UNKNOWN
    assert f.evidence[0].strength == REJECTED and "не загружалась" in f.evidence[0].note
    assert SITE + "/mesta/" in f.reason


def test_error_pages_are_not_evidence():
    broken = page("/tarify/", html_doc("Тарифы", "<h1>Тарифы</h1><p>" + LONG + "</p>"), status=404)
    assert findings(crawl_of([home(), broken]))["tariffs"].status == ABSENT


def test_menu_link_to_a_stub_is_rejected_but_a_link_to_a_real_page_counts_with_the_target_url():
    nav = '<li><a href="/tarify/">Тарифы</a></li><li><a href="/mesta/">Свободные места</a></li><li><a href="/">Главная</a></li>'
    stub = page("/tarify/", html_doc("Раздел", "<h2>Раздел</h2><p>Информация готовится</p>", nav=nav))
    real = page("/mesta/", html_doc("Информация", "<h2>Информация на 01.11.2026</h2><table><tr><td>Стационар: 3; "
                                    "полустационар: 0; на дому: 12 человек. " + LONG + "</td></tr></table>", nav=nav))
    res = findings(crawl_of([home(nav=nav), stub, real]))

    tariffs = res["tariffs"]
    assert tariffs.status == ABSENT
    ev = tariffs.evidence[0]
    assert ev.kind == "link_text" and ev.strength == REJECTED and ev.url == SITE + "/tarify/"
    assert "заглушк" in ev.note and ev.source_url.startswith(SITE)

    places = res["free_places"]
    assert places.status == PRESENT
    ev = places.evidence[0]
    assert ev.kind == "link_text" and ev.strength == STRONG
    assert ev.url == SITE + "/mesta/"                      # the target holds the information
    assert ev.source_url == SITE + "/"                     # the page with the link (shallowest)
    assert ev.snippet == "Свободные места"


def test_link_answering_404_is_rejected_and_the_item_absent_with_the_broken_link_named():
    nav = '<li><a href="/tarify/">Тарифы</a></li>'
    problems = [Problem(url=SITE + "/tarify/", kind="http_error", message="HTTP 404", referer=SITE + "/", link_text="Тарифы")]
    f = findings(crawl_of([home(nav=nav)], problems=problems))["tariffs"]
    assert f.status == ABSENT                         # 404 is the server's definite answer
    assert f.evidence[0].strength == REJECTED and f.evidence[0].note == "ссылка не открывается: HTTP 404"
    assert SITE + "/tarify/" in f.reason and "HTTP 404" in f.reason


@pytest.mark.parametrize("kind,message", [("http_error", "HTTP 503"), ("timeout", "сервер не ответил за 20 с"),
                                          ("http_error", "HTTP 429")])
def test_link_failing_for_a_passing_reason_makes_the_item_unknown(kind, message):
    nav = '<li><a href="/tarify/">Тарифы</a></li>'
    problems = [Problem(url=SITE + "/tarify/", kind=kind, message=message, referer=SITE + "/", link_text="Тарифы")]
    f = findings(crawl_of([home(nav=nav)], problems=problems))["tariffs"]
    assert f.status == UNKNOWN
    assert f.evidence[0].strength == REJECTED and message in f.evidence[0].note
    assert SITE + "/tarify/" in f.reason and message in f.reason


def test_failed_link_seen_only_in_the_journal_counts_too():
    problems = [Problem(url=SITE + "/tarify/", kind="timeout", message="сервер не ответил", link_text="Тарифы на услуги")]
    assert findings(crawl_of([home()], problems=problems))["tariffs"].status == UNKNOWN
    problems = [Problem(url=SITE + "/tarify/", kind="http_error", message="HTTP 410", link_text="Тарифы на услуги")]
    f = findings(crawl_of([home()], problems=problems))["tariffs"]
    assert f.status == ABSENT and "HTTP 410" in f.reason
    problems = [Problem(url=SITE + "/foto/", kind="http_error", message="HTTP 500", link_text="Фотогалерея")]
    assert findings(crawl_of([home()], problems=problems))["tariffs"].status == ABSENT    # names another section


def test_link_to_another_site_is_weak_unless_the_check_accepts_external_links():
    nav = ('<li><a href="https://minsoc.example.org/tarify">Тарифы</a></li>'
           '<li><a href="https://forms.yandex.ru/u/123/">Анкета для получателей услуг</a></li>')
    res = findings(crawl_of([home(nav=nav)]))
    assert res["tariffs"].status == ABSENT and res["tariffs"].evidence[0].strength == WEAK
    assert res["ch_opinion"].status == PRESENT                       # external_ok: a questionnaire elsewhere


def test_document_found_by_the_text_of_links_pointing_to_it():
    nav = '<li><a href="/upload/iblock/a1b2c3.pdf">Правила внутреннего распорядка для получателей социальных услуг</a></li>'
    doc = document("/upload/iblock/a1b2c3.pdf", link_text="", title="", text="Утверждаю. Правила ...")
    f = findings(crawl_of([home(nav=nav)], [doc]))["internal_rules"]
    assert f.status == PRESENT
    assert {e.url for e in f.evidence} == {SITE + "/upload/iblock/a1b2c3.pdf"}


def test_document_attached_only_to_news_is_weak():
    news = page("/news/5/", html_doc("Новость", '<h1>Обновлены документы</h1><p><a href="/files/ustav.pdf">Устав</a> ' + LONG + "</p>"), depth=2)
    f = findings(crawl_of([home(), news], [document("/files/ustav.pdf", "Устав", referer="/news/5/")]))["charter"]
    assert f.status == ABSENT and all(e.strength == WEAK for e in f.evidence)


def test_document_answering_404_is_absent_but_a_timed_out_one_is_unknown():
    nav = '<li><a href="/files/ustav.pdf">Устав учреждения</a></li>'
    doc = document("/files/ustav.pdf", "Устав учреждения", fetched=False, status=404, note="HTTP 404")
    f = findings(crawl_of([home(nav=nav)], [doc]))["charter"]
    assert f.status == ABSENT and "/files/ustav.pdf" in f.reason and "HTTP 404" in f.reason
    assert all(e.strength == REJECTED for e in f.evidence)
    doc = document("/files/ustav.pdf", "Устав учреждения", fetched=False, status=None, note="")
    problems = [Problem(url=SITE + "/files/ustav.pdf", kind="timeout", message="сервер не ответил вовремя",
                        link_text="Устав учреждения", is_document=True)]
    f = findings(crawl_of([home(nav=nav)], [doc], problems=problems))["charter"]
    assert f.status == UNKNOWN and "/files/ustav.pdf" in f.reason


def test_evidence_prefers_the_page_whose_content_holds_the_item_over_the_site_footer():
    footer = "<p>Тел.: +7 (3467) 33-22-11, e-mail: info@kcson.example.ru. Режим работы: пн–пт 9:00–18:00</p>"
    pages = [home(footer=footer)] + [page(f"/r{i}/", html_doc(f"Раздел {i}", "<h1>Раздел</h1><p>" + LONG + "</p>",
                                                              footer=footer)) for i in range(8)]
    contacts = page("/o-nas/kontakty/", html_doc("Контакты", "<h1>Контакты</h1><p>Приёмная: +7 (3467) 33-22-10, "
                                                 "e-mail: priem@kcson.example.ru. " + LONG + "</p>", footer=footer), depth=2)
    res = findings(crawl_of(pages + [contacts]))
    for item in ("contacts", "ch_phone", "ch_email", "work_schedule"):
        assert res[item].status == PRESENT
    assert res["contacts"].evidence[0].url == SITE + "/o-nas/kontakty/"
    assert res["ch_phone"].evidence[0].url == SITE + "/o-nas/kontakty/"
    assert res["work_schedule"].evidence[0].url == SITE + "/"          # only in the footer: the shallowest


def test_a_document_is_shown_as_a_document_not_as_the_link_to_it():
    nav = '<li><a href="/docs/ustav.pdf">Устав учреждения</a></li>'
    doc = document("/docs/ustav.pdf", "Устав учреждения", title="Устав ГБУ СО «КЦСОН»", text="УСТАВ ...")
    f = findings(crawl_of([home(nav=nav)], [doc]))["charter"]
    assert f.status == PRESENT and f.evidence[0].kind == "document_title"


# ---- patterns ------------------------------------------------------------------------------

def test_phone_is_validated_and_a_bogus_digit_string_is_not():
    good = home(footer="<p>Приёмная: +7 (3467) 33-22-11</p>")
    assert findings(crawl_of([good]))["ch_phone"].status == PRESENT
    bogus = home(footer="<p>ИНН 8601234567, ОГРН 1028600512345, тел. 8 (000) 000-00-00, +7 123 456 78 90, "
                        "р/с 40702810900000001234</p>")
    f = findings(crawl_of([bogus]))["ch_phone"]
    assert f.status == ABSENT and not f.evidence


def test_tel_and_mailto_links_count():
    p = home(footer='<a href="tel:+73467332211">Позвонить</a> <a href="mailto:kcson@example.ru">Написать</a>')
    res = findings(crawl_of([p]))
    assert res["ch_phone"].status == PRESENT and res["ch_email"].status == PRESENT
    assert res["contacts"].status == PRESENT


def test_contacts_need_an_actual_phone_and_email_not_a_heading():
    p = page("/kontakty/", html_doc("Контакты", "<h1>Контакты</h1><p>Звоните и пишите нам! " + LONG + "</p>"))
    assert findings(crawl_of([home(), p]))["contacts"].status == ABSENT


@pytest.mark.parametrize("text,value", [
    ("Тел.: +7 (3467) 33-22-11, факс", "+7 (3467) 33-22-11"),
    ("звоните 8-800-555-35-35!", "8-800-555-35-35"),
    ("(3452) 12-34-56 — приёмная", "(3452) 12-34-56"),
    ("моб. 89161234567", "89161234567"),
])
def test_phone_formats(text, value):
    m = patterns.find_phone(text)
    assert m is not None and m.value == value


@pytest.mark.parametrize("text", ["ИНН 8601234567", "8 (000) 000-00-00", "+7 123 456 78 90", "861234567890123",
                                  "приказ № 8 от 2024 года", "ОКПО 84512345678"])
def test_not_phones(text):
    assert patterns.find_phone(text) is None


def test_ogrn_inn_check_digits_and_dates():
    assert patterns.find_ogrn("ОГРН: 1027700132195") is not None
    assert patterns.find_ogrn("ОГРН 1027700132194") is None              # wrong check digit
    assert patterns.find_inn("ИНН/КПП 7707083893/773601001") is not None
    assert patterns.find_inn("ИНН 7707083890") is None
    assert patterns.find_date("основано 12 марта 2003 г. в").value == "12 марта 2003 г."
    assert patterns.find_date("от 31.02.2020 и от 01.03.2020").value == "01.03.2020"
    assert patterns.find_email("logo@2x.png") is None
    assert patterns.find_email("пишите: info@kcson.ru.").value == "info@kcson.ru"
    assert patterns.email_from_href("/cdn-cgi/l/email-protection#1a737b7e5a7f627b776a767f34686f") == "iad@example.ru"


def test_regex_literal_prefilter_finds_the_same_as_a_plain_search():
    rnd = random.Random(7)
    words = "дата регистрации год создания учреждения пн пт 9:00 понедельник пятница 12.03.2003 огрн".split()
    for source in [r"(?:дата|год)\s+(?:создания|регистрации)", r"(?<![а-яё])(?:пн|пон)\S*\s*[-–]?\s*(?:пт|пят)",
                   r"огрн\D{0,3}\d", r"\d{2}\.\d{2}\.\d{4}"]:
        rx = patterns.compile_regex(source)
        finder = patterns.regex_finder(rx)
        for _ in range(200):
            text = " ".join(rnd.choice(words) for _ in range(12)).capitalize()
            m = rx.search(text)
            got = finder(text)
            assert (got.start, got.end) == (m.start(), m.end()) if m else got is None, (source, text)


# ---- hosts, embeds, microdata, forms -------------------------------------------------------

def test_bus_gov_ru_links():
    res = findings(crawl_of([home(footer='<a href="https://bus.gov.ru/qrcode/rate/425137">Оцените качество оказания услуг</a>')]))
    assert res["bus_gov_link"].status == PRESENT and res["bus_gov_link"].evidence[0].kind == "link_host"
    assert res["ch_opinion"].status == PRESENT
    res = findings(crawl_of([home(footer='<a href="https://bus.gov.ru/">bus.gov.ru</a>')]))
    assert res["bus_gov_link"].status == PRESENT and res["ch_opinion"].status == ABSENT


def test_vk_share_button_is_not_an_official_page():
    res = findings(crawl_of([home(footer='<a href="https://vk.com/share.php?url=x">Поделиться</a>')]))
    assert res["social_vk"].status == ABSENT
    res = findings(crawl_of([home(footer='<a href="https://vk.com/kcson_zabota">ВКонтакте</a> <a href="https://ok.ru/group/1">ОК</a>')]))
    assert res["social_vk"].status == PRESENT and res["social_ok"].status == PRESENT


def test_pos_widget_embed_counts_for_the_widget_and_the_e_service():
    head = '<script src="https://pos.gosuslugi.ru/bin/script.min.js"></script>'
    res = findings(crawl_of([home(head=head)]))
    assert res["pos_widget"].status == PRESENT and res["pos_widget"].evidence[0].kind == "embed"
    assert res["ch_e_service"].status == PRESENT


def test_alternative_version_by_button_text_or_plugin():
    res = findings(crawl_of([home(header='<a href="#" class="bvi-open" title="Версия для слабовидящих"><img src="/eye.svg"></a>')]))
    assert res["acc_alt_version"].status == PRESENT
    res = findings(crawl_of([home(head='<script src="https://lidrekon.ru/slep/js/uhpv-full.min.js"></script>')]))
    assert res["acc_alt_version"].status == PRESENT
    # a news-like phrase in body text is not the switch
    res = findings(crawl_of([home(main="<p>Экскурсия для слабовидящих граждан прошла в музее.</p>")]))
    assert res["acc_alt_version"].status == ABSENT


def test_itemprop_check(tmp_path):
    p = tmp_path / "micro.yaml"
    p.write_text("""extends: social
items:
  - id: founder_microdata
    name: Учредитель в микроразметке
    indicator: extra
    legal_basis: проверка разметки
    confidence: U
    fix: Добавьте itemprop="uchredLaw".
    detect: {any: [{itemprop: [uchredLaw]}]}
""", encoding="utf-8")
    checklist = load_checklist(p)
    empty = home(main='<div itemprop="uchredLaw"> </div>')
    assert findings(crawl_of([empty]), checklist)["founder_microdata"].status == ABSENT
    filled = home(main='<div itemprop="uchredLaw">Министерство социального развития</div>')
    f = findings(crawl_of([filled]), checklist)["founder_microdata"]
    assert f.status == PRESENT and f.evidence[0].kind == "itemprop" and "Министерство" in f.evidence[0].snippet


def test_feedback_form_with_textarea_is_an_e_service_but_a_search_form_is_not():
    search = home(header='<form action="/search/"><input name="q"><button>Найти</button></form>')
    assert findings(crawl_of([search]))["ch_e_service"].status == ABSENT
    form = page("/priemnaya/", html_doc("Приём", '<h1>Напишите нам</h1><form method="post" action="/send/">'
                                        '<input name="fio"><input type="email" name="email"><textarea name="text"></textarea>'
                                        '<button type="submit">Отправить</button></form>'))
    f = findings(crawl_of([search, form]))["ch_e_service"]
    assert f.status == PRESENT and f.evidence[0].kind == "form" and f.evidence[0].url == SITE + "/priemnaya/"


def test_faq_needs_a_section_not_the_word_question():
    body = home(main="<p>По всем вопросам обращайтесь в приёмную, ответ будет дан в течение 30 дней.</p>")
    assert findings(crawl_of([body]))["ch_faq"].status == ABSENT
    nav = '<li><a href="/faq/">Вопрос-ответ</a></li>'
    faq = page("/faq/", html_doc("Вопрос-ответ", "<h1>Часто задаваемые вопросы</h1><p>Как оформить надомное обслуживание? "
                                 "Обратитесь с заявлением и паспортом. " + LONG + "</p>", nav=nav))
    f = findings(crawl_of([home(nav=nav), faq]))["ch_faq"]
    assert f.status == PRESENT and f.evidence[0].url == SITE + "/faq/"


# ---- completeness of the crawl -------------------------------------------------------------

def test_entry_failure_makes_every_item_unknown():
    result = evaluate(crawl_of([], entry_ok=False, entry_error="имя сайта не найдено (DNS)"), SOCIAL)
    assert len(result) == len(SOCIAL.items)
    for f in result:
        assert f.status == UNKNOWN and "имя сайта не найдено (DNS)" in f.reason and not f.evidence


def test_crawl_cut_off_by_a_limit_makes_missing_items_unknown():
    p = home(footer="<p>Тел.: +7 (3467) 33-22-11</p>")
    res = findings(crawl_of([p], stop_reason="max_pages", max_pages=1, cut_off_links=40))
    assert res["ch_phone"].status == PRESENT                      # what was found stays found
    f = res["tariffs"]
    assert f.status == UNKNOWN
    assert "обход остановлен по лимиту страниц: раздел мог остаться непроверенным" in f.reason
    res = findings(crawl_of([p], cut_off_links=3))
    assert res["tariffs"].status == UNKNOWN and "лимита обхода" in res["tariffs"].reason


def test_robots_disallowed_link_naming_the_item_makes_it_unknown():
    robots = RobotsInfo(obeyed=True, url=SITE + "/robots.txt", status=200, disallowed=[
        Problem(url=SITE + "/svobodnye-mesta/", kind="robots", message="запрещено robots.txt",
                referer=SITE + "/", link_text="Количество свободных мест")])
    res = findings(crawl_of([home()], robots=robots))
    f = res["free_places"]
    assert f.status == UNKNOWN
    assert SITE + "/svobodnye-mesta/" in f.reason and "robots.txt" in f.reason and "Количество свободных мест" in f.reason
    assert res["tariffs"].status == ABSENT                        # the forbidden link does not name tariffs


def test_robots_disallowed_url_without_text_matches_by_url_path():
    robots = RobotsInfo(obeyed=True, disallowed=[Problem(url=SITE + "/svobodnye-mesta/", kind="robots", message="")])
    assert findings(crawl_of([home()], robots=robots))["free_places"].status == UNKNOWN


def test_evidence_is_capped_strong_first_and_shallow_first():
    footer = "<p>Тел.: +7 (3467) 33-22-11, e-mail: info@kcson.example.ru</p>"
    pages = [home(footer=footer)] + [page(f"/razdel/{i}/", html_doc(f"Раздел {i}", "<h1>Раздел</h1><p>" + LONG + "</p>",
                                                                     footer=footer), depth=1 + i % 3) for i in range(12)]
    f = findings(crawl_of(pages))["contacts"]
    assert f.status == PRESENT and len(f.evidence) == 5
    assert f.evidence[0].url == SITE + "/"
    assert [e.strength for e in f.evidence] == [STRONG] * 5


# ---- loading and extending checklists ------------------------------------------------------

def test_extends_disable_override_and_add(tmp_path):
    p = tmp_path / "region.yaml"
    p.write_text("""extends: social
id: social-region
version: "2026.11.1-r1"
disable: [acc_sign_language, paid_services_doc]
settings:
  stub: {min_chars: 40}
items:
  - id: tariffs
    counts_in_norm: false
    fix: Разместите тарифы на странице «Тарифы» (региональное требование).
  - id: trustee_council
    name: Сведения о попечительском совете
    indicator: "1.1"
    legal_basis: Региональный приказ № 1
    confidence: U
    fix: Опубликуйте состав попечительского совета.
    detect:
      any:
        - phrase: [попечительский совет]
""", encoding="utf-8")
    cl = load_checklist(p)
    assert cl.id == "social-region" and cl.version == "2026.11.1-r1"
    assert "social.yaml" in cl.source and "region.yaml" in cl.source
    assert not cl.item("acc_sign_language").enabled and not cl.item("paid_services_doc").enabled
    assert cl.item("tariffs").counts_in_norm is False and "региональное" in cl.item("tariffs").fix
    assert cl.item("tariffs").detect == SOCIAL.item("tariffs").detect            # untouched fields kept
    assert cl.settings["stub"]["min_chars"] == 40 and cl.settings["stub"]["phrases"]
    assert cl.items[-1].id == "trustee_council"

    nav = '<li><a href="/sovet/">Попечительский совет</a></li>'
    sovet = page("/sovet/", html_doc("Попечительский совет", "<h1>Попечительский совет</h1><p>" + LONG + "</p>", nav=nav))
    result = evaluate(crawl_of([home(nav=nav), sovet]), cl)
    ids = [f.item_id for f in result]
    assert "acc_sign_language" not in ids and "paid_services_doc" not in ids
    assert ids[-1] == "trustee_council"
    assert {f.item_id: f for f in result}["trustee_council"].status == PRESENT


def test_extends_a_relative_path(tmp_path):
    (tmp_path / "base.yaml").write_text("extends: social\nid: base\n", encoding="utf-8")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\ndisable: [social_ok]\n", encoding="utf-8")
    cl = load_checklist(tmp_path / "child.yaml")
    assert cl.id == "base" and not cl.item("social_ok").enabled


def test_load_by_name_and_default():
    assert load_checklist("social").id == load_checklist(None).id == "social"


BAD = {
    "unknown_check": ("extends: social\nitems:\n  - id: tariffs\n    detect: {any: [{phrse: [тарифы]}]}\n",
                      ["bad.yaml", "«tariffs»", "неизвестный тип проверки «phrse»"]),
    "missing_field": ("extends: social\nitems:\n  - id: new_item\n    name: Новый пункт\n    indicator: '1.1'\n"
                      "    confidence: U\n    fix: x\n    detect: {any: [{phrase: [x]}]}\n",
                      ["bad.yaml", "«new_item»", "«legal_basis»"]),
    "duplicate_id": ("extends: social\nitems:\n  - id: a\n    name: A\n  - id: a\n    name: B\n",
                     ["bad.yaml", "«a»", "повторяющийся id"]),
    "bad_indicator": ("extends: social\nitems:\n  - id: tariffs\n    indicator: '4.1'\n",
                      ["bad.yaml", "«tariffs»", "indicator «4.1»"]),
    "bad_regex": ("extends: social\nitems:\n  - id: tariffs\n    detect: {any: [{regex: 'тариф(ы'}]}\n",
                  ["bad.yaml", "«tariffs»", "регулярном выражении", "тариф(ы"]),
    "bad_scope": ("extends: social\nitems:\n  - id: tariffs\n    detect: {any: [{phrase: [тарифы], in: [menu]}]}\n",
                  ["bad.yaml", "«tariffs»", "«menu»"]),
    "bad_pattern": ("extends: social\nitems:\n  - id: tariffs\n    detect: {any: [{pattern: snils}]}\n",
                    ["«tariffs»", "неизвестный шаблон «snils»"]),
    "unknown_disable": ("extends: social\ndisable: [no_such_item]\n", ["bad.yaml", "«no_such_item»"]),
    "unknown_item_field": ("extends: social\nitems:\n  - id: tariffs\n    weight: 2\n", ["«tariffs»", "«weight»"]),
    "yaml_syntax": ("extends: social\nitems: [\n", ["bad.yaml", "YAML", "строка"]),
    "duplicate_key": ("extends: social\ndisable: [a]\ndisable: [b]\n", ["bad.yaml", "«disable» повторяется"]),
    "bad_confidence": ("extends: social\nitems:\n  - id: tariffs\n    confidence: X\n", ["«tariffs»", "confidence «X»"]),
    "none_only": ("extends: social\nitems:\n  - id: tariffs\n    detect: {none: [{not_news: true}]}\n",
                  ["«tariffs»", "any или all"]),
    "host_with_path": ("extends: social\nitems:\n  - id: bus_gov_link\n    detect: {any: [{link_host: [bus.gov.ru/qrcode]}]}\n",
                       ["«bus_gov_link»", "не имя сайта"]),
    "not_a_mapping": ("- a\n- b\n", ["bad.yaml", "ожидается словарь"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_checklists_give_clear_russian_errors(tmp_path, case):
    text, expected = BAD[case]
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ChecklistError) as err:
        load_checklist(p)
    message = str(err.value)
    for part in expected:
        assert part in message, (case, message)


def test_missing_file_and_cycle(tmp_path):
    with pytest.raises(ChecklistError, match="не найден"):
        load_checklist(tmp_path / "nope.yaml")
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ChecklistError, match="циклическое"):
        load_checklist(tmp_path / "a.yaml")


# ---- a larger crawl ------------------------------------------------------------------------

def _synthetic_site(n: int = 200, target_html_kb: int = 30) -> StoredCrawl:
    rnd = random.Random(42)
    vocab = ("социальные услуги граждане пожилого возраста инвалиды центр отделение обслуживание на дому "
             "помощь семья дети реабилитация специалист консультация предоставление порядок условия договор "
             "министерство края мероприятие праздник концерт поздравление ветеран программа проект тарифы "
             "учреждение директор работа график телефон адрес сотрудники здоровье питание занятия клуб "
             "долголетие волонтеры акция встреча 2025 года 12 марта").split()

    def sentence():
        return " ".join(rnd.choice(vocab) for _ in range(rnd.randint(6, 14))).capitalize() + ". "

    nav = "".join(f'<li><a href="/razdel-{i}/">{rnd.choice(vocab)} {rnd.choice(vocab)}</a></li>' for i in range(60))
    footer = ('<p>628000, г. Ханты-Мансийск, ул. Ленина, д. 1. Тел.: +7 (3467) 33-22-11, e-mail: kcson@example.ru</p>'
              '<a href="https://vk.com/kcson">ВКонтакте</a>')
    pages = []
    for i in range(n):
        parts = []
        html = ""
        while len(html.encode()) < target_html_kb * 1024:
            parts.append(f"<h2>{sentence()}</h2><p>{''.join(sentence() for _ in range(12))}</p>")
            html = html_doc(sentence(), "<h1>" + sentence() + "</h1>" + "".join(parts), nav=nav, footer=footer,
                            head='<script src="/js/jquery.min.js"></script>')
        path = "/" if i == 0 else (f"/news/{i}/" if i % 3 == 0 else f"/razdel-{i % 60}/{i}/")
        pages.append(page(path, html, depth=0 if i == 0 else 1 + i % 3))
    return crawl_of(pages)


def test_two_hundred_large_pages_are_evaluated(capsys):
    crawl = _synthetic_site()
    start = time.perf_counter()
    result = evaluate(crawl, SOCIAL)
    elapsed = time.perf_counter() - start
    assert len(result) == len(SOCIAL.items)
    by_id = {f.item_id: f for f in result}
    assert by_id["ch_phone"].status == PRESENT and by_id["social_vk"].status == PRESENT
    with capsys.disabled():
        print(f"\n[engine timing] {len(crawl.pages)} pages, avg text {sum(len(p.text) for p in crawl.pages) / len(crawl.pages) / 1024:.1f} KB: "
              f"evaluate {elapsed * 1000 / len(crawl.pages):.2f} ms/page")


# ---- issue #12: verdicts as a careful reader gives them ----------------------------------------

def test_robots_closed_documents_section_leaves_document_items_unknown_not_absent():
    nav = '<li><a href="/dokumenty/">Документы</a></li><li><a href="/o-nas/">О нас</a></li>'
    robots = RobotsInfo(obeyed=True, url=SITE + "/robots.txt", status=200, disallowed=[
        Problem(url=SITE + "/dokumenty/", kind="robots", message="запрещено robots.txt", link_text="Документы")])
    res = findings(crawl_of([home(nav=nav)], robots=robots))
    for item in ("charter", "licenses", "fin_activity", "paid_services_doc"):
        assert res[item].status == UNKNOWN and "раздел закрыт для роботов (robots.txt)" in res[item].reason
        assert res[item].closed_sections == [SITE + "/dokumenty/"]
    assert res["staff"].status == ABSENT and res["staff"].closed_sections == []     # no document item


def test_regional_checklist_must_describe_the_sections_it_names(tmp_path):
    f = tmp_path / "r.yaml"
    f.write_text("extends: social\nitems:\n  - id: x\n    name: x\n    indicator: extra\n    legal_basis: b\n"
                 "    fix: f\n    sections: [arhiv]\n    detect: {any: [{phrase: [архив]}]}\n", encoding="utf-8")
    with pytest.raises(ChecklistError, match="раздел «arhiv» из sections не описан в settings.sections"):
        load_checklist(f)


def test_a_promise_under_the_heading_is_not_publication_but_a_negative_statement_is():
    about = page("/o-nas/", html_doc("Об учреждении", "<h1>Об учреждении</h1><p>" + LONG + "</p><h2>Устав</h2>"
                                     "<p>Устав будет размещён после регистрации изменений.</p><h2>Лицензии</h2>"
                                     "<p>Деятельность учреждения лицензированию не подлежит.</p>"))
    res = findings(crawl_of([home(), about]))
    assert res["charter"].status == ABSENT and "будет размещён" in res["charter"].reason
    assert res["licenses"].status == PRESENT


def test_caption_of_a_document_that_answers_404_is_not_evidence():
    main = ("<p>" + LONG + "</p><table><tr><td><a href='/files/mesta.pdf'>Количество свободных мест</a></td>"
            "<td>01.12.2025</td></tr></table>")
    dead = [Problem(url=SITE + "/files/mesta.pdf", kind="http_error", message="HTTP 404", link_text="Количество свободных мест",
                    is_document=True)]
    f = findings(crawl_of([home(main=main)], problems=dead))["free_places"]
    assert f.status == ABSENT and "документ по ссылке не открывается (HTTP 404)" in f.reason
    assert SITE + "/files/mesta.pdf" in f.reason


def test_common_word_needs_a_list_of_people_for_staff():
    news = page("/zhizn/", html_doc("Жизнь центра", "<h1>Жизнь центра</h1><h2>Сотрудники провели субботник</h2><p>"
                                    + LONG + " Организатор — Фёдорова Галина Юрьевна.</p>"))
    assert findings(crawl_of([home(), news]))["staff"].status == ABSENT
    team = page("/specialisty/", html_doc("Наши специалисты", "<h1>Наши специалисты</h1>" + "".join(
        f"<p><b>{n}</b><br>педагог-психолог</p>" for n in ("Соколова<br>Мария Андреевна", "Никитин<br>Игорь Васильевич",
                                                            "Волкова</br>Екатерина Сергеевна"))))
    assert findings(crawl_of([home(), team]))["staff"].status == PRESENT


def test_empty_faq_section_is_published():
    nav = '<li><a href="/faq/">Вопрос-ответ</a></li>'
    faq = page("/faq/", html_doc("Вопрос-ответ", "<h1>Часто задаваемые вопросы</h1><p>Раздел наполняется.</p>", nav=nav))
    assert findings(crawl_of([home(nav=nav), faq]))["ch_faq"].status == PRESENT


def test_br_and_stray_end_br_separate_words_in_headings_and_links():
    p = page("/x/", html_doc("X", "<h3>Лебедев</br>Константин Олегович</h3><a href='/y/'><div>Устав</div>"
                                  "<div>учреждения</div></a><!-- <a href='/z.pdf'>Лицензия</a> -->"))
    assert "Лебедев Константин Олегович" in p.headings
    assert [(l.url, l.text) for l in p.links] == [(SITE + "/y/", "Устав учреждения")]
