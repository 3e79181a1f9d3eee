#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian/Ubuntu machine (root or not), then run the
# linters, the type checker and the test suite. The README's test command and CI (.ci/run) both
# run exactly this script. Extra arguments go to pytest (e.g. `bash tools/test.sh -m "not slow"`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
. tools/system_packages.sh

# System packages the tests use: espeak-ng (test speech), sox, Chromium (browser test), a Korean
# font, and python3-venv.
ensure_packages espeak-ng sox chromium fonts-nanum python3-venv

[ -x .venv/bin/python ] || python3 -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
python -m pip install -q torch==2.13.0          # the CPU build (see README)
python -m pip install -q -e ".[test,train,ray,service,dev]"

ruff check src tests benchmarks tools
mypy
python -m pytest "$@"
