"""The browser stage's address guard (crawler/control/netguard.py, browser.py) on redirect hops inside Chromium,
which Playwright's routes never see: whole `nok-audit check` runs, in a loopback-only network namespace
(tests/netns.py, every connect recorded), of a site whose link to the version for the visually impaired, form
page and on-site questionnaire answer a browser with 302 to `localhost` and to a host name that the namespace's /etc/hosts
points at another 127.0.0.X. Neither target is the audited site, so without --allow-private nothing may be
asked of it and the verdicts are «не удалось проверить» with the reason; with --allow-private the hops are
followed."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from crawler.control.browser import chromium_path

from netns import PORT, attempts, record, requests_seen, require_netns

pytestmark = pytest.mark.skipif(not Path(chromium_path()).exists(), reason="Chromium не установлен")

SITES = Path(__file__).parent / "sites_browser"
NOK = [sys.executable, "-m", "crawler.cli"]
QUICK = ["--delay", "0", "--timeout", "5", "--quiet", "--check-timeout", "10", "--no-pdf"]
AUDITED = "127.0.0.43"
LOCALHOST = "127.0.0.1"
NAME, NAMED_IP = "priemnaya.nok-test.ru", "127.0.0.50"
HOPS = {"acc_alt_version": ("/special/", f"http://localhost:{PORT}/special/"),
        "ch_e_service": ("/obrashenie/", f"http://{NAME}:{PORT}/obrashenie/"),
        "ch_opinion": ("/anketa/", f"http://localhost:{PORT}/anketa/")}


@pytest.fixture(autouse=True)
def _namespaces():
    require_netns()


def audit(tmp_path: Path, *extra: str):
    """`check` of the redirecting site: (controls by item, requests each server saw, connect attempts)."""
    site = tmp_path / "site"
    shutil.copytree(SITES / "deadaction", site)
    (site / "_server.json").write_text(json.dumps({"browser_redirects": dict(HOPS.values())}),
                                       encoding="utf-8")
    target = tmp_path / "target"            # what the hops lead to: the same pages, without the redirects
    shutil.copytree(SITES / "deadaction", target)
    out, log = tmp_path / "out", tmp_path / "strace.log"
    proc = record([*NOK, "check", f"http://{AUDITED}:{PORT}/", "--out", str(out), *QUICK, *extra], log,
                  {AUDITED: site, LOCALHOST: target, NAMED_IP: target}, hosts={NAME: NAMED_IP})
    assert proc.returncode == 0, proc.stderr[-3000:]
    controls = {c["item_id"]: c for c in json.loads((out / "controls.json").read_text(encoding="utf-8"))["controls"]}
    return controls, requests_seen(log), attempts(log)


def browser_hits(hits: list[dict], path: str) -> list[dict]:
    """Requests of `path` made by Chromium's page navigations (the crawler sends no Upgrade-Insecure-Requests)."""
    return [h for h in hits if h["path"] == path and h["headers"].get("Upgrade-Insecure-Requests") == "1"]


def test_redirect_hops_to_private_names_are_refused_before_connecting(tmp_path):
    controls, seen, tried = audit(tmp_path)
    for item, (path, hop) in HOPS.items():
        assert browser_hits(seen[AUDITED], path), f"{item}: the browser never opened {path}"   # the first hop was made
        c = controls[item]
        assert c["works"] is None, (item, c)
        assert c["reason"].startswith("не удалось проверить") and hop in c["reason"], (item, c["reason"])
        assert "внутреннюю сеть" in c["reason"] and "loopback" in c["reason"], (item, c["reason"])
    assert NAME in controls["ch_e_service"]["reason"] and NAMED_IP in controls["ch_e_service"]["reason"]
    # nothing was asked of the targets, not even a TCP connection was tried
    assert seen[LOCALHOST] == [] and seen[NAMED_IP] == []
    assert not [a for a in tried if (a.address, a.port) in ((LOCALHOST, PORT), (NAMED_IP, PORT))]


def test_redirect_hops_are_followed_with_allow_private(tmp_path):
    controls, seen, _ = audit(tmp_path, "--allow-private")
    assert browser_hits(seen[LOCALHOST], "/special/") and browser_hits(seen[LOCALHOST], "/anketa/")
    assert browser_hits(seen[NAMED_IP], "/obrashenie/")
    for item in HOPS:
        assert "внутреннюю сеть" not in controls[item]["reason"], (item, controls[item])
    # judged on what the targets answered: the pages work, the /special/ there is a 404
    assert controls["ch_opinion"]["works"] is True and controls["ch_e_service"]["works"] is True, controls
    assert controls["acc_alt_version"]["works"] is False and "404" in controls["acc_alt_version"]["reason"]
