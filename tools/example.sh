#!/usr/bin/env bash
# The README's first command: install unlock-feeling into .venv on a fresh Debian/Ubuntu machine
# (root or not; python3-venv is installed when missing) and analyse the bundled example. Extra
# arguments go to `unlock-feeling analyze` (default: -o interview.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1
. tools/system_packages.sh
ensure_packages python3-venv

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q .
[ $# -gt 0 ] || set -- -o interview.csv
.venv/bin/unlock-feeling analyze examples/interview.mp4 "$@"
