"""aleph4j execution watchdog: runs one program in its own session and kills every process of it
(its cgroups, then its process group) when the lease deadline passes without renewal or when stdin
closes (the CRN is gone).

It runs on the host, often as root, so it must be started as `python3 -I -S` with a fixed
environment: nothing of the program's message reaches this interpreter. The program's own
environment is set by the command line the CRN built (`env -i NAME=VALUE ... program`), at the last
exec, after the sandbox and the privilege drop.

usage: watchdog.py --stdout FILE --stderr FILE --cwd DIR [--deadline-at-ms T] [--cgroup-procs FILE]...
                   [--cgroup-kill DIR]... [--freezer DIR] [--netns FILE] [--seccomp FILE]
                   [--seccomp-apply FILE] [--log-max-bytes N] [--warm] -- CMD ARGS...
--netns: the program starts inside that network namespace (a /run/netns file; the sandbox executor).
--cgroup-kill: a cgroup v2 directory killed through its cgroup.kill file; --freezer: a cgroup v1
freezer directory frozen, killed pid by pid and thawed (so a fork loop cannot outrun the kill).
--seccomp: a compiled seccomp filter handed to the command (bwrap --seccomp 10) as fd 10;
--seccomp-apply: the same kind of filter, installed by the watchdog itself on the child before exec.
Deadlines are absolute milliseconds on CLOCK_BOOTTIME, the clock the CRN counts leases on: it keeps
counting through a host suspend, and a deadline computed before a pause of the CRN stays where it
was. stdin protocol, one line each: "at <T>" moves the deadline to T; "none" clears it;
"stop <grace_ms>" terminates the program (SIGTERM, then SIGKILL after grace).
--warm (a pre-warmed slot of the warm pool): the command's stdin is a pipe instead of /dev/null, and three
more lines are understood, once each, in this order: "hostname <hex name>" sets the host name of the
sandbox's UTS namespace (entered by this thread alone: the watchdog runs as root on the host; a failure
kills the slot); "logs <hex stdout path> <hex stderr path>" moves the
relays to the assigned program's log files; "assign <hex bytes>" writes those bytes and a newline to the
command's stdin and closes it (the warm runner reads its program from there, then reopens /dev/null).
Lines written to the log files are "<unix micros> <text>" so the CRN can serve timestamps; a log
file over --log-max-bytes is renamed to FILE.1 (replacing the older one) and started anew.
Exit status: the program's own, 86 when the lease deadline passed, 87 when stdin closed.
"""
import os, select, signal, subprocess, sys, threading, time


def boot():
    """Seconds on CLOCK_BOOTTIME."""
    return time.clock_gettime(time.CLOCK_BOOTTIME)

SECCOMP_FD = 10
CHUNK = 65536
MAX_LINE = 16384


class Log:
    """An append-only log file with rotation; shared by the relays and the watchdog's own notes."""

    def __init__(self, path, max_bytes):
        self.path, self.max_bytes, self.lock = path, max_bytes, threading.Lock()
        self.fh = open(path, "ab", buffering=0)

    def write(self, data):
        with self.lock:
            try:
                if self.max_bytes and self.fh.tell() + len(data) > self.max_bytes and self.fh.tell() > 0:
                    self.fh.close()
                    os.replace(self.path, self.path + ".1")
                    self.fh = open(self.path, "ab", buffering=0)
                self.fh.write(data)
            except OSError:
                pass  # a full disk must not kill the relay: the program's output is dropped instead


def put(path, value):
    """Writes a cgroup control file; one that is gone (the cgroup was removed) is not an error."""
    try:
        with open(path, "w") as fh:
            fh.write(value)
    except OSError:
        pass


def stamp():
    return b"%d " % int(time.time() * 1_000_000)


def relay(pipe, logs, key):
    # Reads bounded chunks, never a whole line: a stream without newlines cannot grow our memory.
    fd = pipe.fileno()
    partial = b""
    while True:
        try:
            chunk = os.read(fd, CHUNK)
        except OSError:
            chunk = b""
        if not chunk:
            break
        partial += chunk
        lines = partial.split(b"\n")
        partial = lines.pop()
        while len(partial) >= MAX_LINE:
            lines.append(partial[:MAX_LINE])
            partial = partial[MAX_LINE:]
        if lines:
            logs[key].write(b"".join(stamp() + l + b"\n" for l in lines))
    if partial:
        logs[key].write(stamp() + partial + b"\n")


def set_hostname(libc, top, name):
    """Enters the UTS namespace of the first process under `top` (bwrap) that is not in ours, and names it."""
    own = os.readlink("/proc/self/ns/uts")
    pid = top
    for _ in range(4):
        ns = "/proc/%d/ns/uts" % pid
        if os.readlink(ns) != own:
            fd = os.open(ns, os.O_RDONLY)
            try:
                return libc.setns(fd, 0x04000000) == 0 and libc.sethostname(name, len(name)) == 0  # CLONE_NEWUTS
            finally:
                os.close(fd)
        with open("/proc/%d/task/%d/children" % (pid, pid)) as fh:
            children = fh.read().split()
        if not children:
            return False
        pid = int(children[0])
    return False


def main():
    args = sys.argv[1:]
    out_path = err_path = cwd = netns = seccomp = seccomp_apply = freezer = None
    deadline = None
    procs_files, kill_dirs = [], []
    max_bytes = 0
    warm = False
    while args and args[0] != "--":
        flag, value, args = args[0], args[1], args[2:]
        if flag == "--stdout": out_path = value
        elif flag == "--stderr": err_path = value
        elif flag == "--cwd": cwd = value
        elif flag == "--deadline-at-ms": deadline = int(value) / 1000.0
        elif flag == "--cgroup-procs": procs_files.append(value)
        elif flag == "--cgroup-kill": kill_dirs.append(value)
        elif flag == "--freezer": freezer = value
        elif flag == "--netns": netns = value
        elif flag == "--seccomp": seccomp = value
        elif flag == "--seccomp-apply": seccomp_apply = value
        elif flag == "--log-max-bytes": max_bytes = int(value)
        elif flag == "--warm":
            warm = True
            args = [value] + args  # a flag without a value
    cmd = args[1:]
    logs = {"out": Log(out_path, max_bytes), "err": Log(err_path, max_bytes)}

    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except Exception:
        libc = None

    # opened here (close-on-exec) so the child only has to call setns
    netns_fd = os.open(netns, os.O_RDONLY) if netns else None
    pass_fds = ()
    if seccomp:
        fd = os.open(seccomp, os.O_RDONLY)
        if fd != SECCOMP_FD:
            os.dup2(fd, SECCOMP_FD)
            os.close(fd)
        pass_fds = (SECCOMP_FD,)

    fprog = None
    if seccomp_apply:
        import ctypes
        with open(seccomp_apply, "rb") as fh:
            code = fh.read()

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]
        filt = ctypes.create_string_buffer(code, len(code))
        fprog = SockFprog(len(code) // 8, ctypes.cast(filt, ctypes.c_char_p))

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
        if fprog is not None:
            # PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP / SECCOMP_MODE_FILTER: fail closed
            if libc is None or libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
                raise OSError("cannot install the seccomp filter")

    child = subprocess.Popen(cmd, stdin=subprocess.PIPE if warm else subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=cwd, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, start_new_session=True,
                             preexec_fn=before_exec, pass_fds=pass_fds)
    pgid = child.pid
    sys.stdout.write("%d\n" % pgid)
    sys.stdout.flush()

    threads = [threading.Thread(target=relay, args=(child.stdout, logs, "out"), daemon=True),
               threading.Thread(target=relay, args=(child.stderr, logs, "err"), daemon=True)]
    for t in threads: t.start()

    def cgroup_pids():
        pids = set()
        for f in procs_files:
            try:
                with open(f) as fh:
                    pids.update(int(l) for l in fh.read().split())
            except (OSError, ValueError):
                pass
        return pids

    def kill_group(sig):
        try:
            os.killpg(pgid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def comm(pid):
        try:
            with open("/proc/%d/comm" % pid) as fh:
                return fh.read().strip()
        except OSError:
            return None

    def terminate():
        # SIGTERM must reach the program itself so that it can stop gracefully (uvicorn's "Shutting
        # down", shutdown hooks) while its output is still relayed. In the sandbox the program runs in
        # its own session under bwrap: a signal to our child's group reaches only bwrap, which dies of
        # it and takes the program with it by SIGKILL (--die-with-parent). So every process of the
        # execution but bwrap gets it; bwrap exits by itself when the program has.
        pids = cgroup_pids()
        for pid in pids:
            if pid != os.getpid() and comm(pid) != "bwrap":
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
        if not pids or comm(pgid) != "bwrap":
            kill_group(signal.SIGTERM)  # no cgroups: the program's group is all we know

    def kill_all(sig):
        if sig != signal.SIGKILL:
            terminate()
            return
        # processes that left the group (setsid, double fork) are still in the execution's cgroups;
        # frozen first, so nothing of the program runs another instruction while the kill lands
        for d in kill_dirs:
            put(os.path.join(d, "cgroup.freeze"), "1")
        for d in kill_dirs:
            put(os.path.join(d, "cgroup.kill"), "1")
        if freezer:
            state = os.path.join(freezer, "freezer.state")
            put(state, "FROZEN")
            for _ in range(50):
                pids = cgroup_pids()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                put(state, "THAWED")  # a frozen task dies only once thawed
                time.sleep(0.01)
                put(state, "FROZEN")
            put(state, "THAWED")
        elif not kill_dirs:
            for pid in cgroup_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        kill_group(signal.SIGKILL)  # and the group, where there are no cgroups

    def finish(code, why):
        kill_all(signal.SIGKILL)  # before anything else, the note included
        if why:
            logs["err"].write(stamp() + b"[watchdog] " + why.encode() + b"\n")
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
        # the deadline first, on every wake: after a freeze or suspend of the whole node nothing else
        # may run before the fence is enforced
        now = boot()
        if deadline is not None and now >= deadline:
            finish(86, "lease deadline passed without renewal: killed the program")
        if child.poll() is not None:
            kill_all(signal.SIGKILL)  # leftovers (daemonised helpers): they would hold the pipes open
            for t in threads: t.join(timeout=2)
            os._exit(child.returncode if child.returncode >= 0 else 128 - child.returncode)
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
        if len(buf) > (1 << 20 if warm else 65536):
            buf = b""  # the CRN never sends such lines (an assignment holds at most 64 KiB of variables, hex)
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            word = line.strip().decode(errors="replace")
            if word == "none":
                deadline = None
            elif word.startswith("stop"):
                parts = word.split()
                grace = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 3000
                kill_all(signal.SIGTERM)
                stop_at = boot() + grace / 1000.0
            elif word.startswith("at ") and word[3:].isdigit():
                deadline = int(word[3:]) / 1000.0
            elif warm and word.startswith("hostname ") and child.stdin is not None:
                try:
                    ok = libc is not None and set_hostname(libc, child.pid, bytes.fromhex(word[9:]))
                except (ValueError, OSError):
                    ok = False
                if not ok:
                    finish(1, "cannot set the program's host name")
            elif warm and word.startswith("logs ") and child.stdin is not None:
                try:
                    out_new, err_new = (bytes.fromhex(h).decode() for h in word[5:].split())
                    logs["out"], logs["err"] = Log(out_new, max_bytes), Log(err_new, max_bytes)
                except (ValueError, OSError):
                    finish(1, "cannot open the assigned program's logs")
            elif warm and word.startswith("assign ") and child.stdin is not None:
                try:
                    child.stdin.write(bytes.fromhex(word[7:]) + b"\n")
                    child.stdin.close()
                except (ValueError, OSError):
                    pass  # the runner died: its exit is reported as the program's
                child.stdin = None


if __name__ == "__main__":
    main()
