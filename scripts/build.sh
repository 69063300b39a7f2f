#!/usr/bin/env bash
# Builds the distribution (aleph4j-node/target with every jar) when it is missing or older than the sources.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
source scripts/java-home.sh
JAR=aleph4j-node/target/aleph4j-node-0.1.0-SNAPSHOT.jar
STAMP=aleph4j-node/target/.built
if [ -f "$JAR" ] && [ -f "$STAMP" ] && [ -d aleph4j-node/target/lib ] && \
   [ -z "$(find . -path ./aleph4j-it -prune -o -path ./aleph4j-bench -prune -o \( -path '*/src/main/*' -o -name pom.xml \) -newer "$STAMP" -print -quit)" ]; then
  exit 0
fi
echo "aleph4j: building (mvn package, about a minute the first time)..." >&2
# Maven's own JDK warnings are noise here; real errors still fail the build (pipefail). Maven 3.8's
# jansi writes colour resets (ESC[0m) even with -B -Dstyle.color=never: strip them and the empty
# lines they leave, so a first run prints only this script's line and any real error.
mvn -q -B -ntp -Dstyle.color=never package -DskipTests -pl aleph4j-node -am 2>&1 \
  | sed -u -e 's/\x1b\[[0-9;]*[A-Za-z]//g' | grep -v -e 'WARNING: ' -e '^[[:space:]]*$' >&2 || { [ "${PIPESTATUS[0]}" = 0 ] || exit 1; }
# Maven leaves the jar untouched when the node module itself did not change: stamp the build instead.
touch "$STAMP"
