"""The evidence pack: manifest.json lists every artefact of an audit folder with its SHA-256.

    path = write_manifest(out_dir, tool_version)      # last, after every report is written
    problems = verify(out_dir)          # [] = the folder matches its manifest

manifest.json holds, per file: the path relative to the audit folder, the size, the SHA-256 and the time
of capture (for a page snapshot crawl/html/<sha>.html.gz: when the page was fetched, from pages.jsonl;
for any other file: its modification time), plus the tool version, the start URL and when the manifest was
written. `nok-audit verify DIR` checks a folder against it.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from reports.atomic_file import write_atomically


MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
# The artefacts of an audit folder: exact names and glob patterns, relative to the folder.
FILES = ["report.json", "report.html", "report.pdf", "report.md", "controls.json", "accessibility.json",
         "crawl/crawl.json", "crawl/pages.jsonl", "crawl/documents.jsonl"]
PATTERNS = ["screenshots/*.png", "crawl/html/*.html.gz"]
_CHUNK = 1 << 20


def _utc_iso(ts: float | None = None) -> str:
    moment = datetime.now(timezone.utc) if ts is None else datetime.fromtimestamp(ts, timezone.utc)
    return moment.isoformat(timespec="seconds")          # like fetched_at: 2026-11-22T17:39:36+00:00


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def artefacts(out_dir: Path) -> list[str]:
    """Relative paths (POSIX) of the artefacts present in `out_dir`, sorted."""
    out_dir = Path(out_dir)
    found = {name for name in FILES if (out_dir / name).is_file()}
    for pattern in PATTERNS:
        found.update(p.relative_to(out_dir).as_posix() for p in out_dir.glob(pattern) if p.is_file())
    return sorted(found)


def _kind(rel: str) -> str:
    if rel.startswith("crawl/html/"):
        return "page_snapshot"
    if rel.startswith("screenshots/"):
        return "screenshot"
    if rel.startswith("crawl/"):
        return "crawl"
    return "report" if rel.startswith("report.") else "result"


def page_capture_times(pages) -> dict[str, str]:
    """crawl/html/<sha>.html.gz → fetched_at of the (first) page whose body it holds; `pages`: the pages'
    (html_file, fetched_at)."""
    times: dict[str, str] = {}
    for rel, when in pages:
        if rel and when:
            times.setdefault(f"crawl/{rel}", when)
    return times


def _fetched_at(out_dir: Path) -> dict[str, str]:
    path = out_dir / "crawl" / "pages.jsonl"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8") as f:
        return page_capture_times((page.get("html_file"), page.get("fetched_at"))
                                  for page in map(_json_or_none, f) if isinstance(page, dict))


def _json_or_none(line: str):
    try:
        return json.loads(line)
    except ValueError:
        return None             # a line cut by a crash


def _start_url(out_dir: Path) -> tuple[str, str]:
    for name, keys in (("report.json", ("site",)), ("crawl/crawl.json", ())):
        try:
            data = json.loads((out_dir / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key in keys:
            data = data.get(key) or {}
        if data.get("start_url"):
            return data["start_url"], data.get("final_url") or ""
    return "", ""


def build_manifest(out_dir: Path, tool_version: str, fetched: dict[str, str] | None = None) -> dict:
    """`fetched`: page_capture_times of the stored crawl when the caller has it loaded (reading pages.jsonl
    again cost more than hashing the whole folder)."""
    out_dir = Path(out_dir)
    fetched = _fetched_at(out_dir) if fetched is None else fetched
    start_url, final_url = _start_url(out_dir)
    files = []
    for rel in artefacts(out_dir):
        path = out_dir / rel
        stat = path.stat()
        files.append({"path": rel, "kind": _kind(rel), "size": stat.st_size, "sha256": sha256_of(path),
                      "captured_at": fetched.get(rel) or _utc_iso(stat.st_mtime),
                      "captured_at_source": "fetched_at" if rel in fetched else "mtime"})
    return {"manifest_version": MANIFEST_VERSION,
            "tool": {"name": "nok-audit", "version": tool_version},
            "start_url": start_url, "final_url": final_url,
            "written_at": _utc_iso(),
            "hash": "sha256",
            "files": files}


def write_manifest(out_dir: Path, tool_version: str, fetched: dict[str, str] | None = None) -> Path:
    """Write out_dir/manifest.json atomically; call it last, after every report is written."""
    out_dir = Path(out_dir)
    text = json.dumps(build_manifest(out_dir, tool_version, fetched), ensure_ascii=False, indent=1) + "\n"
    return write_atomically(out_dir / MANIFEST_NAME, text)


def load_manifest(out_dir: Path) -> dict:
    return json.loads((Path(out_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))


def verify(out_dir: Path) -> list[str]:
    """Problems (Russian), one per file: missing, changed (SHA-256 differs) or not listed. [] = intact."""
    out_dir = Path(out_dir)
    try:
        manifest = load_manifest(out_dir)
        listed = {f["path"]: f for f in manifest["files"]}
    except FileNotFoundError:
        return [f"нет файла {MANIFEST_NAME} в папке {out_dir}"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST_NAME} повреждён и не читается ({type(exc).__name__})"]
    problems = []
    for rel, entry in sorted(listed.items()):
        path = out_dir / rel
        if not path.is_file():
            problems.append(f"{rel}: файл отсутствует")
            continue
        if sha256_of(path) != entry.get("sha256"):
            size = path.stat().st_size
            note = f", размер {entry.get('size')} → {size} байт" if size != entry.get("size") else ""
            problems.append(f"{rel}: содержимое изменено (SHA-256 не совпадает{note})")
    for rel in artefacts(out_dir):
        if rel not in listed:
            problems.append(f"{rel}: файла нет в {MANIFEST_NAME}")
    return problems
