"""Data files loaded once per process and file version: checklists, methodologies, control scenarios.

Loading one (YAML, validation, the phrase automaton) costs milliseconds, and an audit asks for each several
times (plan validation, document ranking, evaluation, the report), a worker for every site it audits. An
entry holds the loaded object and the version (mtime, size) of every file it was read from; when one of
them changes the object is loaded again. A load that fails is not kept. The objects are shared: callers
read them and never change them.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Hashable, Iterable, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 32        # a process uses a handful of files; an operator's many edits must not pile up

_entries: dict[Hashable, tuple[object, tuple[tuple[str, tuple[int, int] | None], ...]]] = {}


def _version(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def loaded_once(key: Hashable, load: Callable[[], tuple[T, Iterable[str | Path]]]) -> T:
    """The object `load()` returns for `key` (with the files it read), loaded again only when one of those
    files has changed since."""
    entry = _entries.get(key)
    if entry is not None and all(_version(f) == v for f, v in entry[1]):
        return entry[0]
    value, files = load()
    if len(_entries) >= MAX_ENTRIES:
        _entries.pop(next(iter(_entries)))
    _entries[key] = (value, tuple((str(f), _version(str(f))) for f in files))
    return value
