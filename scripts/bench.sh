#!/usr/bin/env bash
# Runs a benchmark and prints its figures (benchmarks are never part of the tests).
#   scripts/bench.sh message     JMH: signature verification (native, pure Java) and envelope validation
#   scripts/bench.sh ccn         signed messages accepted per second over HTTP (SQLite, PostgreSQL if reachable)
#   scripts/bench.sh files       CCN file store put/get throughput, 1 and 64 MiB: local, S3 (s3rver via npx), peer fetch
#   scripts/bench.sh crn         cold start and warm latency through a CRN versus direct, then sandbox vs process
#                                executor with all protections (the sandbox half needs root), then the sandbox's
#                                FastAPI cold start from its warm pool
#   scripts/bench.sh gateway [SECONDS] [ROUNDS]
#                                wrk against one FastAPI program: direct, nginx (1 and 2 workers), the gateway
#                                /vm/HASH/ and a persistent program through a forwarding CRN (two hops), at 1 and
#                                8 connections (uses nginx and wrk when present; installs nothing)
#   scripts/bench.sh volumes [INTERVALS] [RESTORE_MIB]
#                                persistent volumes (root, btrfs-progs): a writer's latency during 2 s snapshots,
#                                bytes shipped per byte changed, restore time of a 1 GiB volume from a real CCN
#   scripts/bench.sh placement   100,000 programs onto 10,000 simulated nodes
#   scripts/bench.sh failover    kill -9 of the CRN holding a persistent program, 10 runs, multi-process
#   scripts/bench.sh heartbeats [NODES] [PROGRAMS] [sqlite|postgres] [SECONDS] [session|signed] [CONNS] [JOIN/s]
#                                simulated CRNs (default 10,000, 50,000 programs, SQLite) heartbeating a scheduler process
#                                at 1 s: rate, latency, CPU, then 1,000 nodes stop: failover time, false failovers
#   scripts/bench.sh faults [RUNS] [PROFILES]
#                                the fault suite (CRNs in network namespaces, both executors; root, PostgreSQL)
#                                RUNS times per fault (default 10) for each profile (default "defaults fast"),
#                                then rewrites the figures of docs/reliability.md
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
source scripts/java-home.sh
which=${1:-}
[ -n "$which" ] || { sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 2; }
shift
if [ "$which" = faults ]; then
  runs=${1:-10}
  profiles=${2:-defaults fast}
  status=0
  for profile in $profiles; do
    rm -f aleph4j-it/target/fault-figures/*-"$profile".tsv
    # the tests' own assertions still hold here: a failed run is reported, and its figures are kept
    mvn -q -B -ntp install -DskipTests >&2
    mvn -B -ntp -pl aleph4j-it test -Dtest='Faults*Test' -Daleph4j.faults.runs="$runs" -Daleph4j.faults.profile="$profile" \
      -Dsurefire.failIfNoSpecifiedTests=false >&2 || status=1
  done
  python3 scripts/fault-figures.py aleph4j-it/target/fault-figures docs/reliability.md
  exit $status
fi
mvn -q -B -ntp install -DskipTests -pl aleph4j-bench -am >&2
mvn -q -B -ntp -pl aleph4j-bench dependency:build-classpath -Dmdep.outputFile=target/cp.txt >&2
CP="aleph4j-bench/target/classes:$(cat aleph4j-bench/target/cp.txt)"
export ALEPH4J_LOG_LEVEL=${ALEPH4J_LOG_LEVEL:-WARN}
run() { exec java --enable-native-access=ALL-UNNAMED -cp "$CP" "$@"; }
case "$which" in
  message) run org.openjdk.jmh.Main 'org.aleph4j.bench.message.*' -f 1 -wi 2 -w 2s -i 3 -r 2s "$@" ;;
  ccn) run org.aleph4j.bench.ccn.CcnThroughput "$@" ;;
  files) run org.aleph4j.bench.ccn.FileStoreBench "$@" ;;
  crn) java --enable-native-access=ALL-UNNAMED -cp "$CP" org.aleph4j.bench.crn.CrnLatency "$@"
       run org.aleph4j.bench.crn.CrnSandboxLatency ;;
  gateway) run org.aleph4j.bench.crn.GatewayBench "$@" ;;
  volumes) run org.aleph4j.bench.crn.VolumeBench "$@" ;;
  placement) run org.aleph4j.bench.scheduler.PlacementBench "$@" ;;
  failover) scripts/build.sh; run org.aleph4j.bench.scheduler.FailoverBench "${1:-10}" "$ROOT" ;;
  heartbeats) run org.aleph4j.bench.scheduler.HeartbeatLoad "$@" ;;
  *) echo "unknown benchmark $which (message, ccn, files, crn, gateway, volumes, placement, failover, heartbeats, faults)" >&2; exit 2 ;;
esac
