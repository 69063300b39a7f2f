#!/usr/bin/env bash
# The test command: installs what the tests need (when run as root), starts PostgreSQL if it is
# installed but stopped, then builds every module and runs all tests (unit, HTTP, multi-process).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
ALEPH4J_WITH_SANDBOX=1 ALEPH4J_WITH_EXAMPLES=1 aleph4j_setup
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
source scripts/java-home.sh
exec mvn -B -ntp verify "$@"
