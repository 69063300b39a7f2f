#!/usr/bin/env bash
# Builds the distribution (aleph4j-node/target with every jar) when it is missing or older than the sources.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
source scripts/java-home.sh
JAR=aleph4j-node/target/aleph4j-node-0.1.0-SNAPSHOT.jar
if [ -f "$JAR" ] && [ -d aleph4j-node/target/lib ] && \
   [ -z "$(find . -path ./aleph4j-it -prune -o -path ./aleph4j-bench -prune -o \( -path '*/src/main/*' -o -name pom.xml \) -newer "$JAR" -print -quit)" ]; then
  exit 0
fi
echo "aleph4j: building (mvn package, about a minute the first time)..." >&2
mvn -q -B -ntp package -DskipTests -pl aleph4j-node -am >&2
