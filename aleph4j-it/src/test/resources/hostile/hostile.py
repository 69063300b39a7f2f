"""A hostile program: each endpoint attempts one escape and answers what it observed, as JSON."""
import ctypes, errno, json, os, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

libc = ctypes.CDLL(None, use_errno=True)
SYS = {"keyctl": 250, "bpf": 321, "perf_event_open": 298, "kexec_load": 246, "unshare": 272, "setns": 308,
       "mount": 165, "init_module": 175, "userfaultfd": 323, "io_uring_setup": 425, "ptrace": 101}


def status():
    out = {}
    with open("/proc/self/status") as fh:
        for l in fh:
            k, _, v = l.partition(":")
            if k in ("Uid", "Gid", "CapEff", "CapPrm", "CapBnd", "NoNewPrivs", "Seccomp"):
                out[k] = v.strip()
    return out


def syscall(name, *args):
    r = libc.syscall(SYS[name], *[ctypes.c_long(a) for a in args])
    return {"ret": r, "errno": errno.errorcode.get(ctypes.get_errno(), "0") if r == -1 else "0"}


def run(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=10)
        return {"exit": p.returncode, "err": p.stderr.decode(errors="replace")[-200:]}
    except Exception as e:
        return {"exit": -1, "err": str(e)}


def fill(path):
    n, err = 0, None
    chunk = b"x" * (1024 * 1024)
    try:
        with open(path, "wb") as fh:
            while n < 64 * 1024:  # at most 64 GiB: the limit must stop us long before
                fh.write(chunk)
                fh.flush()
                n += 1
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
    try:
        os.unlink(path)
    except OSError:
        pass
    return {"mib": n, "error": err}


def spew(mb):
    # one huge line without a newline, then keep writing: the relay must not buffer it whole
    block = b"A" * (1024 * 1024)
    for _ in range(mb):
        os.write(1, block)


def daemon():
    r, w = os.pipe()
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.write(w, str(os.getpid()).encode())
            os.close(w)
            os.execv("/usr/bin/sleep", ["sleep", "600"])
        os._exit(0)
    os.close(w)
    pid = os.read(r, 32).decode()
    os.close(r)
    return {"daemon_pid": pid}


def connect(addr):
    import socket
    host, port = addr.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, int(port)))
        return {"ok": True}
    except OSError as e:
        return {"ok": False, "error": str(e)}
    finally:
        s.close()


def me():
    return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "status": status(), "env": sorted(os.environ.keys()),
            "sitecustomize_ran_as": os.environ.get("SITECUSTOMIZE_RAN_AS"), "cwd": os.getcwd()}


def kernel():
    return {"unshare_user": run(["unshare", "-U", "true"]), "unshare_mount": run(["unshare", "-m", "true"]),
            "keyctl": syscall("keyctl", 0, 0), "bpf": syscall("bpf", 0, 0, 0),
            "perf_event_open": syscall("perf_event_open", 0, 0, -1, -1, 0), "kexec_load": syscall("kexec_load", 0, 0, 0, 0),
            "mount": syscall("mount", 0, 0, 0, 0, 0), "setns": syscall("setns", 0, 0),
            "userfaultfd": syscall("userfaultfd", 0), "io_uring_setup": syscall("io_uring_setup", 1, 0)}


def code():
    found = {}
    for root, dirs, files in os.walk(os.environ.get("ALEPH4J_CODE_DIR", "/code"), followlinks=False):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            found[os.path.relpath(p, os.environ.get("ALEPH4J_CODE_DIR", "/code"))] = {
                "mode": oct(st.st_mode), "link": os.readlink(p) if os.path.islink(p) else None}
    reads = {}
    for p in ["hostroot/etc/hostname", "hostroot/work", "disk", "fifo"]:
        full = os.path.join(os.environ.get("ALEPH4J_CODE_DIR", "/code"), p)
        try:
            if os.path.isdir(full):
                reads[p] = {"ok": True, "value": sorted(os.listdir(full))[:20]}
            else:
                fd = os.open(full, os.O_RDONLY | os.O_NONBLOCK)  # a fifo must not hang the probe
                try:
                    reads[p] = {"ok": True, "value": os.read(fd, 64).decode("latin-1")}
                finally:
                    os.close(fd)
        except OSError as e:
            reads[p] = {"ok": False, "error": str(e)}
    return {"entries": found, "reads": reads}


class H(BaseHTTPRequestHandler):
    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/me":
            self.reply(me())
        elif u.path == "/read":
            found = {}
            for p in q.get("file", []):
                try:
                    with open(p, "rb") as fh:
                        found[p] = {"ok": True, "value": fh.read(64).decode("latin-1")}
                except OSError as e:
                    found[p] = {"ok": False, "error": str(e)}
            for p in q.get("dir", []):
                try:
                    found[p] = {"ok": True, "value": sorted(os.listdir(p))[:50]}
                except OSError as e:
                    found[p] = {"ok": False, "error": str(e)}
            self.reply(found)
        elif u.path == "/connect":
            # in parallel: a dropped packet costs the whole connect timeout
            found = {}
            threads = [threading.Thread(target=lambda a=a: found.__setitem__(a, connect(a))) for a in q.get("addr", [])]
            for t in threads: t.start()
            for t in threads: t.join()
            self.reply(found)
        elif u.path == "/kernel":
            self.reply(kernel())
        elif u.path == "/code":
            self.reply(code())
        elif u.path == "/fill":
            self.reply({"data": fill(os.path.join(os.environ["HOME"], "fill")),
                        "tmp": fill(os.path.join(os.environ["TMPDIR"], "fill"))})
        elif u.path == "/spew":
            spew(int(q.get("mb", ["64"])[0]))
            self.reply({"spewed_mib": int(q.get("mb", ["64"])[0])})
        elif u.path == "/daemon":
            self.reply(daemon())
        else:
            self.reply({"hello": True})

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
