"""End to end: `nok-audit check` against the loopback test sites, asserting what a user would read."""
from __future__ import annotations

import json
import shutil
from urllib.parse import urlsplit

import lxml.html
import pytest

from crawler.crawlstore import load_crawl

from conftest import BROWSER, FAST, SITES, expected, open_in_chromium, run_cli

SITES_WITH_EXPECTATIONS = ["kcson_full", "kcson_1251", "kcson_robots", "kcson_broken", "kcson_jsmenu",
                           # issue #12: verdicts as a careful reader gives them
                           "kcson_closed_docs", "kcson_compact", "kcson_decoys", "kcson_dead_docs", "kcson_reader"]


def audit_as_expected(audit, name):
    """The audit of a test site with the options its _expected.json names (e.g. a document budget)."""
    return audit(name, *expected(name).get("args", []))


@pytest.mark.parametrize("name", SITES_WITH_EXPECTATIONS)
def test_every_item_has_the_expected_status(audit, name):
    run = audit_as_expected(audit, name)
    assert run.code == 0, run.stderr
    want = expected(name)["items"]
    got = {i["id"]: i["status"] for i in run.report["items"]}
    wrong = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    assert not wrong, f"(got, expected) per item: {wrong}"


@pytest.mark.parametrize("name", SITES_WITH_EXPECTATIONS)
def test_present_items_point_at_the_page_that_publishes_them(audit, name):
    run = audit_as_expected(audit, name)
    paths = expected(name).get("evidence_paths", {})
    assert paths, "the site's _expected.json lists evidence paths"
    for item_id, path in paths.items():
        item = run.item(item_id)
        strong = [urlsplit(e["url"]).path for e in item["evidence"] if e["strength"] == "strong"]
        assert path in strong, f"{item_id}: expected evidence at {path}, got {strong}"


def test_report_json_validates_and_names_checklist_version(audit):
    import jsonschema
    from pathlib import Path
    schema = json.loads((Path(__file__).parent.parent / "reports" / "report.schema.json").read_text())
    report = audit("kcson_full").report
    jsonschema.validate(report, schema)
    assert report["checklist"]["id"] == "social" and report["checklist"]["version"]
    assert report["crawl"]["pages"] >= 6


def test_documents_are_read_for_evidence(audit):
    run = audit("kcson_full")
    charter = run.item("charter")
    assert charter["status"] == "present"
    kinds = {e["kind"] for e in charter["evidence"]}
    assert kinds & {"document_text", "document_title"}, charter["evidence"]


def test_windows_1251_page_with_lying_header_is_redecoded(audit):
    run = audit("kcson_1251")
    pages = [json.loads(l) for l in (run.out / "crawl" / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert pages and all("\ufffd" not in p["text"] for p in pages)
    assert any(p["encoding_note"] for p in pages)
    assert any("Комплексный центр" in p["text"] or "социального" in p["text"] for p in pages)


def test_news_mention_and_stub_are_not_evidence(audit):
    run = audit("kcson_1251")
    tariffs = run.item("tariffs")
    assert tariffs["status"] == "absent"
    assert any(e["strength"] == "rejected" for e in tariffs["evidence"]), tariffs
    free = run.item("free_places")
    assert free["status"] == "absent"
    assert any(e["strength"] == "weak" for e in free["evidence"]), free


def test_script_planted_in_a_page_never_runs_in_the_report(audit):
    run = audit("kcson_1251")
    doc = lxml.html.document_fromstring(run.html)
    assert not doc.xpath("//script"), "the report must contain no script element"
    assert not [a for a in doc.xpath("//a/@href") if a.strip().lower().startswith("javascript:")]
    assert "alert" in run.html     # the planted text is shown, escaped


def test_robots_disallowed_section_is_unknown_not_absent_and_never_fetched(audit, sites):
    run = audit("kcson_robots")
    report = run.report
    assert report["robots"]["obeyed"] is True
    assert any("/dokumenty/" in d["url"] for d in report["robots"]["disallowed"])
    fetched = [h.path for h in sites["kcson_robots"].requests]
    assert not [p for p in fetched if p.startswith("/dokumenty/")], "robots.txt was not respected"
    assert run.item("charter")["status"] == "unknown"


def test_calendar_and_session_id_traps_do_not_blow_up_the_crawl(audit):
    report = audit("kcson_robots").report
    assert report["crawl"]["pages"] < 120
    assert report["traps"], "dropped trap URLs are reported"


def test_broken_links_are_reported_with_clear_messages(audit):
    run = audit("kcson_broken")
    kinds = {e["kind"] for e in run.report["errors"]}
    assert {"http_error", "redirect_loop", "too_large", "timeout"} <= kinds, kinds
    assert "Traceback" not in run.stderr


def test_dead_site_gives_unknown_items_and_exit_code_3(dead_site_url, tmp_path):
    run = run_cli(["check", dead_site_url, "--out", str(tmp_path), *FAST], tmp_path)
    assert run.code == 3, run.stderr
    statuses = {i["status"] for i in run.report["items"]}
    assert statuses == {"unknown"}
    assert run.report["crawl"]["status"] == "unreachable"
    assert "отклонено" in run.report["crawl"]["entry_error"]
    assert run.report["fix_first"] == [] and "восстановите его работу" in run.html
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("url", ["ftp://example.org/", "http://", "http://exa mple.org/", "http://host:99999/"])
def test_invalid_url_is_bad_input(url, tmp_path):
    run = run_cli(["check", url, "--out", str(tmp_path), *FAST], tmp_path)
    assert run.code == 2
    assert "Ошибка" in run.stderr and "Traceback" not in run.stderr


def test_moved_site_redirect_to_private_host_needs_allow_private(audit):
    blocked = audit("kcson_moved")
    assert blocked.code == 3
    assert "внутреннюю сеть" in blocked.report["crawl"]["entry_error"]
    moved = audit("kcson_moved", "--allow-private")
    assert moved.code == 0, moved.stderr
    assert len(moved.report["site"]["hosts"]) == 2
    assert moved.report["crawl"]["pages"] >= 2


def _copy(run, tmp_path):
    """A private copy of a shared audit folder, so re-evaluating it leaves the session's audit as it was."""
    out = tmp_path / "audit"
    shutil.copytree(run.out, out)
    return out


def test_evaluate_reruns_a_stored_crawl_with_a_changed_checklist_without_fetching(audit, sites, tmp_path):
    run = audit("kcson_full")
    hits_before = len(sites["kcson_full"].requests)
    custom = tmp_path / "regional.yaml"
    custom.write_text("extends: social\nid: regional\nversion: '1'\ndisable: [tariffs]\n", encoding="utf-8")
    out = _copy(run, tmp_path)
    rerun = run_cli(["evaluate", str(out), "--checklist", str(custom)], out)
    assert rerun.code == 0, rerun.stderr
    ids = {i["id"] for i in rerun.report["items"]}
    assert "tariffs" not in ids and "charter" in ids
    assert len(sites["kcson_full"].requests) == hits_before


@pytest.mark.parametrize("name", ["kcson_full", "kcson_robots", "kcson_1251"])   # 1251: a tariffs page with a picture
def test_evaluate_of_a_crawl_stored_before_a_snapshot_field_gives_the_same_findings(audit, tmp_path, name):
    """A crawl stored before `content_image` existed: it is filled from the stored HTML once when loading,
    and the findings stay exactly those of the audit."""
    run = audit_as_expected(audit, name)
    out = _copy(run, tmp_path)
    pages = out / "crawl" / "pages.jsonl"
    old = [json.loads(line) for line in pages.read_text(encoding="utf-8").splitlines()]
    assert old and all("content_image" in p for p in old)
    pages.write_text("".join(json.dumps({k: v for k, v in p.items() if k != "content_image"}, ensure_ascii=False)
                             + "\n" for p in old), encoding="utf-8")
    assert [p.content_image for p in load_crawl(out / "crawl").pages] == [p["content_image"] for p in old]
    rerun = run_cli(["evaluate", str(out)], out)
    assert rerun.code == run.code, rerun.stderr
    assert rerun.report["items"] == run.report["items"]


def test_site_reached_by_name_with_resolve(sites, tmp_path):
    server = sites["kcson_full"]
    ip, port = urlsplit(server.base_url).hostname, urlsplit(server.base_url).port
    url = f"http://www.kcson-full.test:{port}/"
    run = run_cli(["check", url, "--out", str(tmp_path), *BROWSER, "--resolve", f"www.kcson-full.test:{ip}",
                   "--max-pages", "3"], tmp_path)
    assert run.code == 0, run.stderr
    report = run.report
    assert report["crawl"]["pages"] == 3
    assert report["crawl"]["status"] == "partial"    # cut off by --max-pages
    # the browser reached the pinned address too
    phone = run.item("ch_phone")
    assert phone["works"] is True
    assert report["accessibility"]["results"][0]["error"] == ""


def test_tls_failure_is_a_clear_message(sites, tmp_path):
    # https:// to a server that speaks plain HTTP: the TLS handshake fails.
    url = sites["kcson_full"].base_url.replace("http://", "https://") + "/"
    run = run_cli(["check", url, "--out", str(tmp_path), *FAST], tmp_path)
    assert run.code == 3
    assert run.report["errors"][0]["kind"] == "tls"
    assert "TLS" in run.report["crawl"]["entry_error"]
    assert "Traceback" not in run.stderr and "ERROR" not in run.stderr


def test_menu_built_by_javascript_is_rendered_and_its_section_found(audit):
    run = audit("kcson_jsmenu")
    assert run.code == 0, run.stderr
    assert run.item("free_places")["status"] == "present"
    pages = [json.loads(l) for l in (run.out / "crawl" / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    home = next(p for p in pages if p["depth"] == 0)
    assert home["rendered"] and home["render_hint"]
    assert not any(p["rendered"] for p in pages if p["depth"] > 0), "pages with static menus are not rendered"


def test_render_never_misses_the_script_built_section(audit):
    run = audit("kcson_jsmenu", "--render", "never")
    assert run.item("free_places")["status"] == "absent"


def test_demo_command_audits_the_shipped_site_as_expected(tmp_path):
    run = run_cli(["demo", "--out", str(tmp_path)], tmp_path)
    assert run.code == 0, run.stderr
    want = json.loads((SITES / "_demo_expected.json").read_text(encoding="utf-8"))["items"]
    got = {i["id"]: i["status"] for i in run.report["items"]}
    assert got == want
    assert str(tmp_path / "report.html") in run.stdout


def test_browser_stage_proves_channels_and_keeps_screenshots(sites, tmp_path):
    url = sites["kcson_full"].base_url + "/"
    run = run_cli(["check", url, "--out", str(tmp_path), *BROWSER], tmp_path)
    assert run.code == 0, run.stderr
    form = run.item("ch_e_service")
    assert form["works"] is True and form["control"]["submitted"] is False
    alt = run.item("acc_alt_version")
    assert alt["works"] is True, alt["control"]["reason"]
    shots = [s["path"] for s in alt["control"]["screenshots"]]
    assert shots and all((tmp_path / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in shots)
    assert "звонок не выполнялся" in run.item("ch_phone")["works_text"]
    assert (tmp_path / "controls.json").exists() and (tmp_path / "accessibility.json").exists()
    assert 'src="screenshots/' in run.html
    # re-evaluation reuses the stored control results without a browser
    rerun = run_cli(["evaluate", str(tmp_path)], tmp_path)
    assert rerun.code == 0 and rerun.item("ch_e_service")["works"] is True


def test_submit_forms_needs_a_message(tmp_path):
    run = run_cli(["check", "http://127.0.0.1:9/", "--out", str(tmp_path), "--submit-forms"], tmp_path)
    assert run.code == 2 and "--submit-message" in run.stderr


def test_net_probe_must_be_a_web_address(tmp_path):
    run = run_cli(["check", "http://127.0.0.1:9/", "--out", str(tmp_path), "--net-probe", "gosuslugi"], tmp_path)
    assert run.code == 2 and "--net-probe" in run.stderr and "Traceback" not in run.stderr


def test_self_check_gates_on_site_share_and_required_items(audit, tmp_path):
    run = audit("kcson_1251")           # 1.1 items: some present, tariffs absent (stub)
    share = run.report["summary"]["site_share_1_1"]["share"] * 100
    out = _copy(run, tmp_path)
    passing = run_cli(["evaluate", str(out), "--fail-under", str(share - 1), "--require", "contacts"], out)
    assert passing.code == 0, passing.stderr
    failing = run_cli(["evaluate", str(out), "--fail-under", str(share + 1)], out)
    assert failing.code == 5 and "ниже порога" in failing.stderr
    missing = run_cli(["evaluate", str(out), "--require", "contacts,tariffs"], out)
    assert missing.code == 5 and "тариф" in missing.stderr.lower()


def test_operator_data_completes_the_scores(audit, tmp_path):
    run = audit("kcson_full")
    data = tmp_path / "operator.yaml"
    data.write_text("stands: {found: 18, norm: 20}\n"
                    "survey:\n  '1.3': {stand: {satisfied: 90, total: 100}, site: {satisfied: 80, total: 100}}\n",
                    encoding="utf-8")
    out = _copy(run, tmp_path)
    rerun = run_cli(["evaluate", str(out), "--operator-data", str(data)], out)
    assert rerun.code == 0, rerun.stderr
    one_one = next(i for i in rerun.report["scores"]["indicators"] if i["key"] == "1.1")
    assert one_one["value"] == 95.0          # 0.5 × (18/20 + 24/24) × 100
    assert "18/20" in one_one["formula_text"]
    without = run_cli(["evaluate", str(out)], out)
    assert next(i for i in without.report["scores"]["indicators"] if i["key"] == "1.1")["value"] is None
    bad = run_cli(["evaluate", str(out), "--methodology", str(data.with_name("nope.yaml"))], out)
    assert bad.code == 2 and "методика" in bad.stderr


def test_report_html_opens_in_chromium_without_errors_and_planted_scripts_stay_inert(audit):
    import asyncio

    run = audit("kcson_1251")           # its pages plant <script>alert(…)</script> in a title and a heading

    async def inspect(page):
        return await page.evaluate("document.scripts.length"), await page.title()

    errors, dialogs, (scripts, title) = asyncio.run(open_in_chromium(run.out / "report.html", inspect))
    assert errors == [] and dialogs == [] and scripts == 0
    assert title


# ---- issue #12: item verdicts as a careful reader gives them ---------------------------------------------------
ROBOTS_REASON = ("раздел закрыт для роботов (robots.txt): проверьте вручную или запустите с --ignore-robots, "
                 "если это ваш сайт")


def test_documents_behind_a_robots_closed_section_are_unknown_and_the_section_is_listed(audit, sites):
    run = audit("kcson_closed_docs")
    fetched = [h.path for h in sites["kcson_closed_docs"].requests]
    assert not [p for p in fetched if p.startswith(("/dokumenty/", "/tarify/"))], "robots.txt was not respected"
    for item in ("charter", "reg_certificate", "licenses", "fin_activity", "internal_rules", "inspections",
                 "paid_services_doc", "tariffs"):
        found = run.item(item)
        assert found["status"] == "unknown" and ROBOTS_REASON in found["reason"], (item, found["reason"])
    assert "/tarify/" in run.item("tariffs")["reason"]
    assert run.item("staff")["status"] == "absent"          # not a document item: closing «Документы» changes nothing
    closed = {urlsplit(c["url"]).path: c for c in run.report["robots"]["closed_sections"]}
    assert set(closed) == {"/dokumenty/", "/tarify/"}
    assert closed["/dokumenty/"]["link_text"] == "Документы" and "charter" in closed["/dokumenty/"]["items"]
    assert set(closed["/tarify/"]["items"]) == {"tariffs", "paid_services_doc"}
    assert "Разделы, закрытые для роботов" in run.html and "о тарифах на социальные услуги" in run.html.lower()


def test_compact_site_facts_in_sentences_count_and_promises_do_not(audit):
    run = audit("kcson_compact")
    snippets = lambda item: " ".join(e["snippet"] for e in run.item(item)["evidence"] if e["strength"] == "strong")
    assert "1991" in snippets("reg_date")
    assert "Смирнова Ольга Викторовна" in snippets("head_deputies")
    assert "нуждающимся" in snippets("procedure_conditions")
    assert "лицензированию не подлежит" in snippets("licenses").lower()
    assert "не проводились" in snippets("inspections")
    assert "не оказывает" in snippets("paid_services_doc")
    # contacts from what exists: a phone without an e-mail
    assert run.item("contacts")["status"] == "present" and run.item("ch_email")["status"] == "absent"
    for item, promise in (("charter", "будет размещён"), ("tariffs", "Скоро")):
        found = run.item(item)
        assert found["status"] == "absent" and "обещано" in found["reason"], found["reason"]
        assert promise in found["reason"] and any(e["strength"] == "rejected" for e in found["evidence"])


def test_empty_faq_section_is_published_but_does_not_work(sites, tmp_path):
    url = sites["kcson_compact"].base_url + "/"
    run = run_cli(["check", url, "--out", str(tmp_path), *BROWSER, "--no-pdf"], tmp_path)
    assert run.code == 0, run.stderr
    faq = run.item("ch_faq")
    assert faq["status"] == "present" and faq["works"] is False, faq
    assert "нет ни одного вопроса с ответом" in faq["works_text"]


def test_decoys_are_not_the_items_they_mention(audit):
    run = audit("kcson_decoys")
    pages = {urlsplit(json.loads(l)["url"]).path
             for l in (run.out / "crawl" / "pages.jsonl").read_text(encoding="utf-8").splitlines()}
    for item, decoy_pages in expected("kcson_decoys")["decoys"].items():
        assert set(decoy_pages) <= pages, f"the decoys of {item} were crawled"
        found = run.item(item)
        assert found["status"] == "absent", (item, found["evidence"])
        assert not [e for e in found["evidence"] if e["strength"] == "strong"]


def test_documents_answering_404_are_not_published_and_the_link_is_named(audit):
    run = audit_as_expected(audit, "kcson_dead_docs")
    for item, path in (("charter", "/upload/docs/ustav.pdf"), ("free_places", "/upload/docs/svobodnye-mesta.pdf")):
        found = run.item(item)
        assert found["status"] == "absent"
        assert "документ по ссылке не открывается (HTTP 404)" in found["reason"] and path in found["reason"], found
        assert not [e for e in found["evidence"] if e["strength"] == "strong"]


def test_document_budget_goes_to_relevant_documents_not_photos_or_dead_folders(audit, sites):
    run = audit_as_expected(audit, "kcson_dead_docs")         # --max-documents 20
    paths = [h.path for h in sites["kcson_dead_docs"].requests]
    docs = [p for p in paths if p.startswith("/upload/docs/")]
    photos = [i for i, p in enumerate(paths) if p.startswith("/upload/foto/")]
    assert len(docs) == 7 and all(paths.index(d) < min(photos, default=len(paths)) for d in docs)
    dead = [p for p in paths if p.startswith("/upload/iblock/old/")]
    assert 3 <= len(dead) <= 7, dead                           # the dead folder is given up after a few 404s
    notes = [json.loads(l)["note"] for l in (run.out / "crawl" / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    assert any("не найдены (HTTP 404)" in n for n in notes)


def test_a_document_limit_leaves_items_undecided_and_says_so(audit):
    run = audit("kcson_dead_docs", "--max-documents", "2")
    undecided = [i for i in run.report["items"] if i["status"] == "unknown"]
    assert undecided and all("предел числа документов" in i["reason"] for i in undecided), undecided
    assert run.item("charter")["status"] == "absent"         # a 404 does not spend the budget


def test_text_is_read_as_a_reader_sees_it(audit, sites):
    run = audit("kcson_reader")
    pages = {urlsplit(p["url"]).path: p for p in (json.loads(l) for l in
             (run.out / "crawl" / "pages.jsonl").read_text(encoding="utf-8").splitlines())}
    about = pages["/o-centre/"]
    assert "Орлова Светлана Игоревна" in about["headings"] and "Лебедев Константин Олегович" in about["headings"]
    assert "Соколова Мария Андреевна" in pages["/specialisty/"]["text"]
    fetched = [h.path for h in sites["kcson_reader"].requests]
    assert not [p for p in fetched if p.startswith(("/dokumenty/", "/tarify/"))], "a link inside a comment was followed"
    assert not [l for p in pages.values() for l in p["links"] if "/dokumenty/" in l["url"] or "/tarify/" in l["url"]]
    assert run.item("charter")["status"] == "absent" and run.item("tariffs")["status"] == "absent"
