#!/usr/bin/env bash
# Set up, then build every example use case with DVC and print their metrics.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

factory check
factory compile --check
factory build
echo
factory inventory
factory readiness
factory dashboard --out build/dashboard
echo
echo "Model cards:  use_cases/*/artifacts/model_card.md"
echo "Plots:        use_cases/*/artifacts/plots/*.png   (or: dvc plots show use_cases/churn/dvc.yaml)"
echo "Metrics:      dvc metrics show"
echo "Dashboard:    build/dashboard/index.html (static; open it in a browser)"
echo "Readiness:    factory readiness NAME (a release and a monitored batch earn the rest: docs/readiness.md)"
