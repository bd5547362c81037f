"""Exit codes of `nok-audit`, the user-error exception, and the one wrapper that turns failures into them.

Every process that audits (the CLI, a batch's per-site process) ends through `guarded`, so no traceback
reaches a user: an internal error is one Russian line naming the file that holds its traceback.
"""
from __future__ import annotations

import os
import sys
import tempfile
import traceback
from typing import Callable

from crawler.scope import InvalidURL
from crawler.store import StoreError

EXIT_OK, EXIT_BUG, EXIT_BAD_INPUT, EXIT_UNREACHABLE, EXIT_TAMPERED, EXIT_FALLS_SHORT = 0, 1, 2, 3, 4, 5


class BadInput(ValueError):
    """A user error, with a Russian message saying what to fix."""


def guarded(call: Callable[[], int]) -> int:
    """Run `call`; its exit code, or the code of what it raised with a Russian message on stderr."""
    try:
        return call()
    except (BadInput, InvalidURL) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreError as exc:             # the store failed mid-run; what was finished is kept (see the text)
        print(f"Ошибка: {exc}", file=sys.stderr)
        return EXIT_BUG
    except KeyboardInterrupt:
        print("Прервано пользователем.", file=sys.stderr)
        return EXIT_BUG
    except Exception:
        print(f"Внутренняя ошибка nok-audit: {_keep_traceback()}", file=sys.stderr)
        return EXIT_BUG


def _keep_traceback() -> str:
    """The traceback of the exception being handled goes to a file for the developers, not to the user's screen;
    what to tell the user (Russian)."""
    try:
        fd, path = tempfile.mkstemp(prefix="nok-audit-error-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            traceback.print_exc(file=f)
    except OSError:
        return "пожалуйста, сообщите о ней разработчикам (подробности не удалось записать: нет места для файла)."
    return f"пожалуйста, сообщите о ней разработчикам и приложите файл {path}."
