"""Exit codes of `nok-audit`, the user-error exception, and the one wrapper that turns failures into them.

Every process that audits (the CLI, a batch's per-site process) ends through `guarded`, so no traceback
reaches a user without the Russian line that says what happened.
"""
from __future__ import annotations

import sys
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
        traceback.print_exc()
        print("Внутренняя ошибка nok-audit: пожалуйста, сообщите о ней разработчикам (текст выше).", file=sys.stderr)
        return EXIT_BUG
