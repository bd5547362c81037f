"""Whole audits in a network namespace that has only `lo`, every network attempt of the process tree recorded by
strace (tests/netns.py): the audit contacts the audited sites and nothing else — not Chromium's own services,
not a private address a site points at, not a registry row at such an address — and an unreachable site
starts no browser at all.

Nothing here can reach another machine: the namespace has no route out, and the resolver is pointed at
192.0.2.53 (TEST-NET) so that a DNS look-up shows up as an attempt instead of hiding behind a local resolver.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from crawler.control.browser import chromium_path

from netns import PORT, attempts, executed, record, require_netns

pytestmark = pytest.mark.skipif(not Path(chromium_path()).exists(), reason="Chromium не установлен")


@pytest.fixture(autouse=True)
def _namespaces():
    require_netns()

SITES = Path(__file__).parent / "sites_browser"
NOK = [sys.executable, "-m", "crawler.cli"]
QUICK = ["--delay", "0", "--timeout", "5", "--quiet", "--check-timeout", "10"]
RUN_QUICK = ["--delay", "0", "--timeout", "5"]
SURVEY_IP = "127.0.0.40"
FORBIDDEN = {"169.254.169.254", "10.0.0.1"}


def copy_site(name: str, dst: Path, replace: dict[str, str] | None = None) -> Path:
    """A site of tests/sites_browser with its {{OTHER}} links (and `replace`) filled in."""
    shutil.copytree(SITES / name, dst)
    for f in dst.rglob("*.html"):
        text = f.read_text(encoding="utf-8")
        for old, new in (replace or {}).items():
            text = text.replace(old, new)
        f.write_text(text.replace("{{OTHER}}", f"http://{SURVEY_IP}:{PORT}"), encoding="utf-8")
    return dst


def outside(log: Path) -> list:
    """Attempts that could put a packet on a non-loopback network: all but loopback and the UDP connect() of
    Chromium's IPv6 reachability probe, on which nothing is sent (netns.Attempt.leaves_no_packet)."""
    return [a for a in attempts(log) if not a.loopback and not a.leaves_no_packet]


def started_chromium(log: Path) -> bool:
    return any(Path(p).name in ("chromium", "chrome") for p in executed(log))


def controls(out: Path) -> dict:
    return {c["item_id"]: c for c in json.loads((out / "controls.json").read_text(encoding="utf-8"))["controls"]}


def test_check_of_a_loopback_site_contacts_no_one_else(tmp_path):
    site = copy_site("good", tmp_path / "good")
    survey = tmp_path / "survey"
    shutil.copytree(SITES / "survey", survey)
    out, log = tmp_path / "out", tmp_path / "strace.log"
    proc = record([*NOK, "check", f"http://127.0.0.41:{PORT}/", "--out", str(out), *QUICK], log,
                  {"127.0.0.41": site, SURVEY_IP: survey})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert started_chromium(log) and (out / "controls.json").exists() and (out / "report.pdf").exists()
    seen = attempts(log)
    assert any(a.address == "127.0.0.41" and a.port == PORT for a in seen)     # the recorder does see connects
    assert outside(log) == []
    # the "off-site" survey is on another loopback address: private and not named, so never contacted
    assert not any(a.address == SURVEY_IP for a in seen)
    opinion = controls(out)["ch_opinion"]
    assert opinion["works"] is None and "внутреннюю сеть" in opinion["reason"], opinion


def test_run_of_three_sites_contacts_no_one_else(tmp_path):
    names = {"127.0.0.41": "good", "127.0.0.42": "disabled", "127.0.0.43": "deadaction"}
    sites = {ip: copy_site(name, tmp_path / name) for ip, name in names.items()}
    sites[SURVEY_IP] = tmp_path / "survey"
    shutil.copytree(SITES / "survey", sites[SURVEY_IP])
    registry = tmp_path / "reg.csv"
    registry.write_text("Наименование,Сайт\n" + "".join(f"{n},http://{ip}:{PORT}/\n" for ip, n in names.items()),
                        encoding="utf-8")
    out, log = tmp_path / "run", tmp_path / "strace.log"
    proc = record([*NOK, "run", str(registry), "--out", str(out), *RUN_QUICK, "--jobs", "2", "--allow-private"], log,
                  sites, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(list((out / "run-1").glob("*/report.json"))) == 3
    assert started_chromium(log)
    contacted = {a.address for a in attempts(log) if a.port == PORT}
    assert set(names) <= contacted
    assert outside(log) == []


def test_private_addresses_a_site_points_at_are_never_contacted(tmp_path):
    """A survey link and a form action to the cloud metadata address; the site's stylesheet redirecting to
    10.0.0.1 (a redirect hop inside Chromium, which Playwright's routes never see)."""
    site = copy_site("good", tmp_path / "guarded", {
        "{{OTHER}}/anketa/": "http://169.254.169.254/latest/meta-data/",
        'action="/priemnaya/otpravka/"': 'action="http://169.254.169.254/latest/api/token"'})
    (site / "_server.json").write_text(json.dumps({"redirects": {"/css/site.css": "http://10.0.0.1/site.css"}}),
                                       encoding="utf-8")
    out, log = tmp_path / "out", tmp_path / "strace.log"
    proc = record([*NOK, "check", f"http://127.0.0.41:{PORT}/", "--out", str(out), *QUICK], log, {"127.0.0.41": site})
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = attempts(log)
    assert any(a.address == "127.0.0.41" for a in seen)
    assert not [a for a in seen if a.address in FORBIDDEN]      # not even a connect() at the socket level
    assert outside(log) == []
    results = controls(out)
    opinion = results["ch_opinion"]
    assert opinion["works"] is None and "169.254.169.254" in opinion["reason"], opinion
    assert "внутреннюю сеть" in opinion["reason"] and "link-local" in opinion["reason"]
    form = results["ch_e_service"]
    assert form["works"] is None and "169.254.169.254" in form["reason"] and "внутреннюю сеть" in form["reason"], form
    steps = [s for c in results.values() for s in c["steps"]]
    assert any("http://10.0.0.1/site.css" in s and "внутреннюю сеть" in s for s in steps)


def test_registry_rows_at_private_addresses_are_refused_with_their_row(tmp_path):
    registry = tmp_path / "reg.csv"
    registry.write_text("Наименование,Сайт\nМетаданные,http://169.254.169.254/\nЧастный,http://10.0.0.1/\n"
                        f"Локальный,http://localhost:{PORT}/\n", encoding="utf-8")
    log = tmp_path / "strace.log"
    proc = record([*NOK, "run", str(registry), "--out", str(tmp_path / "run"), *RUN_QUICK], log)
    assert proc.returncode == 2, proc.stderr
    for row, address in ((2, "169.254.169.254"), (3, "10.0.0.1"), (4, "localhost")):
        line = next(x for x in proc.stderr.splitlines() if f"строка {row} " in x)
        assert address in line and "внутреннюю сеть" in line and "пропущена" in line, line
    assert "нет ни одной пригодной строки" in proc.stderr
    assert not [a for a in attempts(log) if a.address in FORBIDDEN or a.port == PORT]
    allowed = record([*NOK, "run", str(registry), "--out", str(tmp_path / "run2"), "--check-registry",
                      "--allow-private"], tmp_path / "strace2.log")
    assert allowed.returncode == 0 and "пригодных строк 3" in allowed.stdout, allowed.stderr


def test_unreachable_site_starts_no_browser(tmp_path):
    out, log = tmp_path / "out", tmp_path / "strace.log"
    proc = record([*NOK, "check", f"http://127.0.0.41:{PORT}/", "--out", str(out), *QUICK], log)   # nothing serves it
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert any(a.address == "127.0.0.41" for a in attempts(log))            # the crawl did try the site
    assert not started_chromium(log)
    assert not (out / "report.pdf").exists() and not (out / "accessibility.json").exists()
    results = controls(out)
    assert results and all(c["works"] is None for c in results.values())
    assert outside(log) == []


ONE_OFF = """
import asyncio, json
from crawler.control.browser import chromium, site_context
from crawler.control.netguard import BrowserGuard, Refused

async def main():
    guard = BrowserGuard.for_site(["127.0.0.41:8080"], {}, allow_private=False)
    async with chromium(guard=guard) as browser:
        async with site_context(browser) as context:
            try:
                got = await guard.fetch(context, "HEAD", "http://127.0.0.41:8080/anketa/", headers={},
                                        timeout=5000, max_redirects=5)
                print(json.dumps({"fetched": got}))
            except Refused as exc:
                print(json.dumps({"refused": str(exc)}))
asyncio.run(main())
"""


def test_a_one_off_request_follows_redirects_hop_by_hop(tmp_path):
    """The control checks' own requests (a survey link, a social link) never let a redirect lead them into the
    operator's network: the hop to 10.0.0.1 is refused before it is sent."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>ok</p>", encoding="utf-8")
    (site / "_server.json").write_text(json.dumps({"redirects": {"/anketa/": "http://10.0.0.1/anketa/"}}),
                                       encoding="utf-8")
    log = tmp_path / "strace.log"
    proc = record([sys.executable, "-c", ONE_OFF], log, {"127.0.0.41": site})
    assert proc.returncode == 0, proc.stderr[-3000:]
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "перенаправляет на http://10.0.0.1/anketa/" in answer["refused"] and "внутреннюю сеть" in answer["refused"]
    seen = attempts(log)
    assert any(a.address == "127.0.0.41" for a in seen)          # the first hop was made
    assert not [a for a in seen if a.address == "10.0.0.1"] and outside(log) == []
