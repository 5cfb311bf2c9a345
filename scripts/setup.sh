#!/usr/bin/env bash
# Create .venv and install the project with its pinned dependencies. Safe to run again:
# it reinstalls only when pyproject.toml or constraints.txt changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Python 3.11 or newer is needed (found $("$PYTHON" --version 2>&1)); set PYTHON=..." >&2
  exit 2
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

stamp=.venv/.setup-stamp
wanted=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "Installing the project and its pinned dependencies into .venv (log: .venv/install.log)..."
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install --disable-pip-version-check -c constraints.txt -e ".[dev]"; } \
       > .venv/install.log 2>&1; then
    tail -30 .venv/install.log >&2
    echo "error: installing the project failed; the full log is .venv/install.log" >&2
    exit 1
  fi
  echo "$wanted" > "$stamp"
fi
