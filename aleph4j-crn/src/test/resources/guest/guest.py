# A program that shows its guest environment and calls the guest API over its Unix socket.
import http.client
import http.server
import json
import os
import socket


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=20):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def call(method, path, body=None, sock=None, headers=None):
    try:
        c = UnixConnection(sock or os.environ["ALEPH_API_UNIX_SOCKET"])
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return {"status": r.status, "body": data.decode("utf-8", "replace"), "content_type": r.getheader("Content-Type")}
    except OSError as e:
        return {"status": -1, "error": type(e).__name__ + ": " + str(e)}


def raw(head, sock=None):
    """Sends a hand-written request head (a lying Content-Length) and returns the status line."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect(sock or os.environ["ALEPH_API_UNIX_SOCKET"])
    s.sendall(head.encode())
    line = s.makefile("rb").readline().decode()
    s.close()
    return line.strip()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, value):
        data = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/env":
            try:
                etc_hostname = open("/etc/hostname").read().strip()
            except OSError:
                etc_hostname = None
            self.answer({"env": dict(os.environ), "hostname": socket.gethostname(), "etc_hostname": etc_hostname})
        else:
            self.answer({"path": self.path})

    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        op = req.get("op", "call")
        if op == "call":
            body = req.get("body")
            if req.get("size") is not None:
                body = b"x" * req["size"]
            elif body is not None:
                body = body.encode()
            self.answer(call(req["method"], req["path"], body, req.get("socket")))
        elif op == "raw":
            self.answer({"status_line": raw(req["head"], req.get("socket"))})
        elif op == "flood":
            # PUTs n keys; reports the first refusal
            for i in range(req["n"]):
                r = call("PUT", "/cache/k%d" % i, b"v")
                if r["status"] != 200:
                    self.answer({"refused_at": i, "first_refusal": r})
                    return
            self.answer({"refused_at": None})
        elif op == "unflood":
            # DELETEs the n keys flood wrote
            statuses = {call("DELETE", "/cache/k%d" % i, None)["status"] for i in range(req["n"])}
            self.answer({"statuses": sorted(statuses)})


http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
