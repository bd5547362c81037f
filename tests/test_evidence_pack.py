"""The evidence pack: manifest.json with SHA-256 of every artefact, `nok-audit verify`, report.pdf, report.md."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from conftest import BROWSER, FAST, run_cli
from crawler.audit import write_extras
from reports.manifest import MANIFEST_NAME, verify, write_manifest
from reports.markdown import markdown_summary
from crawler.control.pdf import write_pdf


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(out) -> dict:
    return json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plain(sites, tmp_path_factory):
    """kcson_1251 without the browser: no PDF, no screenshots."""
    out = tmp_path_factory.mktemp("pack_1251")
    run = run_cli(["check", sites["kcson_1251"].base_url + "/", "--out", str(out), *FAST], out)
    assert run.code == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def browsed(sites, tmp_path_factory):
    """kcson_full with the browser stage: screenshots and report.pdf."""
    out = tmp_path_factory.mktemp("pack_full")
    run = run_cli(["check", sites["kcson_full"].base_url + "/", "--out", str(out), *BROWSER], out, timeout=300)
    assert run.code == 0, run.stderr
    return run


def _copy(run, tmp_path):
    """A private copy of an audit folder, for tests that damage it."""
    dst = tmp_path / "audit"
    shutil.copytree(run.out, dst)
    return dst


def test_manifest_lists_every_page_snapshot_with_its_hash_and_fetch_time(plain):
    manifest = _manifest(plain.out)
    assert manifest["tool"]["version"] and manifest["start_url"] == plain.report["site"]["start_url"]
    assert manifest["written_at"]
    files = {f["path"]: f for f in manifest["files"]}
    for name in ("report.json", "report.html", "report.md", "crawl/crawl.json", "crawl/pages.jsonl",
                 "crawl/documents.jsonl"):
        assert name in files, name
    assert "report.pdf" not in files and not (plain.out / "report.pdf").exists()     # --no-browser: no PDF
    snapshots = sorted(p.relative_to(plain.out).as_posix() for p in (plain.out / "crawl" / "html").glob("*.html.gz"))
    assert snapshots and all(s in files for s in snapshots)
    pages = [json.loads(line) for line in (plain.out / "crawl" / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    for rel in snapshots:
        entry = files[rel]
        assert entry["sha256"] == _sha(plain.out / rel)
        assert entry["size"] == (plain.out / rel).stat().st_size
        assert entry["captured_at"] in {p["fetched_at"] for p in pages if f"crawl/{p['html_file']}" == rel}
        assert entry["captured_at_source"] == "fetched_at"       # from the crawl the audit had loaded
    for rel, entry in files.items():
        assert entry["sha256"] == _sha(plain.out / rel), rel


def test_verify_passes_on_an_intact_folder(plain):
    run = run_cli(["verify", str(plain.out)])
    assert run.code == 0, run.stdout + run.stderr
    count = len(_manifest(plain.out)["files"])
    assert f"Проверка целостности: все {count} файлов совпадают с manifest.json" in run.stdout


def test_verify_names_a_changed_page_snapshot_and_exits_4(plain, tmp_path):
    out = _copy(plain, tmp_path)
    victim = sorted((out / "crawl" / "html").glob("*.html.gz"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01                       # one bit of one byte
    victim.write_bytes(bytes(data))
    run = run_cli(["verify", str(out)])
    assert run.code == 4, run.stdout + run.stderr
    assert victim.name in run.stdout and "SHA-256 не совпадает" in run.stdout
    assert len([line for line in run.stdout.splitlines() if line.startswith("  - ")]) == 1


def test_verify_reports_missing_and_unlisted_files(plain, tmp_path):
    out = _copy(plain, tmp_path)
    (out / "report.md").unlink()
    (out / "screenshots").mkdir(exist_ok=True)
    (out / "screenshots" / "planted.png").write_bytes(b"\x89PNG fake")
    problems = verify(out)
    assert any(p.startswith("report.md:") and "отсутствует" in p for p in problems), problems
    assert any(p.startswith("screenshots/planted.png:") and "нет в manifest.json" in p for p in problems), problems
    (out / MANIFEST_NAME).unlink()
    assert run_cli(["verify", str(out)]).code == 4


def test_evaluate_rewrites_the_manifest(plain, tmp_path):
    out = _copy(plain, tmp_path)
    run = run_cli(["evaluate", str(out)])
    assert run.code == 0, run.stderr
    assert "manifest.json" in run.stdout and verify(out) == []


def test_report_md_lists_missing_items_with_their_fix(plain):
    md = (plain.out / "report.md").read_text(encoding="utf-8")
    report = plain.report
    assert report["site"]["start_url"] in md
    absent = [it for it in report["items"] if it["status"] == "absent"]
    assert absent
    assert f"## Не найдено на сайте ({len(absent)})" in md
    for item in absent:
        assert item["name"].replace("|", "\\|").replace("<", "\\<") in md, item["id"]
    tariffs = next(it for it in absent if it["id"] == "tariffs")
    assert tariffs["fix"].split("(")[0].strip() in md
    assert "Контрольные проверки в браузере не выполнялись" in md


def test_markdown_summary_survives_a_minimal_report():
    text = markdown_summary({"site": {"start_url": "https://example.ru/"}, "items": [
        {"id": "x", "name": "Пункт | с чертой", "status": "absent", "indicator": "1.1", "fix": "Добавьте\nстраницу"}]})
    assert "https://example.ru/" in text and "Пункт \\| с чертой" in text and "Добавьте страницу" in text


def test_pdf_failure_is_a_warning_and_the_manifest_is_still_written(tmp_path, capsys):
    html = tmp_path / "report.html"
    html.write_text("<html><body>отчёт</body></html>", encoding="utf-8")
    write_extras({"site": {"start_url": "https://example.ru/"}, "items": []}, tmp_path, html,
                 print_pdf=lambda h, p: write_pdf(h, p, chromium=str(tmp_path / "no-such-chromium")))
    assert "PDF-версия отчёта не создана" in capsys.readouterr().err
    assert not (tmp_path / "report.pdf").exists()
    assert {f["path"] for f in _manifest(tmp_path)["files"]} == {"report.html", "report.md"}
    assert verify(tmp_path) == []


def test_browser_run_lists_screenshots_and_renders_a_cyrillic_pdf(browsed):
    out = browsed.out
    files = {f["path"]: f for f in _manifest(out)["files"]}
    shots = sorted(p.relative_to(out).as_posix() for p in (out / "screenshots").glob("*.png"))
    assert shots, "the browser stage took screenshots"
    for rel in [*shots, "controls.json", "accessibility.json", "report.pdf"]:
        assert rel in files and files[rel]["sha256"] == _sha(out / rel), rel
    pdf = out / "report.pdf"
    assert pdf.stat().st_size > 10_000 and pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "КЦСОН Заречного района" in text
    assert "Каналы" in text or "обратной связи" in text
    assert "report.pdf" in browsed.stdout
    assert run_cli(["verify", str(out)]).code == 0


def test_write_manifest_is_atomic_and_last(tmp_path):
    (tmp_path / "report.json").write_text("{}", encoding="utf-8")
    path = write_manifest(tmp_path, "9.9.9")
    assert path.name == MANIFEST_NAME and not list(tmp_path.glob(".*.tmp"))
    assert [f["path"] for f in _manifest(tmp_path)["files"]] == ["report.json"]
    assert _manifest(tmp_path)["tool"] == {"name": "nok-audit", "version": "9.9.9"}
