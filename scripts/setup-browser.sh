#!/usr/bin/env bash
# Install Debian's Chromium for the dashboard's browser tests, once. Quiet; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
  echo "warning: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get);" \
       "the dashboard's browser test will fail" >&2
  exit 0
fi
mkdir -p .venv
echo "Installing Debian's chromium for the browser tests (log: .venv/chromium-install.log)..."
if ! { apt-get update -qq &&
       DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
         -o DPkg::Lock::Timeout=600 chromium; } > .venv/chromium-install.log 2>&1; then
  tail -20 .venv/chromium-install.log >&2
  echo "error: installing chromium failed; the full log is .venv/chromium-install.log" >&2
  exit 1
fi
