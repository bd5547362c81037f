#!/usr/bin/env bash
# Runs the import contracts and the whole nok-audit test suite (after ./setup.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
# The import contracts first (.importlinter: layers crawler -> reports -> checklists, no cycles): a violation fails.
.venv/bin/lint-imports --no-cache --no-logo
exec .venv/bin/python -m pytest "$@"
