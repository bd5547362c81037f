"""Checklists, methodologies and control scenarios are loaded once per process and file version
(checklists/file_cache.py): asked again, the same object; a changed file — the one named or one it extends —
is read again; a file that fails to load is not remembered."""
from __future__ import annotations

import os

import pytest

from checklists.compile import ChecklistError
from checklists.loading import load_checklist
from checklists.methodology import load_methodology
from crawler.control.scenario import DEFAULT_FILE, load_scenarios


def _touch_later(path):
    """A new mtime even on a file system with coarse timestamps."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_a_file_is_loaded_once_and_again_when_it_changes(tmp_path):
    base = tmp_path / "base.yaml"
    child = tmp_path / "child.yaml"
    base.write_text("extends: social\nid: base\n", encoding="utf-8")
    child.write_text("extends: base.yaml\ndisable: [social_ok]\n", encoding="utf-8")
    first = load_checklist(child)
    assert load_checklist(child) is first and load_checklist(str(child)) is first
    assert load_checklist("social") is load_checklist(None)

    base.write_text("extends: social\nid: base-2\n", encoding="utf-8")      # the file it extends changed
    _touch_later(base)
    second = load_checklist(child)
    assert second is not first and second.id == "base-2" and not second.item("social_ok").enabled

    child.write_text("extends: base.yaml\n", encoding="utf-8")             # the file itself changed
    _touch_later(child)
    assert load_checklist(child).item("social_ok").enabled


def test_a_broken_file_is_not_remembered(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("extends: social\nitems: 5\n", encoding="utf-8")
    with pytest.raises(ChecklistError, match="items должно быть списком"):
        load_checklist(path)
    path.write_text("extends: social\nid: fixed\n", encoding="utf-8")
    _touch_later(path)
    assert load_checklist(path).id == "fixed"


def test_methodology_and_scenarios_are_loaded_once_per_version(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("extends: default\nuse_waiting_time_2_2: true\n", encoding="utf-8")
    m = load_methodology(path)
    assert load_methodology(path) is m and m.use_2_2
    path.write_text("extends: default\nuse_waiting_time_2_2: false\n", encoding="utf-8")
    _touch_later(path)
    assert load_methodology(path) is not m and not load_methodology(path).use_2_2
    assert load_methodology() is load_methodology("default")

    controls = tmp_path / "controls.yaml"
    controls.write_bytes(DEFAULT_FILE.read_bytes())
    s = load_scenarios(controls)
    assert load_scenarios(str(controls)) is s and s.scenarios
    controls.write_text(DEFAULT_FILE.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert load_scenarios(controls) is not s       # the size changed, even within one mtime tick
