"""The fault suite's persistent program: serves HTTP on $PORT and prints "probe <boot> <pid> <epoch> <unix time>"
on stdout every 10 ms while it runs. The node keeps its stdout in the CRN's log files, outside the sandbox, where
the test reads every copy's records; <boot> names one start (pids are namespace-local in a sandbox)."""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EPOCH = os.environ.get("ALEPH4J_EPOCH", "none")
BOOT = os.urandom(8).hex()
PID = os.getpid()


def record():
    out = sys.stdout
    while True:
        out.write(f"probe {BOOT} {PID} {EPOCH} {time.time():.3f}\n")
        out.flush()
        time.sleep(0.01)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f'{{"epoch": "{EPOCH}", "boot": "{BOOT}", "pid": {PID}}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


threading.Thread(target=record, daemon=True).start()
HOST = "0.0.0.0" if os.environ.get("ALEPH4J_EXECUTOR") == "sandbox" else "127.0.0.1"
ThreadingHTTPServer((HOST, int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
