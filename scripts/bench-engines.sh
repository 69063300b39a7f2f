#!/usr/bin/env bash
# Measures the candidate engines for shipping persistent volumes on this machine: btrfs snapshots with
# send/receive (what aleph4j uses) versus restic backups of a read-only btrfs snapshot (a consistent
# view), for the same workloads, and prints a table (Markdown, as in docs/volumes.md "Engine choice").
#
#   A (incremental): a 256 MiB volume holding 200 MiB of random data (one 150 MiB "database" file and
#     50 files of 1 MiB); then ROUNDS rounds, each rewriting 1 MiB of the big file in 256 scattered
#     4 KiB writes and adding one new 1 MiB file, then
#       btrfs:  btrfs subvolume snapshot -r + btrfs send -p <previous> to a file (time, stream bytes)
#       restic: restic backup of that same read-only snapshot, bind-mounted at a fixed path so restic
#               finds its parent snapshot (time, bytes added to the repository, by du)
#   pause: a writer doing 4 KiB pwrite+fsync every 5 ms on the big file while snapshots are taken;
#     its worst write latency during a snapshot versus outside (restic over a snapshot has the same pause)
#   B (restore): a 1 GiB volume holding 900 MiB (one 600 MiB file and 300 files of 1 MiB): the full send
#     stream received into a fresh image, versus restic restore of its backup into a fresh image;
#     page cache dropped before each restore, both ending with a sync of the target.
#
# Needs root (loop mounts), btrfs in the kernel, btrfs-progs, restic and python3; installs the Debian
# packages btrfs-progs and restic when missing and running as root with apt-get. Everything lives in
# one temporary directory (under $TMPDIR or /var/tmp) that is unmounted and removed on exit, failure
# included. Images are made and mounted as aleph4j's VolumeDisk makes them (--mixed, the same size rule,
# btrfs quotas enabled with drop_subtree_threshold 8 and live limited to the volume's size).
# Environment: ROUNDS (default 10), QUOTA=0 leaves quotas off, KEEP=1 keeps the directory for inspection.
set -euo pipefail
shopt -s inherit_errexit

ROUNDS=${ROUNDS:-10}
QUOTA=${QUOTA:-1}
TO=300 # seconds allowed to any single command
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

say() { printf '%s\n' "$*"; }
step() { printf '  .. %s\n' "$*"; }
die() { printf 'bench-engines: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (loop-mounted btrfs images)"
grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || die "btrfs is not available in this kernel"
need=()
{ command -v mkfs.btrfs && command -v btrfs; } >/dev/null 2>&1 || need+=(btrfs-progs)
command -v restic >/dev/null 2>&1 || need+=(restic)
[ -n "$PY" ] || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "needs the packages ${need[*]}"
  say "bench-engines: installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  timeout "$TO" apt-get update -qq >/dev/null
  timeout "$TO" apt-get install -y -qq "${need[@]}" >/dev/null
  PY=/usr/bin/python3
fi

W=$(mktemp -d "${TMPDIR:-/var/tmp}/bench-engines.XXXXXX")
WRITER_PID=
cleanup() {
  local rc=$? m img dev left=0
  set +e
  [ -n "$WRITER_PID" ] && kill "$WRITER_PID" 2>/dev/null && wait "$WRITER_PID" 2>/dev/null
  # our mounts, deepest first (bind mounts of snapshots sit on top of the images' mounts)
  for m in $(awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    timeout 60 umount "$m" 2>/dev/null || timeout 60 umount -l "$m" 2>/dev/null
  done
  for img in "$W"/*.img; do
    [ -e "$img" ] || continue
    for dev in $(losetup -j "$img" 2>/dev/null | cut -d: -f1); do losetup -d "$dev" 2>/dev/null; done
  done
  if awk -v w="$W/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    left=1; say "bench-engines: something is still mounted under $W; left it in place" >&2
  fi
  if [ "${KEEP:-0}" = 1 ]; then
    say "bench-engines: kept $W"
  elif [ $left = 0 ]; then
    rm -rf --one-file-system "$W"
  fi
  [ $rc = 0 ] || say "bench-engines: FAILED (exit $rc)" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
quiet() { local out; out=$("$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }; } # output only on failure
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
bytes() { du -sb --apparent-size "$1" | cut -f1; }

# A volume image as aleph4j's VolumeDisk makes it: the request + 8 MiB + 4 KiB per MiB + 4 MiB, --mixed,
# quotas on with full accounting on deletes (drop_subtree_threshold 8), as for a persistent volume.
new_volume() { # name size_mib -> mounted at $W/name
  local name=$1 mib=$2 uuid
  truncate -s $(( (mib + 8 + (mib * 4 + 1023) / 1024 + 4) * 1024 * 1024 )) "$W/$name.img"
  quiet timeout "$TO" mkfs.btrfs -q --mixed -K -L bench-engines "$W/$name.img"
  mkdir -p "$W/$name"
  timeout "$TO" mount -t btrfs -o loop,noatime,nodev,nosuid "$W/$name.img" "$W/$name"
  if [ "$QUOTA" = 1 ]; then
    timeout "$TO" btrfs quota enable "$W/$name"
    uuid=$(btrfs filesystem show "$W/$name" | awk '/uuid:/ { print $NF; exit }')
    echo 8 >"/sys/fs/btrfs/$uuid/qgroups/drop_subtree_threshold"
  fi
}
new_live() { # volume_dir size_mib: an empty live subvolume, limited to the size when quotas are on
  timeout "$TO" btrfs -q subvolume create "$1/live"
  [ "$QUOTA" = 1 ] && timeout "$TO" btrfs qgroup limit "$2M" "$1/live"
  return 0
}

# Random data: python writes the files (urandom), one big file and N small ones.
cat >"$W/gen.py" <<'EOF'
import os, sys
d, big_mib, n_small, small_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def write(path, mib):
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
write(os.path.join(d, "db.bin"), big_mib)
for i in range(n_small):
    write(os.path.join(d, "small-%03d.bin" % i), small_mib)
EOF
# One round's change: 256 distinct random 4 KiB blocks of the big file rewritten (1 MiB), no fsync.
cat >"$W/scatter.py" <<'EOF'
import os, random, sys
path, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
fd = os.open(path, os.O_WRONLY)
blocks = os.fstat(fd).st_size // 4096
for b in rnd.sample(range(blocks), 256):
    os.pwrite(fd, os.urandom(4096), b * 4096)
os.close(fd)
EOF
# The writer: 4 KiB pwrite+fsync at a random block every 5 ms until the stop file appears; logs start/end.
cat >"$W/writer.py" <<'EOF'
import os, random, sys, time
path, log, stop = sys.argv[1], sys.argv[2], sys.argv[3]
fd = os.open(path, os.O_WRONLY)
blocks = os.fstat(fd).st_size // 4096
buf = os.urandom(4096)
rows = []
while not os.path.exists(stop):
    off = random.randrange(blocks) * 4096
    t0 = time.time(); os.pwrite(fd, buf, off); os.fsync(fd); t1 = time.time()
    rows.append("%.6f %.6f\n" % (t0, t1))
    time.sleep(0.005)
with open(log, "w") as f:
    f.writelines(rows)
EOF

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || step "(could not drop the page cache)"; }

export RESTIC_PASSWORD=bench-engines-$RANDOM$RANDOM RESTIC_CACHE_DIR=$W/restic-cache RESTIC_PROGRESS_FPS=0.01
restic_backup() { # repo dir host -> prints "seconds data_added files_changed files_unmodified"
  local repo=$1 dir=$2 host=$3 t0 t1 out
  t0=$(now)
  out=$(timeout "$TO" restic -r "$repo" backup --json --host "$host" "$dir" | grep '"message_type":"summary"')
  t1=$(now)
  "$PY" -c 'import json,sys; s=json.loads(sys.argv[2]); print(sys.argv[1], s["data_added"], s["files_new"]+s["files_changed"], s["files_unmodified"])' \
    "$(secs "$t0" "$t1")" "$out"
}

say "bench-engines: $(nproc) cores, kernel $(uname -r), $(btrfs --version), $(restic version | cut -d' ' -f1-2), quotas $([ "$QUOTA" = 1 ] && echo on || echo off), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "bench-engines: working in $W"
START=$(now)

# ---------------------------------------------------------------- A: incremental rounds
say "A: 256 MiB volume, 200 MiB of random data, $ROUNDS rounds of 1 MiB scattered 4 KiB writes + one new 1 MiB file"
new_volume a 256
A=$W/a
new_live "$A" 256
timeout "$TO" "$PY" "$W/gen.py" "$A/live" 150 50 1
timeout "$TO" btrfs filesystem sync "$A"
mkdir -p "$W/streams" "$W/view"

t0=$(now)
timeout "$TO" btrfs -q subvolume snapshot -r "$A/live" "$A/snap-0"
timeout "$TO" btrfs send -q -f "$W/streams/a-0" "$A/snap-0"
t1=$(now)
full_btrfs_s=$(secs "$t0" "$t1"); full_btrfs_b=$(bytes "$W/streams/a-0")
step "btrfs full: ${full_btrfs_s}s, stream $full_btrfs_b bytes"

timeout "$TO" restic -r "$W/repo-a" init -q >/dev/null
timeout "$TO" mount --bind "$A/snap-0" "$W/view"
r=$(restic_backup "$W/repo-a" "$W/view" bench-a); read -r full_restic_s full_restic_added _ _ <<<"$r"
timeout 60 umount "$W/view"
full_restic_b=$(bytes "$W/repo-a")
step "restic full: ${full_restic_s}s, repository $full_restic_b bytes (data added $full_restic_added)"

: >"$W/rounds.tsv"
for n in $(seq 1 "$ROUNDS"); do
  timeout "$TO" "$PY" "$W/scatter.py" "$A/live/db.bin" "$n"
  head -c 1048576 /dev/urandom >"$A/live/new-$n.bin"
  changed=$((2 * 1048576))

  t0=$(now)
  timeout "$TO" btrfs -q subvolume snapshot -r "$A/live" "$A/snap-$n"
  t1=$(now)
  timeout "$TO" btrfs send -q -p "$A/snap-$((n - 1))" -f "$W/streams/a-$n" "$A/snap-$n"
  t2=$(now)
  snap_s=$(secs "$t0" "$t1"); send_s=$(secs "$t1" "$t2"); stream_b=$(bytes "$W/streams/a-$n")

  before=$(bytes "$W/repo-a")
  timeout "$TO" mount --bind "$A/snap-$n" "$W/view"
  r=$(restic_backup "$W/repo-a" "$W/view" bench-a); read -r restic_s restic_added restic_files restic_unmod <<<"$r"
  timeout 60 umount "$W/view"
  after=$(bytes "$W/repo-a")
  repo_b=$((after - before))

  timeout "$TO" btrfs -q subvolume delete "$A/snap-$((n - 1))" # the node keeps only the parent
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$changed" "$snap_s" "$send_s" "$stream_b" "$restic_s" "$repo_b" \
    "$restic_added" "$restic_files/$restic_unmod" >>"$W/rounds.tsv"
  step "round $n: btrfs snapshot ${snap_s}s + send ${send_s}s, stream $stream_b bytes; restic ${restic_s}s, repository +$repo_b bytes (files read/unmodified $restic_files/$restic_unmod)"
done

# ---------------------------------------------------------------- pause seen by a writer
say "pause: a writer does 4 KiB pwrite+fsync every 5 ms on the big file; 10 snapshot+send cycles, 1 s apart"
last=$ROUNDS
rm -f "$W/stop"
"$PY" "$W/writer.py" "$A/live/db.bin" "$W/writer.log" "$W/stop" &
WRITER_PID=$!
sleep 2
: >"$W/windows.tsv"
for i in $(seq 1 10); do
  n=$((ROUNDS + i))
  t0=$(now)
  timeout "$TO" btrfs -q subvolume snapshot -r "$A/live" "$A/snap-$n"
  t1=$(now)
  timeout "$TO" btrfs send -q -p "$A/snap-$last" -f /dev/null "$A/snap-$n"
  timeout "$TO" btrfs -q subvolume delete "$A/snap-$last"
  t2=$(now)
  printf '%s\t%s\t%s\n' "$t0" "$t1" "$t2" >>"$W/windows.tsv"
  last=$n
  sleep 1
done
sleep 1
touch "$W/stop"
wait "$WRITER_PID" || die "the writer failed"
WRITER_PID=
pause_line=$("$PY" - "$W/writer.log" "$W/windows.tsv" <<'EOF'
import sys
writes = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
wins = [tuple(map(float, l.split())) for l in open(sys.argv[2])]
SLACK = 0.25  # a write up to 250 ms after the snapshot returned still counts as during it
snap, out = [], []
for a, b in writes:
    (snap if any(a < s1 + SLACK and b > s0 for s0, s1, _ in wins) else out).append((b - a) * 1000)
def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))] if xs else float("nan")
print("%d %.1f %.1f %.1f %d %.1f %.1f %.1f %.1f" % (len(snap), q(snap, .5), q(snap, .99), max(snap or [0]),
      len(out), q(out, .5), q(out, .99), max(out or [0]), max((s1 - s0) * 1000 for s0, s1, _ in wins)))
EOF
)
read -r p_snap_n p_snap_p50 p_snap_p99 p_snap_max p_out_n p_out_p50 p_out_p99 p_out_max p_snapdur <<<"$pause_line"
step "writes during a snapshot (+250 ms): $p_snap_n, p50/p99/max ${p_snap_p50}/${p_snap_p99}/${p_snap_max} ms; outside: $p_out_n, p50/p99/max ${p_out_p50}/${p_out_p99}/${p_out_max} ms; longest snapshot command ${p_snapdur} ms"
timeout 60 umount "$A"
rm -f "$W/a.img" "$W/streams"/a-*

# ---------------------------------------------------------------- B: restore of a 1 GiB volume
say "B: 1 GiB volume, 900 MiB of random data (one 600 MiB file, 300 files of 1 MiB): full restore"
new_volume b 1024
B=$W/b
new_live "$B" 1024
timeout "$TO" "$PY" "$W/gen.py" "$B/live" 600 300 1
timeout "$TO" btrfs -q subvolume snapshot -r "$B/live" "$B/snap-1"
t0=$(now)
timeout "$TO" btrfs send -q -f "$W/streams/b-1" "$B/snap-1"
t1=$(now)
b_send_s=$(secs "$t0" "$t1"); b_stream_b=$(bytes "$W/streams/b-1")
step "btrfs full send: ${b_send_s}s, stream $b_stream_b bytes"
timeout "$TO" restic -r "$W/repo-b" init -q >/dev/null
timeout "$TO" mount --bind "$B/snap-1" "$W/view"
r=$(restic_backup "$W/repo-b" "$W/view" bench-b); read -r b_backup_s _ _ _ <<<"$r"
timeout 60 umount "$W/view"
b_repo_b=$(bytes "$W/repo-b")
step "restic full backup: ${b_backup_s}s, repository $b_repo_b bytes"
expect_files=$(find "$B/snap-1" -type f | wc -l); expect_bytes=$(bytes "$B/snap-1")
cmp_src=$B/snap-1/db.bin

new_volume rb 1024
drop_caches
t0=$(now)
timeout "$TO" btrfs receive -q -f "$W/streams/b-1" "$W/rb"
timeout "$TO" btrfs filesystem sync "$W/rb"
t1=$(now)
b_recv_s=$(secs "$t0" "$t1")
step "btrfs receive into a fresh image: ${b_recv_s}s"

new_volume rr 1024
drop_caches
t0=$(now)
timeout "$TO" restic -r "$W/repo-b" restore latest --host bench-b --target "$W/rr/restored" -q
sync -f "$W/rr"
t1=$(now)
b_restore_s=$(secs "$t0" "$t1")
step "restic restore into a fresh image: ${b_restore_s}s"

for d in "$W/rb/snap-1" "$W/rr/restored$W/view"; do
  [ "$(find "$d" -type f | wc -l)" = "$expect_files" ] && [ "$(bytes "$d")" = "$expect_bytes" ] && cmp -s "$cmp_src" "$d/db.bin" \
    || die "restored copy $d differs from the source"
done
step "both restored copies match the source (file count, bytes, big file compared)"

# ---------------------------------------------------------------- table
say ""
say "Figures ($(date -u +%F), $(nproc) cores, quotas $([ "$QUOTA" = 1 ] && echo on || echo off), load at end $(cut -d' ' -f1-3 /proc/loadavg), total $(secs "$START" "$(now)") s):"
say ""
"$PY" - "$W/rounds.tsv" <<EOF
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
changed = int(rows[0][1])
bt = [float(r[2]) + float(r[3]) for r in rows]; bsnap = [float(r[2]) for r in rows]
bb = [int(r[4]) for r in rows]
rt = [float(r[5]) for r in rows]; rb = [int(r[6]) for r in rows]
MiB = 1048576
def mib(x): return "%.1f MiB" % (x / MiB)
print("| %s | btrfs send/receive | restic (over a btrfs snapshot) |" % "")
print("|---|---|---|")
print("| A: first full copy of 200 MiB: time, bytes | %.2f s, %s | %.2f s, %s |" % ($full_btrfs_s, mib($full_btrfs_b), $full_restic_s, mib($full_restic_b)))
print("| A: per round (%d rounds, %s changed each): time p50 / max | %.2f / %.2f s (snapshot alone p50 %.3f s) | %.2f / %.2f s (plus the snapshot) |" % (
    len(rows), mib(changed), statistics.median(bt), max(bt), statistics.median(bsnap), statistics.median(rt), max(rt)))
print("| A: bytes shipped per round p50 / max | %s / %s | %s / %s |" % (mib(statistics.median(bb)), mib(max(bb)), mib(statistics.median(rb)), mib(max(rb))))
print("| A: bytes shipped / bytes changed (p50) | %.2f | %.2f |" % (statistics.median(bb) / changed, statistics.median(rb) / changed))
print("| B: 1 GiB volume, 900 MiB: full copy (send / backup), bytes | %.1f s, %s | %.1f s, %s |" % ($b_send_s, mib($b_stream_b), $b_backup_s, mib($b_repo_b)))
print("| B: restore into a fresh image (cold cache) | %.1f s (btrfs receive) | %.1f s (restic restore) |" % ($b_recv_s, $b_restore_s))
print("| writer's 4 KiB write+fsync during a snapshot / outside: max (p99) | %.0f (%.0f) ms / %.0f (%.0f) ms; %d / %d writes | the same: restic reads such a snapshot |" % (
    $p_snap_max, $p_snap_p99, $p_out_max, $p_out_p99, $p_snap_n, $p_out_n))
EOF
