"""Reports what the program sees of its volumes: /mnt/lib (immutable squashfs), /srv/config.txt
(immutable plain file), /scratch (ephemeral, 16 MiB), /data/state (persistent)."""
import errno
import json
import os
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError as e:
        return "error:" + errno.errorcode.get(e.errno, str(e.errno))


def state():
    def write(p):
        with open(p, "w") as f:
            f.write("x")
    return {
        "lib": read("/mnt/lib/hello.txt"),
        "lib_write": attempt(lambda: write("/mnt/lib/new.txt")),
        "config": read("/srv/config.txt"),
        "config_write": attempt(lambda: write("/srv/config.txt")),
        "scratch": sorted(os.listdir("/scratch")) if os.path.isdir("/scratch") else None,
        "counter": int(read("/data/state/counter.txt") or 0) if os.path.exists("/data/state/counter.txt") else 0,
    }


def fill(path):
    written, error = 0, None
    block = b"\0" * (1 << 20)
    try:
        with open(path, "wb") as f:
            while written < (1 << 30):
                f.write(block)
                f.flush()
                os.fsync(f.fileno())
                written += len(block)
    except OSError as e:
        error = errno.errorcode.get(e.errno, str(e.errno))
    return {"error": error, "written_mib": written / (1 << 20)}


class Handler(BaseHTTPRequestHandler):
    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(state())

    def do_POST(self):
        if self.path.endswith("/bump"):
            n = state()["counter"] + 1
            with open("/data/state/counter.txt", "w") as f:
                f.write(str(n))
            with open("/scratch/marker", "w") as f:
                f.write("m")
            self.answer({"counter": n})
        elif self.path.endswith("/subvolume"):
            r = subprocess.run(["btrfs", "subvolume", "create", "/data/state/nested"], capture_output=True, text=True)
            self.answer({"rc": r.returncode, "stderr": r.stderr})
        elif self.path.endswith("/fill-scratch"):
            self.answer(fill("/scratch/fill.bin"))
        else:
            self.answer({"error": "no such path"})

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
