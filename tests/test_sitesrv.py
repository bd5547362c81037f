"""Self-check of the loopback test-site server (tests/sitesrv.py) and of the test-site data."""
from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sitesrv  # noqa: E402

SITES = Path(__file__).resolve().parent / "sites"
DEMO = Path(__file__).resolve().parent.parent / "crawler" / "demo_site"
ITEM_IDS = ("reg_date founder location_branches work_schedule contacts structure head_deputies staff service_forms "
            "service_types procedure_conditions tariffs recipients_number free_places services_volume material_base "
            "licenses fin_activity internal_rules inspections nok_info charter reg_certificate paid_services_doc "
            "ch_phone ch_email ch_e_service ch_faq ch_opinion ch_other "
            "acc_alt_version acc_remote_or_home acc_sign_language acc_staff_assistance "
            "social_vk social_ok pos_widget bus_gov_link").split()

_NO_REDIRECT = urllib.request.build_opener(
    type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {"redirect_request": lambda *a, **k: None}))


def get(url: str, timeout: float = 10, headers: dict | None = None, follow: bool = True):
    req = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener() if follow else _NO_REDIRECT
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture(scope="module")
def s1251():
    srv = sitesrv.start_site(SITES / "kcson_1251", "127.0.0.10")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def broken():
    srv = sitesrv.start_site(SITES / "kcson_broken", "127.0.0.11")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def robots():
    srv = sitesrv.start_site(SITES / "kcson_robots", "127.0.0.12")
    yield srv
    srv.stop()


# ---------------------------------------------------------------- kcson_1251

def test_1251_header_lies(s1251):
    status, headers, body = get(s1251.url("/o-nas/"))
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1251")
    assert "Дата государственной регистрации" in text
    assert "<title>О нас <script>alert(1)</script></title>" in text


def test_1251_pages_without_meta_and_stub(s1251):
    _, _, body = get(s1251.url("/struktura/"))
    assert b"charset" not in body.lower()
    assert "Структурные подразделения" in body.decode("cp1251")
    _, _, body = get(s1251.url("/uslugi/tarify/"))
    assert "Страница в разработке" in body.decode("cp1251")
    _, _, body = get(s1251.url("/dokumenty/"))
    assert "<h2>Устав &lt;script&gt;alert('xss')&lt;/script&gt;</h2>" in body.decode("cp1251")


def test_hidden_files_and_directory_redirect(s1251):
    assert get(s1251.url("/_server.json"))[0] == 404
    assert get(s1251.url("/_expected.json"))[0] == 404
    assert get(s1251.url("/../kcson_full/index.html"))[0] == 404
    status, headers, _ = get(s1251.url("/struktura"), follow=False)
    assert status == 301 and headers["Location"] == "/struktura/"
    status, headers, body = get(s1251.url("/docs/ustav.pdf"))
    assert status == 200 and headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")


def test_keep_alive_and_content_length(s1251):
    conn = http.client.HTTPConnection(s1251.ip, s1251.port, timeout=5)
    try:
        conn.request("GET", "/")
        r1 = conn.getresponse()
        b1 = r1.read()
        assert r1.version == 11 and int(r1.headers["Content-Length"]) == len(b1)
        sock = conn.sock
        assert sock is not None
        conn.request("HEAD", "/kontakty/")
        r2 = conn.getresponse()
        assert r2.read() == b"" and int(r2.headers["Content-Length"]) > 0
        assert conn.sock is sock                      # same TCP connection
    finally:
        conn.close()


# ---------------------------------------------------------------- kcson_broken

def test_broken_start_redirect(broken):
    status, headers, _ = get(broken.url("/"), follow=False)
    assert status == 301 and headers["Location"] == "/index.php"
    status, headers, body = get(broken.url("/"))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "Руководство" in body.decode()


def test_broken_status_codes(broken):
    assert get(broken.url("/fotogalereya.php"))[0] == 404
    assert get(broken.url("/novosti.php"))[0] == 500
    assert get(broken.url("/files/ustav.pdf"))[0] == 404


def test_broken_redirect_loop(broken):
    status, headers, _ = get(broken.url("/arhiv/"), follow=False)
    assert status == 302 and headers["Location"] == "/arhiv/index.php"
    status, headers, _ = get(broken.url("/arhiv/index.php"), follow=False)
    assert status == 302 and headers["Location"] == "/arhiv/"
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(broken.url("/arhiv/"), timeout=5)
    assert "loop" in str(exc.value)


def test_broken_big_page(broken):
    req = urllib.request.Request(broken.url("/fotoarhiv.php"), method="HEAD")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert int(r.headers["Content-Length"]) == 52_428_800
    total = 0
    with urllib.request.urlopen(broken.url("/fotoarhiv.php"), timeout=10) as r:
        assert int(r.headers["Content-Length"]) == 52_428_800
        first = r.read(1 << 16)
        assert first.startswith(b"<!DOCTYPE html>")
        total = len(first)
        while chunk := r.read(1 << 20):
            total += len(chunk)
    assert total == 52_428_800
    # a client that gives up early does not hurt the server
    s = socket.create_connection((broken.ip, broken.port), timeout=5)
    s.sendall(b"GET /fotoarhiv.php HTTP/1.1\r\nHost: x\r\n\r\n")
    s.recv(1000)
    s.close()
    assert get(broken.url("/index.php"))[0] == 200


def test_broken_binary_as_html(broken):
    status, headers, body = get(broken.url("/gazeta.html"))
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert len(body) == 65536
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


def test_broken_garbage(broken):
    with pytest.raises((http.client.HTTPException, urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(broken.url("/forum/"), timeout=5)


def test_broken_slow_does_not_block(broken):
    errors = []

    def slow():
        try:
            urllib.request.urlopen(broken.url("/vakansii/"), timeout=1.5)
        except Exception as e:   # noqa: BLE001 - the timeout is what we want
            errors.append(e)

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    assert get(broken.url("/kontakty.php"))[0] == 200
    assert time.monotonic() - t0 < 1.0
    t.join(5)
    assert errors and isinstance(errors[0], (TimeoutError, socket.timeout, urllib.error.URLError))


def test_stop_is_prompt_and_closes_connections():
    srv = sitesrv.start_site(SITES / "kcson_broken", "127.0.0.15")
    conn = http.client.HTTPConnection(srv.ip, srv.port, timeout=5)
    conn.request("GET", "/index.php")
    conn.getresponse().read()
    slow = threading.Thread(target=_swallow, args=(srv.url("/vakansii/"),))
    slow.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    srv.stop()
    slow.join(5)
    assert time.monotonic() - t0 < 3 and not slow.is_alive()
    with pytest.raises((http.client.HTTPException, ConnectionError, OSError)):
        conn.request("GET", "/kontakty.php")
        conn.getresponse().read()
    conn.close()


def _swallow(url: str) -> None:
    try:
        urllib.request.urlopen(url, timeout=30).read()
    except Exception:   # noqa: BLE001 - the server is going away
        pass


def test_dead_url_refuses():
    url = sitesrv.dead_url("127.0.0.13")
    assert re.fullmatch(r"http://127\.0\.0\.13:\d+/", url)
    with pytest.raises(urllib.error.URLError) as exc:
        urllib.request.urlopen(url, timeout=5)
    assert isinstance(exc.value.reason, ConnectionRefusedError)


def test_post_not_allowed(broken):
    req = urllib.request.Request(broken.url("/index.php"), data=b"a=1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 405


def test_post_endpoint_answers_post_only_as_configured(broken, tmp_path):
    (tmp_path / "index.html").write_text("<p>x</p>", encoding="utf-8")
    (tmp_path / "_server.json").write_text('{"status": {"/send/": 404}, "post": {"/send/": 200}}', encoding="utf-8")
    with sitesrv.start_site(tmp_path, "127.0.0.13") as srv:
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(srv.url("/send/"), timeout=5)
        assert exc.value.code == 404                                # GET: «Cannot GET /send/»
        req = urllib.request.Request(srv.url("/send/"), data="msg=привет".encode(), method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200 and "обращение зарегистрировано" in r.read().decode()
        assert srv.requests[-1].method == "POST" and srv.requests[-1].body == "msg=привет"
        srv.config["post"]["/send/"] = 500                          # changed between runs by a test
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(urllib.request.Request(srv.url("/send/"), data=b"a=1", method="POST"), timeout=5)
        assert exc.value.code == 500


# ---------------------------------------------------------------- kcson_robots: gzip, session ids, calendar

def test_robots_gzip_session_ids_calendar(robots):
    status, headers, body = get(robots.url("/"), headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(body).decode()
    ids = re.findall(r'href="/novosti/[^"]*\?PHPSESSID=([0-9a-f]+)"', html)
    assert ids
    assert 'href="/o-centre/"' in html                        # other links untouched
    _, _, again = get(robots.url("/"))                        # no Accept-Encoding: plain
    ids2 = re.findall(r"PHPSESSID=([0-9a-f]+)", again.decode())
    assert ids2 and not set(ids) & set(ids2)                  # fresh ids on every response

    assert 'href="/wp-content/themes/kcson-sea/style.css?ver=6.4.3"' in html   # <link> untouched
    _, headers, _ = get(robots.url("/dokumenty/ustav.pdf"), headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in headers                  # documents are not gzipped

    _, _, txt = get(robots.url("/robots.txt"))
    assert b"Disallow: /dokumenty/" in txt

    _, _, cal = get(robots.url("/afisha/calendar/?month=2025-02&PHPSESSID=abc"))
    cal = cal.decode()
    assert "month=2025-01" in cal and "month=2025-03" in cal and "/afisha/calendar/2025/02/28/" in cal
    _, _, day = get(robots.url("/afisha/calendar/2025/02/28/"))
    assert "/afisha/calendar/2025/03/01/" in day.decode()
    _, _, far = get(robots.url("/afisha/calendar/?month=2999-12"))
    assert "month=3000-01" in far.decode()


# ---------------------------------------------------------------- start_all, moved site, expected data

def test_start_all_and_expected_files():
    servers = sitesrv.start_all(SITES, first_octet_start=40)
    try:
        names = sorted(servers)
        assert names == sorted(p.name for p in SITES.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
        assert [servers[n].ip for n in names] == [f"127.0.0.{40 + i}" for i in range(len(names))]
        moved, target = servers["kcson_moved"], servers["kcson_moved_target"]
        status, headers, _ = get(moved.url("/"), follow=False)
        assert status == 301 and headers["Location"] == target.base_url + "/"
        status, _, body = get(moved.url("/"))
        assert status == 200 and "Надежда" in body.decode()

        for name, srv in servers.items():
            exp = json.loads((SITES / name / "_expected.json").read_text(encoding="utf-8"))
            check_expected(exp, name)
            host = target if name == "kcson_moved" else srv
            for item, path in exp["evidence_paths"].items():
                status, _, _ = get(host.url(path))
                assert status == 200, (name, item, path)
    finally:
        for s in servers.values():
            s.stop()


def test_demo_site_expected():
    exp = json.loads((SITES / "_demo_expected.json").read_text(encoding="utf-8"))
    check_expected(exp, "demo_site")
    assert sum(v != "present" for v in exp["items"].values()) in range(4, 8)
    with sitesrv.start_site(DEMO, "127.0.0.14") as srv:
        for item, path in exp["evidence_paths"].items():
            assert get(srv.url(path))[0] == 200, (item, path)
        assert get(srv.url("/uslugi/tarify/"))[0] == 200


def check_expected(exp: dict, name: str) -> None:
    assert list(exp["items"]) == list(ITEM_IDS), name
    assert set(exp["items"].values()) <= {"present", "absent", "unknown"}, name
    present = {k for k, v in exp["items"].items() if v == "present"}
    assert set(exp["evidence_paths"]) == present, name
    assert isinstance(exp["notes"], dict)


def test_documents_are_real_and_small():
    import docx
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(SITES / "kcson_full" / "docs" / "ustav.pdf"))
    text = " ".join(pdf[0].get_textpage().get_text_range().split())
    pdf.close()
    assert "Устав государственного бюджетного учреждения" in text
    d = docx.Document(str(SITES / "kcson_full" / "docs" / "pravila-vnutrennego-rasporyadka.docx"))
    assert any("Правила внутреннего распорядка" in p.text for p in d.paragraphs)
    assert (SITES / "kcson_full" / "docs" / "licenziya-skan.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    for root in (SITES, DEMO):
        for f in root.rglob("*"):
            if f.is_file():
                assert f.stat().st_size < 100_000, f
    total = sum(f.stat().st_size for f in SITES.rglob("*") if f.is_file())
    assert total < 3 * 1024 * 1024
