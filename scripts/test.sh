#!/usr/bin/env bash
# Set up, then run every quality gate: ruff, mypy, the import-linter layer contracts, pytest with coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup-browser.sh  # the dashboard's browser test; the demo does not need it
bash scripts/setup-postgresql.sh  # the sql_query source against a real server the tests start
export PATH="$PWD/.venv/bin:$PATH"

echo "== ruff";          ruff check .
echo "== ruff format";   ruff format --check .
echo "== mypy";          mypy
echo "== import-linter"; lint-imports
# Two workers (the machine has two cores); a test file stays on one worker, so module fixtures build once.
# Files are handed out in collection order (end-to-end first, see tests/conftest.py), not by test count.
# pytest-randomly shuffles the order within that (it prints its seed; `--randomly-seed=N` replays a run),
# so a test that depends on another's leftovers fails here. The slowest tests are listed.
echo "== pytest";        pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15 --cov=factory --cov=components --cov-report=term:skip-covered "$@"
