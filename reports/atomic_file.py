"""The one atomic file write of nok-audit: readers (a web page, a worker, a person) see the old file or the
new one, never half of it."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

# The process's umask, read once at import: os.umask can only be read by setting it, and setting it while
# other threads create files (serve, the browser stage's worker threads) would hand them mode 0666.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def write_atomically(path: Path, data: bytes | str, *, mode: int | None = None, durable: bool = False) -> Path:
    """Write `data` (str: UTF-8) to `path` through a temporary file in the same folder.

    `mode`: the file's permissions; None gives what open() would (0666 less the umask; mkstemp makes 0600).
    `durable`: fsync before the rename (files a system service reads after a crash: cron, systemd units).
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            os.fchmod(f.fileno(), 0o666 & ~_UMASK if mode is None else mode)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
