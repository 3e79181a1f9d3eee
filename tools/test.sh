#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian/Ubuntu machine (root or not), then run the
# linters, the type checker and the test suite. The README's test command and CI (.ci/run) both
# run exactly this script. Extra arguments go to pytest (e.g. `bash tools/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

# System packages the tests use: espeak-ng (test speech), sox, Chromium (browser test), a Korean
# font, and python3-venv. Installed only when missing; sudo only when not root.
PACKAGES="espeak-ng sox chromium fonts-nanum python3-venv"
if command -v apt-get >/dev/null && command -v dpkg >/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  missing=""
  for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    for attempt in 1 2 3; do
      if $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
        break
      fi
      [ "$attempt" = 3 ] && { echo "could not install:$missing" >&2; exit 1; }
      sleep 10
    done
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q torch==2.13.0          # the CPU build (see README)
python -m pip install -q -e ".[test,train,ray,service,dev]"

ruff check src tests benchmarks tools
mypy
python -m pytest "$@"
