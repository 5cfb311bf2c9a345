#!/usr/bin/env bash
# Install Debian's PostgreSQL server for the sql_query source's tests, once. Quiet; safe to run again.
# The tests start their own server on a free local port and stop it; nothing runs as a service.
set -euo pipefail
cd "$(dirname "$0")/.."

ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get > /dev/null; then
  echo "warning: PostgreSQL's initdb is missing and cannot be installed here (needs root and apt-get);" \
       "the PostgreSQL tests will fail" >&2
  exit 0
fi
mkdir -p .venv
echo "Installing Debian's postgresql for the SQL source tests (log: .venv/postgresql-install.log)..."
if ! { apt-get update -qq &&
       DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
         -o DPkg::Lock::Timeout=600 postgresql; } > .venv/postgresql-install.log 2>&1; then
  tail -20 .venv/postgresql-install.log >&2
  echo "error: installing postgresql failed; the full log is .venv/postgresql-install.log" >&2
  exit 1
fi
