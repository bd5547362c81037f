"""Registry input and the batch run over it (`nok-audit run`), on loopback test sites."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FAST, run_cli
from crawler.registry import RegistryError, load_registry

TEMPLATE = Path(__file__).parent.parent / "docs" / "registry-template.csv"


def test_template_registry_is_valid():
    orgs, problems = load_registry(TEMPLATE)
    assert problems == [] and len(orgs) == 1
    assert orgs[0].extra_hosts == ["files.kcson-example.ru"] and orgs[0].sector == "social"


def test_windows_1251_semicolon_csv_with_bad_rows(tmp_path):
    path = tmp_path / "reg.csv"
    path.write_bytes(("Наименование;Сайт;Сфера\n"
                      "КЦСОН один;kcson-one.ru;\n"
                      "КЦСОН два;ftp://kcson-two.ru;\n"
                      "Без сайта;;\n"
                      "Дубль;https://www.kcson-one.ru/;\n"
                      "Музей;museum.ru;культура\n"
                      "КЦСОН рф;http://кцсон.рф;социальная\n"
                      "Школа;school.ru;образование\n"
                      "Колледж;college.ru;металлургия\n").encode("cp1251"))
    orgs, problems = load_registry(path)
    assert [o.row for o in orgs] == [2, 7, 8]
    assert orgs[1].url.startswith("http://xn--")
    assert [o.sector for o in orgs] == ["social", "social", "education"]
    text = "\n".join(problems)
    for needle in ("строка 3", "строка 4", "строка 5", "дубликат", "строка 6 (Музей): чек-лист для сектора «culture» "
                   "(культура) не поддерживается", "строка 9 (Колледж): неизвестная сфера «металлургия»"):
        assert needle in text, text


def test_xlsx_registry_with_english_headers(tmp_path):
    import openpyxl
    book = openpyxl.Workbook()
    book.active.append(["name", "url", "region"])
    book.active.append(["KCSON", "https://kcson.example.ru", "Москва"])
    path = tmp_path / "reg.xlsx"
    book.save(path)
    orgs, problems = load_registry(path)
    assert problems == [] and orgs[0].region == "Москва"


@pytest.mark.parametrize("content,message", [(b"", "пуст"), (b"name;region\nx;y\n", "адресом сайта")])
def test_unusable_registries_say_why(tmp_path, content, message):
    path = tmp_path / "reg.csv"
    path.write_bytes(content)
    with pytest.raises(RegistryError, match=message):
        load_registry(path)


def test_run_audits_every_row_resumes_and_writes_the_summary(sites, dead_site_url, tmp_path):
    registry = tmp_path / "reg.csv"
    registry.write_text("Наименование,Сайт\n"
                        f"Полный,{sites['kcson_full'].base_url}/\n"
                        f"Кодировка,{sites['kcson_1251'].base_url}/\n"
                        f"Недоступный,{dead_site_url}\n"
                        "Плохой,ftp://x\n", encoding="utf-8")
    out = tmp_path / "run"
    args = ["run", str(registry), "--out", str(out), "--delay", "0", "--timeout", "5", "--no-browser",
            "--allow-private"]
    first = run_cli(args, out)
    assert first.code == 0, first.stderr
    assert "строка 5" in first.stderr                      # the bad row is named and skipped
    assert (out / "nok-audit.db").exists()                 # the embedded default store
    run_dir = out / "run-1"
    folders = sorted(p.name for p in run_dir.iterdir() if (p / "report.json").exists())
    assert len(folders) == 3
    summary = (run_dir / "summary" / "summary.html").read_text(encoding="utf-8")
    assert "Недоступный" in summary and "Кодировка" in summary  # registry names
    hits = len(sites["kcson_full"].requests)
    again = run_cli(["run", "--resume", "1", "--out", str(out)], out)   # finished sites are not fetched again
    assert again.code == 0 and "проверено ранее: 3" in again.stderr, again.stderr
    assert len(sites["kcson_full"].requests) == hits
    nothing = run_cli(["run", "--resume", "--out", str(out)], out)
    assert nothing.code == 2 and "нет незавершённого прогона" in nothing.stderr
    report = json.loads((run_dir / folders[0] / "report.json").read_text(encoding="utf-8"))
    assert report["items"]


def test_diff_shows_regressions_between_two_audits(audit, tmp_path):
    import shutil
    run = audit("kcson_full")
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(run.out, old)
    shutil.copytree(run.out, new)
    # The same stored crawl, judged by a checklist under which the tariffs are no longer found.
    strict = tmp_path / "strict.yaml"
    strict.write_text("extends: social\nid: strict\nversion: '1'\nitems:\n  - id: tariffs\n    detect:\n"
                      "      any:\n        - phrase: [тарифы на луну]\n", encoding="utf-8")
    assert run_cli(["evaluate", str(new), "--checklist", str(strict)], new).code == 0
    result = run_cli(["diff", str(old), str(new)], new)
    assert result.code == 0, result.stderr
    assert "с ухудшениями 1" in result.stdout
    assert "тариф" in result.stdout.lower() and "было размещено" in result.stdout
    assert "100 % →" in result.stdout
    assert run_cli(["diff", str(old), str(tmp_path / "nope")], new).code == 2
