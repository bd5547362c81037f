#!/usr/bin/env bash
# Runs the whole nok-audit test suite (after ./setup.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
exec .venv/bin/python -m pytest "$@"
