"""`nok-audit verify DIR`: an audit folder checked against its manifest.json (the evidence pack)."""
from __future__ import annotations

from pathlib import Path

from crawler.exits import EXIT_OK, EXIT_TAMPERED, BadInput
from reports.manifest import MANIFEST_NAME, load_manifest, verify


def add_parser(sub) -> None:
    ver = sub.add_parser("verify", help="проверить целостность папки проверки по её manifest.json")
    ver.add_argument("dir", help="папка проверки (в ней manifest.json)")


def handle(args, command: list[str]) -> int:
    out = Path(args.dir)
    if not out.is_dir():
        raise BadInput(f"папка {out} не найдена")
    problems = verify(out)
    if problems:
        print(f"Проверка целостности: папка {out} не совпадает с {MANIFEST_NAME} "
              f"(несовпадений: {len(problems)}):")
        for problem in problems:
            print(f"  - {problem}")
        return EXIT_TAMPERED
    count = len(load_manifest(out)["files"])
    print(f"Проверка целостности: все {count} файлов совпадают с {MANIFEST_NAME}")
    return EXIT_OK
