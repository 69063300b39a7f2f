"""A persistent test program: serves HTTP on $PORT and appends "<epoch> <event> <unix time>" lines
to $RECORD_FILE every 50 ms while it runs, so a test can check that no two epochs ran at once."""
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EPOCH = os.environ.get("ALEPH4J_EPOCH", "none")
RECORD = os.environ["RECORD_FILE"]


def record(event):
    with open(RECORD, "a") as f:
        f.write(f"{EPOCH} {event} {time.time():.3f} {os.getpid()}\n")


def heartbeat():
    while True:
        record("alive")
        time.sleep(0.05)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f'{{"epoch": "{EPOCH}", "pid": {os.getpid()}}}'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


record("start")
threading.Thread(target=heartbeat, daemon=True).start()
ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
