"""Control stage: each feedback channel and the version for the visually impaired is exercised for real.

The sites under tests/sites_browser/ are crawled the real way (the CLI in a subprocess), evaluated with
the built-in checklist, and then checked by the control stage in Debian's Chromium. Each site runs on
its own loopback address 127.0.0.40–45; the "off-site" survey is the `survey` site (never crawled).
Links in the static pages that point to the survey site are written as {{OTHER}} and filled in when the
site is copied to a temporary folder. The stage runs with offline=True, so the page that embeds the ПОС
widget never makes Chromium contact pos.gosuslugi.ru.

    good        working form, FAQ with answers, off-site survey and social link, working switch
    disabled    form with a disabled button, empty FAQ, a bus.gov.ru banner linking to '#', a plugin
                that opens a panel first and grows the font only after «A+»
    deadaction  form posting to a 404 address, on-site questionnaire, a switch linking to a 404 page,
                invalid phone and e-mail next to valid ones
    stub        «форма в разработке» instead of a form, a switch button with no handler, a «Мы в социальных
                сетях» heading without a link to a social network, no e-mail/FAQ
    pos         the ПОС widget (cannot load offline), a plugin script that never initialises, a FAQ whose
                questions link to answer pages
    postonly    a form posting to an endpoint that answers GET with 404 (the tests switch it to 405, 400,
                200, and its POST answer to 404/500/200), the REAL bvi plugin (npm package, installed by
                ./setup.sh into tests/npm/node_modules) initialised, links to bus.gov.ru and vk.com (never
                contacted: offline) and an on-site questionnaire. Served on port 80 of a 127.0.77.x address:
                bvi 1.0.2 sets its cookies with domain=location.host, which breaks on any other port.
    formdead    a form with action="#" that no script handles; the real bvi loaded but never initialised
    bvi404      the bvi script missing (404) though the page initialises it; a form with action="#" sent
                by a script (fetch) — a working form
    gosweb      a Госвеб-style built-in panel: «А+» grows the text elements by 1 px per click (not <body>),
                colour-scheme buttons; its form's endpoint answers GET with 405
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from checklists.engine import evaluate
from checklists.loading import load_checklist
from checklists.model.control import BROWSER, HTTP, VALIDATED, ControlResult
from crawler.control.browser import chromium, chromium_path
from crawler.control.scenario import ScenarioError, parse_scenarios
from crawler.control.stage import (CONTROLS_FILE, ControlOptions, control_site, load_controls, run_controls,
                                   run_controls_many)
from crawler.crawlstore import load_crawl

from conftest import BROWSER as BROWSER_ARGS
from conftest import FAST, run_cli
from sitesrv import dead_url, start_site

pytestmark = pytest.mark.skipif(not os.path.exists(chromium_path()), reason="Chromium не установлен")

ROOT = Path(__file__).parent.parent
SITES = Path(__file__).parent / "sites_browser"
IPS = {"survey": "127.0.0.40", "good": "127.0.0.41", "disabled": "127.0.0.42", "deadaction": "127.0.0.43",
       "stub": "127.0.0.44", "pos": "127.0.0.45", "formdead": "127.0.0.47", "bvi404": "127.0.0.48",
       "gosweb": "127.0.0.49"}
DEAD_IP = "127.0.0.61"           # nothing listens there: a dead "social network" link of the stub site
CRAWLED = ["good", "disabled", "deadaction", "stub", "pos", "postonly", "formdead", "bvi404", "gosweb"]
BVI = ROOT / "tests" / "npm" / "node_modules" / "bvi" / "dist"      # the real plugin, from the npm registry
WITH_BVI = ("postonly", "formdead")
CHANNELS = ["ch_phone", "ch_email", "ch_e_service", "ch_faq", "ch_opinion", "ch_other", "acc_alt_version"]
OFFLINE = ControlOptions(offline=True, check_timeout=15, allow_private=True)   # "off-site" hosts are on loopback too
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; fails unless the file is a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _cli_supports(flag: str) -> bool:
    from crawler.cli.check import check_parser
    return flag in check_parser().format_help()


# ---- fixtures -------------------------------------------------------------------------------------------
def _start_on_port_80(folder: Path):
    """Port 80 of a free 127.0.77.x address (a parallel run elsewhere may hold one)."""
    import random
    for last in random.sample(range(2, 250), 30):
        try:
            return start_site(folder, f"127.0.77.{last}", port=80)
        except OSError:
            continue
    pytest.fail("no free port 80 on 127.0.77.x for the bvi site (the tests run as root in CI)")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    assert (BVI / "js" / "bvi.min.js").is_file(), "the bvi npm package is not installed: run ./setup.sh"
    root = tmp_path_factory.mktemp("sites_browser")
    started = {"survey": start_site(SITES / "survey", IPS["survey"])}
    dead = dead_url(DEAD_IP)
    try:
        for name in CRAWLED:
            dst = root / name
            shutil.copytree(SITES / name, dst)
            if name in WITH_BVI:             # served from the installed package, never copied into the repo
                shutil.copytree(BVI, dst / "vendor" / "bvi")
            for f in dst.rglob("*.html"):
                f.write_text(f.read_text(encoding="utf-8").replace("{{OTHER}}", started["survey"].base_url)
                             .replace("{{DEAD}}", dead), encoding="utf-8")
            started[name] = _start_on_port_80(dst) if name == "postonly" else start_site(dst, IPS[name])
        yield started
    finally:
        for s in started.values():
            s.stop()


class Site:
    def __init__(self, name, server, out):
        self.name, self.server, self.out = name, server, out
        self.crawl = load_crawl(out / "crawl")
        self.findings = evaluate(self.crawl, load_checklist())

    def finding(self, item_id):
        return next(f for f in self.findings if f.item_id == item_id)


@pytest.fixture(scope="module")
def sites(servers, tmp_path_factory):
    """Every site crawled once by the CLI (in parallel subprocesses), then evaluated."""
    extra = [a for a, flag in (("--render", "--render"), ("never", "--render"), ("--no-browser", "--no-browser"))
             if _cli_supports(flag)]
    outs = {n: tmp_path_factory.mktemp(f"audit-{n}") for n in CRAWLED}

    def crawl(name):
        return run_cli(["check", servers[name].base_url + "/", "--out", str(outs[name]), *FAST, *extra], outs[name])

    with ThreadPoolExecutor(len(CRAWLED)) as ex:
        runs = dict(zip(CRAWLED, ex.map(crawl, CRAWLED)))
    for name, run in runs.items():
        assert run.code == 0, f"{name}: {run.stderr[-2000:]}"
    return {n: Site(n, servers[n], outs[n]) for n in CRAWLED}


@pytest.fixture(scope="module")
def controlled(sites, servers):
    """The control stage on all sites at once: run_controls_many, one Chromium, 4 contexts at a time."""
    before = {n: len(s.requests) for n, s in servers.items()}
    jobs = [(sites[n].crawl, sites[n].findings, sites[n].out) for n in CRAWLED]
    results = asyncio.run(run_controls_many(jobs, OFFLINE))
    new_hits = {n: s.requests[before[n]:] for n, s in servers.items()}
    return {"results": {n: {r.item_id: r for r in res} for n, res in zip(CRAWLED, results)},
            "hits": new_hits}


def result(controlled, site: str, item: str) -> ControlResult:
    return controlled["results"][site][item]


def assert_screenshots(site: Site, r: ControlResult, at_least: int = 1) -> None:
    assert len(r.screenshots) >= at_least, r.steps
    for shot in r.screenshots:
        assert shot.path.startswith("screenshots/") and shot.path.endswith(".png")
        assert shot.caption and shot.taken_at
        w, h = png_size(site.out / shot.path)
        assert (w, h) == (1280, 900)


# ---- the run as a whole ------------------------------------------------------------------------------------
def test_every_site_gets_one_result_per_channel_and_controls_json(controlled, sites):
    for name in CRAWLED:
        got = controlled["results"][name]
        assert list(got) == CHANNELS
        saved = load_controls(sites[name].out)
        assert saved is not None and [r.to_dict() for r in saved] == [r.to_dict() for r in got.values()]
        raw = json.loads((sites[name].out / CONTROLS_FILE).read_text(encoding="utf-8"))
        assert raw["version"] == 1 and len(raw["controls"]) == len(CHANNELS)
        assert not (sites[name].out / (CONTROLS_FILE + ".tmp")).exists()


def test_item_not_present_gets_no_browser_check(controlled, sites):
    assert sites["stub"].finding("ch_faq").status == "absent"
    r = result(controlled, "stub", "ch_faq")
    assert r.works is None and r.reason == "канал не найден на сайте — проверять нечего"
    assert r.steps == [] and r.screenshots == []


# ---- ch_e_service -------------------------------------------------------------------------------------------
def test_working_form_is_filled_checked_and_not_submitted(controlled, sites):
    r = result(controlled, "good", "ch_e_service")
    assert r.works is True, r.reason
    assert r.method == BROWSER and r.submitted is False
    assert "форма не отправлялась" in r.reason
    log = "\n".join(r.steps)
    assert "«Иванов Иван Иванович»" in log and "«test@example.org»" in log and "отмечено" in log
    assert "checkValidity" in log
    assert "адрес отправки не проверялся без отправки" in r.reason
    assert_screenshots(sites["good"], r, 2)
    # Dry run: the action URL is never requested (a GET proves nothing about a POST endpoint), no POST at all.
    hits = controlled["hits"]["good"]
    assert not [h for h in hits if h.path.startswith("/priemnaya/otpravka/")]
    assert not any(h.method == "POST" for h in hits)


def test_form_with_disabled_button_does_not_work(controlled, sites):
    r = result(controlled, "disabled", "ch_e_service")
    assert r.works is False
    assert "заблокирована" in r.reason and "Отправить" in r.reason
    assert_screenshots(sites["disabled"], r, 2)


def test_form_address_answering_get_with_404_is_not_judged_without_sending(controlled):
    # /obrashenie/send.php answers GET with 404; without sending, that says nothing about its POST.
    r = result(controlled, "deadaction", "ch_e_service")
    assert r.works is True, r.reason
    assert "/obrashenie/send.php" in r.reason and "адрес отправки не проверялся без отправки" in r.reason
    assert not [h for h in controlled["hits"]["deadaction"] if h.path.startswith("/obrashenie/send.php")]


def test_hash_action_without_script_does_not_work(controlled):
    r = result(controlled, "formdead", "ch_e_service")
    assert r.works is False
    assert "«#»" in r.reason and "ни один скрипт не обрабатывает" in r.reason


def test_hash_action_sent_by_a_script_works(controlled):
    r = result(controlled, "bvi404", "ch_e_service")
    assert r.works is True, r.reason
    assert "форму отправляет скрипт" in r.reason and "адрес отправки не проверялся без отправки" in r.reason
    assert any("submit" in s and "обработчики событий" in s for s in r.steps)
    assert not any(h.method == "POST" for h in controlled["hits"]["bvi404"])


def test_placeholder_instead_of_form_does_not_work(controlled, sites):
    assert sites["stub"].finding("ch_e_service").status == "present"     # the crawl saw «Интернет-приёмная»
    r = result(controlled, "stub", "ch_e_service")
    assert r.works is False
    assert "заглушка" in r.reason and "в разработке" in r.reason


def test_pos_widget_that_cannot_load_is_left_to_the_operator(controlled, sites):
    r = result(controlled, "pos", "ch_e_service")
    assert r.works is None
    assert r.reason == "виджет ПОС загружается с pos.gosuslugi.ru; проверяется оператором вручную"
    assert r.details["widget"]["rendered"] is False
    assert_screenshots(sites["pos"], r, 1)


# ---- ch_faq ---------------------------------------------------------------------------------------------
def test_faq_with_answers_works(controlled, sites):
    r = result(controlled, "good", "ch_faq")
    assert r.works is True, r.reason
    assert r.details["faq"]["questions_with_answers"] == 3
    assert "Как оформить социальное обслуживание на дому?" in r.reason
    assert_screenshots(sites["good"], r, 1)


def test_faq_of_question_links_counts_answer_pages_from_the_crawl(controlled):
    r = result(controlled, "pos", "ch_faq")
    assert r.works is True, r.reason
    assert r.details["faq"]["questions_with_answers"] == 2
    assert "ответ на отдельной странице" in r.details["faq"]["examples"][0]["a"]


def test_empty_faq_does_not_work(controlled):
    r = result(controlled, "disabled", "ch_faq")
    assert r.works is False
    assert "нет ни одного вопроса с ответом" in r.reason


# ---- ch_opinion / ch_other ----------------------------------------------------------------------------------
def test_survey_banner_linking_to_hash_leads_nowhere(controlled):
    r = result(controlled, "disabled", "ch_opinion")
    assert r.works is False
    assert "никуда не ведёт" in r.reason and 'href="#"' in r.reason
    assert r.screenshots == []


def test_offsite_survey_gets_exactly_one_polite_request(controlled):
    r = result(controlled, "good", "ch_opinion")
    assert r.works is True, r.reason
    assert r.method == HTTP and r.status == 200
    survey_hits = [h for h in controlled["hits"]["survey"] if h.path.startswith("/anketa/")]
    assert len(survey_hits) == 1
    assert survey_hits[0].method == "HEAD"
    ua = {k.lower(): v for k, v in survey_hits[0].headers.items()}.get("user-agent", "")
    assert ua.startswith("nok-audit/")


def test_onsite_questionnaire_is_opened_in_the_browser(controlled, sites):
    r = result(controlled, "deadaction", "ch_opinion")
    assert r.works is True, r.reason
    assert r.method == BROWSER and r.status == 200
    assert r.details["survey"]["fields"] >= 1
    assert_screenshots(sites["deadaction"], r, 1)


def test_other_channel_link_is_checked_with_one_request(controlled):
    r = result(controlled, "good", "ch_other")
    assert r.works is True and r.method == HTTP
    assert len([h for h in controlled["hits"]["survey"] if h.path.startswith("/vk/")]) == 1


def test_social_heading_without_social_links_does_not_work(controlled):
    r = result(controlled, "stub", "ch_other")
    assert r.works is False
    assert "/kontakty/" in r.reason and "нет ссылок" in r.reason


def test_social_links_of_a_page_get_one_request_each(special_runs, servers):
    r = special_runs["results"]["social"]["ch_other"]
    assert r.works is True and r.method == HTTP, r.reason
    assert "/vk/" in r.reason and "выполнен один запрос" in r.reason


# ---- ch_phone / ch_email -----------------------------------------------------------------------------
def test_phone_and_email_are_validated_never_called_or_written(controlled):
    phone = result(controlled, "good", "ch_phone")
    assert phone.works is True and phone.method == VALIDATED
    assert "+7 343 123-45-67" in phone.reason
    assert "контрольный звонок не выполнялся" in phone.reason and "оператор может внести результат вручную" in phone.reason
    assert "+73431234567" in phone.details["valid"] and phone.details["call_made"] is False
    email = result(controlled, "good", "ch_email")
    assert email.works is True and email.method == VALIDATED
    assert "info@kcson-test.ru" in email.reason and "контрольное письмо не отправлялось" in email.reason
    assert email.details["mx_checked"] is False and email.details["letter_sent"] is False
    assert phone.screenshots == [] and email.screenshots == []


def test_invalid_numbers_and_addresses_are_listed(controlled):
    phone = result(controlled, "deadaction", "ch_phone")
    assert phone.works is True                          # one valid number is enough
    assert "+70001234567" in phone.details["invalid"]
    email = result(controlled, "deadaction", "ch_email")
    assert email.works is True and "priemnaya@kcson-test" in email.details["invalid"]


def test_email_check_never_touches_dns_without_check_mx(sites, tmp_path, monkeypatch):
    import dns.resolver

    def no_dns(*a, **k):
        raise AssertionError("DNS was queried")

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", no_dns)
    results = {r.item_id: r for r in asyncio.run(control_site(None, sites["good"].crawl, sites["good"].findings,
                                                             tmp_path, ControlOptions()))}
    assert results["ch_email"].works is True and results["ch_phone"].works is True
    # Without a browser the browser checks are undecided, not failed.
    assert results["ch_e_service"].works is None and "браузер недоступен" in results["ch_e_service"].reason


def test_check_mx_asks_for_deliverability(sites, tmp_path, monkeypatch):
    from crawler.control.channels import contacts
    calls = []

    def fake_validate(addr, check_deliverability=True, **kw):
        calls.append(check_deliverability)
        return type("R", (), {"normalized": addr})()

    monkeypatch.setattr(contacts, "validate_email", fake_validate)
    results = {r.item_id: r for r in asyncio.run(control_site(None, sites["good"].crawl, sites["good"].findings,
                                                             tmp_path, ControlOptions(check_mx=True)))}
    assert calls and all(calls)
    assert "MX" in results["ch_email"].reason and results["ch_email"].details["mx_checked"] is True


# ---- acc_alt_version ---------------------------------------------------------------------------------------
def test_working_switch_grows_font_and_changes_colours(controlled, sites):
    r = result(controlled, "good", "acc_alt_version")
    assert r.works is True, r.reason
    m = r.details["measurements"]
    assert m["before"]["para_font"] == 16 and m["after"]["para_font"] == 24
    assert m["font_growth"] >= 1.2 and m["color_change"] >= 100
    assert "цветовая схема сменилась" in r.reason
    assert [s.path.rsplit("-", 1)[-1] for s in r.screenshots] == ["before.png", "after.png"]
    assert_screenshots(sites["good"], r, 2)
    assert any("Обычная версия" in s for s in r.steps)          # returned to the normal version


def test_plugin_panel_then_a_plus_works(controlled):
    r = result(controlled, "disabled", "acc_alt_version")
    assert r.works is True, r.reason
    assert "A+" in r.reason
    log = "\n".join(r.steps)
    assert "появилась панель настроек" in log and "на панели нажата кнопка «A+»" in log
    assert r.details["measurements"]["after"]["para_font"] == 21


def test_switch_without_handler_does_not_work(controlled):
    r = result(controlled, "stub", "acc_alt_version")
    assert r.works is False
    assert "ничего не изменилось" in r.reason and "ни к чему не подключён" in r.reason


def test_plugin_that_never_initialises_does_not_work(controlled):
    r = result(controlled, "pos", "acc_alt_version")
    assert r.works is False
    assert "bvi.min.js" in r.reason and "не срабатывает" in r.reason


def test_real_bvi_initialised_works_after_its_panel_controls(controlled, sites):
    r = result(controlled, "postonly", "acc_alt_version")
    assert r.works is True, (r.reason, r.steps)
    m = r.details["measurements"]
    assert m["active"] == ["bvi-active"] and ".bvi-panel" in m["panel"]
    # The real plugin grows the text by 1 px per «А+»: pressed until the text is ≥ 20 % larger.
    assert m["before"]["para_font"] == 16 and m["after"]["para_font"] == 20
    assert "«А+» ×4" in r.reason and "bvi-active" in r.reason
    assert any("Обычная версия сайта" in s for s in r.steps)          # returned to the normal version


def test_real_bvi_loaded_but_never_initialised_does_not_work(controlled):
    r = result(controlled, "formdead", "acc_alt_version")
    assert r.works is False
    assert "bvi.min.js" in r.reason and "не срабатывает" in r.reason


def test_bvi_script_missing_does_not_work(controlled):
    r = result(controlled, "bvi404", "acc_alt_version")
    assert r.works is False
    assert "bvi.min.js: HTTP 404" in r.reason and "не загружается" in r.reason


def test_gosweb_panel_styles_text_not_body(controlled):
    r = result(controlled, "gosweb", "acc_alt_version")
    assert r.works is True, (r.reason, r.steps)
    m = r.details["measurements"]
    assert m["before"]["para_font"] == 16 and m["after"]["para_font"] == 20
    assert m["before"]["body_font"] == m["after"]["body_font"] == 16       # body untouched: the text decides
    assert "«А+» ×4" in r.reason and m["active"] == ["gw-vision"]


def test_switch_leading_to_404_does_not_work(controlled, sites):
    r = result(controlled, "deadaction", "acc_alt_version")
    assert r.works is False
    assert "HTTP 404" in r.reason
    assert_screenshots(sites["deadaction"], r, 2)                 # before, and the error page


# ---- opt-in submission, time limits, errors, the sync API ---------------------------------------------------
# An operator's own scenario file: readable steps, only the items it lists are checked.
CUSTOM_SCENARIO = """
version: 1
controls:
  - item: ch_faq
    candidates: {from: pages, max: 1}
    steps:
      - open: candidate
      - wait: {for: "details"}
      - find: {text: "Сколько стоит обслуживание на дому?", as: question}
      - click: question
      - wait: 100
      - expect: {visible: question}
      - screenshot: {as: after, caption: "Вопрос «{question_text}» раскрыт"}
    success: "вопрос «{question_text}» раскрывается"
"""


# The same, with the test's "social network" (the survey site's address) among the social hosts.
CUSTOM_SOCIAL = f"""
version: 1
settings:
  social_hosts: ["{IPS['survey']}"]
controls:
  - item: ch_other
    method: http
    candidates: {{from: links, max: 2}}
    steps:
      - call: check_social_links
"""


@pytest.fixture(scope="module")
def special_runs(sites, servers, tmp_path_factory):
    """Runs that need other options, in one Chromium: submit, a tiny time limit, a broken scenario file."""
    broken = tmp_path_factory.mktemp("scen") / "controls.yaml"
    text = (ROOT / "checklists" / "controls.yaml").read_text(encoding="utf-8")
    assert "          any:\n            - {role: link" in text
    broken.write_text(text.replace("          any:\n            - {role: link",
                                   '          any:\n            - {selector: "[[[broken"}\n            - {role: link'),
                      encoding="utf-8")
    custom = broken.parent / "faq-only.yaml"
    custom.write_text(CUSTOM_SCENARIO, encoding="utf-8")
    social = broken.parent / "social.yaml"
    social.write_text(CUSTOM_SOCIAL, encoding="utf-8")
    out = {k: tmp_path_factory.mktemp(k) for k in ("submit", "no_message", "timeout", "broken", "custom", "social")}
    good = sites["good"]
    before = len(servers["good"].requests)

    async def main():
        async with chromium() as browser:
            async def run(key, site, **kw):
                opts = ControlOptions(offline=True, allow_private=True, **kw)
                res = await control_site(browser, sites[site].crawl, sites[site].findings, out[key], opts)
                return key, {r.item_id: r for r in res}
            got = dict(await asyncio.gather(
                run("submit", "good", submit_forms=True, submit_message="Тестовое сообщение оператора"),
                run("no_message", "good", submit_forms=True, submit_message="  "),
                run("timeout", "good", check_timeout=0.01),
                run("broken", "stub", scenarios=str(broken)),
                run("custom", "good", scenarios=str(custom)),
                run("social", "stub", scenarios=str(social)),
            ))
        return got

    got = asyncio.run(main())
    return {"results": got, "out": out, "hits": servers["good"].requests[before:], "good": good}


def test_submit_only_with_flag_and_message(special_runs):
    r = special_runs["results"]["submit"]["ch_e_service"]
    assert r.submitted is True and r.works is True, r.reason
    assert r.status == 200 and "/priemnaya/otpravka/" in r.details["submission"]["final_url"]
    assert "форма отправлена" in r.reason
    sent = [h for h in special_runs["hits"] if h.path.startswith("/priemnaya/otpravka/?")]
    assert len(sent) == 1
    from urllib.parse import parse_qs, urlsplit
    q = parse_qs(urlsplit(sent[0].path).query)
    assert q["message"] == ["Тестовое сообщение оператора"] and q["email"] == ["test@example.org"]
    labels = [s.path.rsplit("-", 1)[-1] for s in r.screenshots]
    assert labels == ["before.png", "after.png", "submitted.png"]
    for s in r.screenshots:
        png_size(special_runs["out"]["submit"] / s.path)
    # An empty message keeps the dry run.
    dry = special_runs["results"]["no_message"]["ch_e_service"]
    assert dry.submitted is False and dry.works is True


def test_check_that_runs_out_of_time_is_undecided(special_runs):
    res = special_runs["results"]["timeout"]
    for item in ("ch_e_service", "ch_faq", "acc_alt_version"):
        assert res[item].works is None
        assert res[item].reason == "проверка не завершилась за 0,01 с"


def test_browser_error_is_undecided_not_a_crash(special_runs):
    res = special_runs["results"]["broken"]
    r = res["acc_alt_version"]
    assert r.works is None and r.reason.startswith("ошибка браузера:")
    assert res["ch_e_service"].works is False          # the other checks of the site still ran


def test_run_controls_sync_api(sites, tmp_path):
    res = run_controls(sites["pos"].crawl, sites["pos"].findings, tmp_path, OFFLINE)
    assert [r.item_id for r in res] == CHANNELS
    assert (tmp_path / CONTROLS_FILE).exists()
    assert [r.to_dict() for r in load_controls(tmp_path)] == [r.to_dict() for r in res]
    assert load_controls(tmp_path / "nowhere") is None


# ---- scenario file validation -----------------------------------------------------------------------------
def _scenario(steps):
    return {"version": 1, "controls": [{"item": "ch_faq", "steps": steps}]}


@pytest.mark.parametrize("steps, message", [
    ([{"clik": "switch"}], "шаг 1: неизвестный шаг «clik»"),
    ([{"open": "candidate"}, {"call": "no_such_function"}], "шаг 2: неизвестная функция «no_such_function»"),
    ([{"expect": {"status_below": 400, "visible": "form"}}], "ровно одна проверка"),
    ([{"find": {"as": "x"}}], "ровно один способ поиска"),
    ([{"measure": {"as": "before", "what": ["weight"]}}], "measure: что измерять"),
    ([{"fill": {"field": "email"}}], "fill: нужно значение"),
    (["open"], "записан без значения"),
])
def test_scenario_errors_are_clear(steps, message):
    with pytest.raises(ScenarioError) as e:
        parse_scenarios(_scenario(steps))
    assert message in str(e.value) and "«ch_faq»" in str(e.value)


def test_builtin_scenarios_load():
    from crawler.control.scenario import load_scenarios
    sset = load_scenarios()
    assert [s.item for s in sset.scenarios] == CHANNELS
    assert sset.test_data["email"] == "test@example.org"
    assert sset.test_data["message"].startswith("Проверка работы формы (контрольное мероприятие НОК)")


def test_user_agent_is_ascii():
    # HTTP header values are Latin-1: Playwright's request API refuses anything else.
    from crawler import settings
    ua = settings.USER_AGENT
    assert ua.isascii() and ua.startswith("nok-audit/")


def test_missing_chromium_leaves_browser_checks_undecided(sites, tmp_path):
    res = {r.item_id: r for r in run_controls(sites["good"].crawl, sites["good"].findings, tmp_path,
                                               ControlOptions(chromium=str(tmp_path / "no-chromium"), offline=True))}
    assert res["ch_phone"].works is True and res["ch_email"].works is True
    for item in ("ch_e_service", "ch_faq", "acc_alt_version"):
        assert res[item].works is None and "Chromium не найден" in res[item].reason
    assert (tmp_path / CONTROLS_FILE).exists()


def test_operator_scenario_file_is_run_step_by_step(special_runs):
    res = special_runs["results"]["custom"]
    assert list(res) == ["ch_faq"]
    r = res["ch_faq"]
    assert r.works is True, r.reason
    assert r.reason == "вопрос «Сколько стоит обслуживание на дому?» раскрывается"
    assert r.screenshots[0].caption == "Вопрос «Сколько стоит обслуживание на дому?» раскрыт"


# ---- ch_opinion / ch_other offline: the auditor's network is not the organisation's fault ---------------------
OFFLINE_REASON = "не удалось проверить: у проверяющего нет доступа в интернет"


def test_offline_offsite_links_are_undecided_and_the_onsite_survey_decides(controlled):
    r = result(controlled, "postonly", "ch_opinion")
    assert r.works is True and r.method == BROWSER, r.reason
    tried = {a["url"]: a for a in r.details["attempts"]}           # every candidate, each with its result
    bus = tried["https://bus.gov.ru/qrcode/rate/123456"]
    assert bus["works"] is None and bus["reason"].startswith(OFFLINE_REASON)
    assert any(a["works"] is True and a["url"].endswith("/anketa/") for a in r.details["attempts"])
    vk = result(controlled, "postonly", "ch_other")
    assert vk.works is None and vk.reason.startswith(OFFLINE_REASON) and "vk.com" in vk.reason


def test_offline_audit_report_shows_every_candidate(servers, tmp_path):
    """The whole `nok-audit check --offline` (browser stage included) of a site linking to bus.gov.ru and vk.com."""
    run = run_cli(["check", servers["postonly"].base_url + "/", "--out", str(tmp_path), *BROWSER_ARGS,
                   "--render", "never", "--no-pdf", "--no-accessibility"], tmp_path)
    assert run.code == 0, run.stderr[-2000:]
    assert run.item("ch_opinion")["works"] is True
    other = run.item("ch_other")
    assert other["works"] is None and other["works_text"].startswith(OFFLINE_REASON)
    form = run.item("ch_e_service")
    assert form["works"] is True and "адрес отправки не проверялся без отправки" in form["control"]["reason"]
    html = run.html
    assert "Проверены все найденные варианты" in html and "https://bus.gov.ru/qrcode/rate/123456" in html
    assert "адрес отправки не проверялся без отправки" in html
    assert not [h for h in servers["postonly"].requests if h.path.startswith("/priemnaya/send/")]


# A dead link among the "social networks" (the stub site's /kontakty/ links to a loopback port where nothing
# listens): broken only when the auditor's network demonstrably works (--net-probe answers).
DEAD_SOCIAL = f"""
version: 1
settings:
  social_hosts: ["{DEAD_IP}"]
controls:
  - item: ch_other
    method: http
    candidates: {{from: links, max: 2}}
    steps:
      - call: check_social_links
"""


@pytest.fixture(scope="module")
def probe_runs(sites, servers, tmp_path_factory):
    folder = tmp_path_factory.mktemp("probe")
    scen = folder / "dead-social.yaml"
    scen.write_text(DEAD_SOCIAL, encoding="utf-8")
    survey_hits = len(servers["survey"].requests)

    async def main():
        async with chromium() as browser:
            out = {}
            for key, probe in (("offline", dead_url("127.0.0.62")), ("online", servers["survey"].url("/"))):
                opts = ControlOptions(scenarios=str(scen), net_probe=probe, check_timeout=10,
                                      allow_private=True)      # the "other sites" are on loopback
                res = await control_site(browser, sites["stub"].crawl, sites["stub"].findings, folder / key, opts)
                out[key] = {r.item_id: r for r in res}
            return out

    got = asyncio.run(main())
    got["probe_hits"] = [h for h in servers["survey"].requests[survey_hits:] if h.path == "/"]
    return got


def test_dead_link_while_the_auditor_is_offline_is_undecided(probe_runs):
    r = probe_runs["offline"]["ch_other"]
    assert r.works is None and r.reason.startswith(OFFLINE_REASON), r.reason
    assert "соединение отклонено" in r.reason


def test_dead_link_while_the_network_works_is_broken(probe_runs):
    r = probe_runs["online"]["ch_other"]
    assert r.works is False and "соединение отклонено" in r.reason, r.reason
    assert len(probe_runs["probe_hits"]) == 1                 # the probe: one request per run


# ---- ch_e_service: the endpoint is judged only by sending (--submit-forms) --------------------------------------
ERROR_PAGE = "Произошла ошибка при отправке обращения. Попробуйте позже."


@pytest.fixture(scope="module")
def form_runs(sites, servers, tmp_path_factory):
    """The form of `postonly` under endpoints answering GET with 404/405/400/200 (dry run), then really sent
    to an endpoint answering POST with 404/500/200. The server's answers change between runs."""
    import yaml
    folder = tmp_path_factory.mktemp("forms")
    data = yaml.safe_load((ROOT / "checklists" / "controls.yaml").read_text(encoding="utf-8"))
    data["controls"] = [c for c in data["controls"] if c["item"] == "ch_e_service"]
    scen = folder / "form-only.yaml"
    scen.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    srv, site = servers["postonly"], sites["postonly"]
    path = "/priemnaya/send/"
    message = "Тестовое обращение оператора"

    async def main():
        out = {}
        async with chromium() as browser:
            for get in (404, 405, 400, 200):
                srv.config["status"] = {path: get}
                n = len(srv.requests)
                res = await control_site(browser, site.crawl, site.findings, folder / f"get{get}",
                                         ControlOptions(offline=True, scenarios=str(scen)))
                out[f"get{get}"] = (res[0], srv.requests[n:])
            srv.config["status"] = {path: 404}
            for key, post in (("404", 404), ("500", 500), ("200", 200), ("200err", [200, ERROR_PAGE])):
                srv.config["post"] = {path: post}
                n = len(srv.requests)
                res = await control_site(browser, site.crawl, site.findings, folder / f"post{key}",
                                         ControlOptions(offline=True, scenarios=str(scen), submit_forms=True,
                                                        submit_message=message))
                out[f"post{key}"] = (res[0], srv.requests[n:])
        return out

    try:
        return asyncio.run(main())
    finally:
        srv.config["status"], srv.config["post"] = {path: 404}, {path: 200}


@pytest.mark.parametrize("get", [404, 405, 400, 200])
def test_form_endpoint_answering_get_anyhow_works_without_sending(form_runs, get):
    r, hits = form_runs[f"get{get}"]
    assert r.item_id == "ch_e_service" and r.works is True, r.reason
    assert "адрес отправки не проверялся без отправки" in r.reason and r.submitted is False
    assert not [h for h in hits if h.path.startswith("/priemnaya/send/")]       # never requested


@pytest.mark.parametrize("post, works", [("404", False), ("500", False), ("200", True), ("200err", False)])
def test_submitted_form_is_judged_by_the_answer(form_runs, post, works):
    r, hits = form_runs[f"post{post}"]
    assert r.submitted is True and r.works is works, r.reason
    sent = [h for h in hits if h.path.startswith("/priemnaya/send/")]
    assert [h.method for h in sent] == ["POST"]                                # sent exactly once
    from urllib.parse import parse_qs
    assert parse_qs(sent[0].body)["message"] == ["Тестовое обращение оператора"]
    if works:
        assert "форма отправлена" in r.reason and "HTTP 200" in r.reason
    elif post == "200err":                                                     # a 200 page saying it failed
        assert "сообщение об ошибке" in r.reason and "Произошла ошибка при отправке" in r.reason
    else:
        assert f"HTTP {post}" in r.reason


@pytest.fixture(scope="module")
def scheme_run(sites, tmp_path_factory):
    """The real bvi with «А+» pressed at most twice (+2 px, not enough): its colour-scheme button decides."""
    import yaml
    folder = tmp_path_factory.mktemp("scheme")
    data = yaml.safe_load((ROOT / "checklists" / "controls.yaml").read_text(encoding="utf-8"))
    data["controls"] = [c for c in data["controls"] if c["item"] == "acc_alt_version"]
    data["settings"]["enlarge_clicks"] = 2
    scen = folder / "alt-only.yaml"
    scen.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return run_controls(sites["postonly"].crawl, sites["postonly"].findings, folder,
                        ControlOptions(offline=True, scenarios=str(scen)))[0]


def test_real_bvi_colour_scheme_button_is_used_when_a_plus_is_not_enough(scheme_run):
    r = scheme_run
    assert r.works is True, (r.reason, r.steps)
    m = r.details["measurements"]
    assert m["after"]["para_font"] == 18 and m["color_change"] >= 100     # white on black after «Ц»
    assert "«А+» ×2, «Ц" in r.reason and "цветовая схема сменилась" in r.reason
