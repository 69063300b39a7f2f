"""A hostile binary program: tries to escape its sandbox and serves what it found as JSON."""
import json, os, socket, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs


def attempt(fn):
    try:
        return {"ok": True, "value": fn()}
    except BaseException as e:  # every failure is a finding
        return {"ok": False, "error": type(e).__name__ + ": " + str(e)}


def read(path):
    with open(path, "rb") as fh:
        return fh.read(200).decode("latin-1")


def connect(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((host, int(port)))
        return "connected"
    finally:
        s.close()


def write(path):
    with open(path, "w") as fh:
        fh.write("x")
    return "written"


def procs():
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                out.append(read("/proc/%s/cmdline" % p).replace("\0", " ").strip())
            except OSError:
                pass
    return out


def default_route():
    with open("/proc/net/route") as fh:
        return [l.split()[1] for l in fh.readlines()[1:] if l.split()[1] == "00000000"]


def probe(q):
    r = {"uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid(), "groups": os.getgroups()}
    r["reads"] = {p: attempt(lambda p=p: read(p)) for p in ["/etc/shadow"] + q.get("file", [])}
    r["lists"] = {p: attempt(lambda p=p: os.listdir(p)) for p in ["/root", "/home", "/work"] + q.get("dir", [])}
    r["connects"] = {a: attempt(lambda a=a: connect(*a.rsplit(":", 1))) for a in q.get("addr", [])}
    r["writes"] = {p: attempt(lambda p=p: write(p)) for p in ["/opt/code/evil", "/usr/evil", "/etc/evil", "/data/fine", "/tmp/fine"]}
    r["processes"] = procs()
    r["default_route"] = attempt(default_route)
    return r


def burn(seconds):
    for _ in range(4):
        if os.fork() == 0:
            end = time.time() + seconds
            while time.time() < end:
                pass
            os._exit(0)


def forkbomb():
    n, err = 0, None
    while n < 5000:
        try:
            pid = os.fork()
        except OSError as e:
            err = str(e)
            break
        if pid == 0:
            # exec at once: a forked Python copies its pages as refcounts change, which would hit the memory limit first
            try:
                os.execv("/usr/bin/sleep", ["sleep", "60"])
            finally:
                os._exit(0)
        n += 1
    return {"forked": n, "error": err}


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
        if u.path == "/probe":
            self.reply(probe(q))
        elif u.path == "/burn":
            burn(float(q.get("seconds", ["5"])[0]))
            self.reply({"burning": True})
        elif u.path == "/forkbomb":
            self.reply(forkbomb())
        elif u.path == "/hog":
            hog = bytearray(400 * 1024 * 1024)
            for i in range(0, len(hog), 4096):
                hog[i] = 1
            self.reply({"survived": True})
        elif u.path.startswith("/write"):
            with open("/data/secret.txt", "w") as fh:
                fh.write(q.get("secret", ["s3cret"])[0])
            self.reply({"written": True})
        else:
            self.reply({"hello": True, "pid": os.getpid()})

    def log_message(self, *a):
        pass


ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), H).serve_forever()
