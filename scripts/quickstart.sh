#!/usr/bin/env bash
# The main job: start a local aleph4j network (CCN, scheduler, 3 CRNs) on 127.0.0.1, deploy the
# tutorial's FastAPI program persistently, show where it runs and call it through the network.
# Ctrl-C stops the network; with --exit it stops by itself after the demonstration.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$ROOT"
EXIT_AFTER=0
for arg in "$@"; do
  case "$arg" in
    --exit) EXIT_AFTER=1 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $arg (use --exit or --help)" >&2; exit 2 ;;
  esac
done

source scripts/setup.sh
# as root the devnet runs programs in the sandbox: install what it needs, as the test command does
if [ "$(id -u)" = 0 ]; then ALEPH4J_WITH_SANDBOX=1 aleph4j_setup || exit 1; else aleph4j_setup || exit 1; fi
source scripts/java-home.sh
scripts/build.sh

DATA=${ALEPH4J_DEVNET_DIR:-$HOME/.aleph4j/devnet}
export ALEPH_HOME=${ALEPH_HOME:-$HOME/.aleph-im}
CCN=http://127.0.0.1:4024 SCHEDULER=http://127.0.0.1:4030 CRN=http://127.0.0.1:4041
export ALEPH_CCN_URL=$CCN ALEPH_SCHEDULER_URL=$SCHEDULER ALEPH_CRN_URL=$CRN
mkdir -p "$DATA"
LOG="$DATA/devnet.log"
: > "$LOG"

echo "==> starting the devnet (logs: $LOG)"
bin/aleph-node devnet --data "$DATA" >>"$LOG" 2>&1 &
DEVNET=$!
stop_devnet() {
  trap - EXIT INT TERM
  if kill -0 "$DEVNET" 2>/dev/null; then
    echo "==> stopping the devnet"
    # SIGTERM: a background job of a non-interactive shell ignores SIGINT, so the JVM would never see it.
    kill -TERM "$DEVNET" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$DEVNET" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$DEVNET" 2>/dev/null || true
  fi
  wait "$DEVNET" 2>/dev/null || true
}
trap stop_devnet EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 240); do
  grep -q "devnet ready" "$LOG" && break
  if ! kill -0 "$DEVNET" 2>/dev/null; then echo "the devnet failed to start; last lines of $LOG:" >&2; tail -20 "$LOG" >&2; exit 1; fi
  sleep 0.5
done
grep -q "devnet ready" "$LOG" || { echo "the devnet did not become ready in 120 s; see $LOG" >&2; exit 1; }
echo "==> console: $SCHEDULER/console/"
sed -n '/devnet ready/,$p' "$LOG" | head -12

HASH=""
if [ -f "$DATA/quickstart.hash" ]; then
  old=$(cat "$DATA/quickstart.hash")
  if bin/aleph program status "$old" >/dev/null 2>&1; then HASH=$old; echo "==> reusing the program deployed by an earlier run: $HASH"; fi
fi
if [ -z "$HASH" ]; then
  echo "==> aleph program upload --persistent examples/hello-fastapi/src main:app"
  out=$(bin/aleph program upload --persistent examples/hello-fastapi/src main:app --name hello-fastapi)
  echo "$out"
  HASH=$(echo "$out" | grep -oE '[0-9a-f]{64}' | head -1)
  [ -n "$HASH" ] || { echo "upload printed no item hash" >&2; exit 1; }
  echo "$HASH" > "$DATA/quickstart.hash"
fi

echo "==> waiting for the scheduler to place it and for it to answer"
for _ in $(seq 1 120); do
  if body=$(curl -fsS --max-time 5 "$CRN/vm/$HASH/" 2>/dev/null); then break; fi
  body=""
  sleep 0.5
done
echo "==> aleph program status $HASH"
bin/aleph program status "$HASH" || true
[ -n "$body" ] || { echo "the program did not answer within 60 s" >&2; exit 1; }
# which CRN runs it, and in which executor (sandbox: isolated; process: not isolated)
NODE_URL=$(bin/aleph program status "$HASH" --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
def find(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("node_url", "url") and isinstance(v, str) and v.startswith("http") and "/vm/" not in v:
                return v
            r = find(v)
            if r: return r
    return None
print(find(d) or "")' || true)
NODE_URL=${NODE_URL:-$CRN}
EXECUTOR=$(curl -fsS --max-time 5 "$NODE_URL/about" 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("executor","unknown"))' 2>/dev/null || echo unknown)
echo "==> executor running the program on $NODE_URL: $EXECUTOR"
echo "==> curl $CRN/vm/$HASH/"
echo "$body"
echo
echo "Your program runs persistently: $CRN/vm/$HASH/ (any CRN forwards to the one that runs it)."
echo "Stop it with: ALEPH_HOME=$ALEPH_HOME bin/aleph unpersist $HASH"
echo "See where it runs and how it moved: console: $SCHEDULER/console/#/program/$HASH"
if [ "$EXIT_AFTER" = 1 ]; then exit 0; fi
echo "The devnet keeps running; press Ctrl-C to stop it."
wait "$DEVNET"
