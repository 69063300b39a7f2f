"""aleph4j execution watchdog: runs one program in its own session and kills its whole process
group when the lease deadline passes without renewal or when stdin closes (the CRN is gone).

usage: watchdog.py --stdout FILE --stderr FILE [--deadline-ms N] [--cgroup-procs FILE]... [--netns FILE] -- CMD ARGS...
--netns: the program starts inside that network namespace (a /run/netns file; the sandbox executor).
stdin protocol, one line each: "<ms>" renews the deadline to now+ms; "none" clears it;
"stop <grace_ms>" terminates the group (SIGTERM, then SIGKILL after grace).
Lines written to the log files are "<unix micros> <text>" so the CRN can serve timestamps.
Exit status: the program's own, 86 when the lease deadline passed, 87 when stdin closed.
"""
import os, select, signal, subprocess, sys, threading, time

def main():
    args = sys.argv[1:]
    out_path = err_path = None
    deadline = None
    procs_files = []
    netns = None
    while args and args[0] != "--":
        flag, value, args = args[0], args[1], args[2:]
        if flag == "--stdout": out_path = value
        elif flag == "--stderr": err_path = value
        elif flag == "--deadline-ms": deadline = time.monotonic() + int(value) / 1000.0
        elif flag == "--cgroup-procs": procs_files.append(value)
        elif flag == "--netns": netns = value
    cmd = args[1:]

    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except Exception:
        libc = None

    # opened here (close-on-exec) so the child only has to call setns
    netns_fd = os.open(netns, os.O_RDONLY) if netns else None

    def before_exec():
        # Runs in the child before exec: the program dies with its watchdog even if the watchdog
        # is SIGKILLed, and it is limited by its cgroups from its first allocation.
        if libc is not None:
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        for f in procs_files:
            with open(f, "w") as fh:
                fh.write(str(os.getpid()))
        if netns_fd is not None:
            if libc is None or libc.setns(netns_fd, 0x40000000) != 0:  # CLONE_NEWNET
                raise OSError("cannot enter network namespace " + netns)

    child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True, preexec_fn=before_exec)
    pgid = child.pid
    sys.stdout.write("%d\n" % pgid)
    sys.stdout.flush()

    def relay(pipe, path):
        with open(path, "ab", buffering=0) as fh:
            for line in iter(pipe.readline, b""):
                fh.write(b"%d " % int(time.time() * 1_000_000) + (line if line.endswith(b"\n") else line + b"\n"))
    threads = [threading.Thread(target=relay, args=(child.stdout, out_path), daemon=True),
               threading.Thread(target=relay, args=(child.stderr, err_path), daemon=True)]
    for t in threads: t.start()

    def kill_group(sig):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass

    def finish(code, why):
        if why:
            note = "%d [watchdog] %s\n" % (int(time.time() * 1_000_000), why)
            with open(err_path, "ab") as fh: fh.write(note.encode())
        kill_group(signal.SIGKILL)
        try:
            child.wait(timeout=5)
        except Exception:
            pass
        for t in threads: t.join(timeout=1)
        os._exit(code)

    stdin = sys.stdin.buffer.raw if hasattr(sys.stdin.buffer, "raw") else sys.stdin.buffer
    fd = stdin.fileno()
    buf = b""
    stop_at = None
    while True:
        if child.poll() is not None:
            for t in threads: t.join(timeout=2)
            kill_group(signal.SIGKILL)  # leftovers of the group (daemonised helpers)
            os._exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            finish(86, "lease deadline passed without renewal: killed the program")
        if stop_at is not None and now >= stop_at:
            finish(143, None)
        wait = 0.05
        if deadline is not None: wait = min(wait, max(0.0, deadline - now))
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            finish(87, "supervisor pipe closed: killed the program")
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            word = line.strip().decode(errors="replace")
            if word == "none":
                deadline = None
            elif word.startswith("stop"):
                parts = word.split()
                grace = int(parts[1]) if len(parts) > 1 else 3000
                kill_group(signal.SIGTERM)
                stop_at = time.monotonic() + grace / 1000.0
            elif word.isdigit():
                deadline = time.monotonic() + int(word) / 1000.0

if __name__ == "__main__":
    main()
