#!/usr/bin/env bash
# The test command: builds every module and runs all tests (unit, CCN/CRN/scheduler over real HTTP, end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/java-home.sh
exec mvn -B -ntp verify "$@"
