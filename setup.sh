#!/usr/bin/env bash
# nok-audit set-up on a fresh Debian 12 machine (run as root or with sudo available):
# installs system packages (Chromium from Debian, fonts), a Python venv with exact pins, then audits the demo
# site that ships with nok-audit (served on loopback, works offline) and prints where the report is.
#   ./setup.sh            set up and run the demo audit
#   ./setup.sh --no-demo  set up only
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# postgresql: the optional store backend; its binaries also serve the store tests (never started as a service)
APT_PACKAGES="python3 python3-venv python3-dev gcc chromium fonts-dejavu-core fonts-liberation poppler-utils nginx wget postgresql"
# strace, iproute2 (ip): the tests record every network attempt of an audit in a loopback-only namespace
APT_PACKAGES="$APT_PACKAGES strace iproute2"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "==> apt-get install$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
echo "==> pip install (exact pins from requirements.lock)"
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
# Chromium comes from Debian (/usr/bin/chromium); Playwright's own browser download is never used.

# The real visually-impaired plugins the browser tests serve (tests/npm/package.json, exact pins in its
# package-lock.json), installed into the git-ignored tests/npm/node_modules; npm from Debian when missing.
if ! command -v npm >/dev/null 2>&1; then
  echo "==> apt-get install npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq npm >/dev/null
fi
echo "==> npm ci (tests/npm: test-site plugins)"
npm ci --prefix tests/npm --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null

if [ "${1:-}" != "--no-demo" ]; then
  echo "==> demo audit"
  .venv/bin/nok-audit demo --out nok-reports/demo
fi
