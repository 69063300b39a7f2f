"""A counter kept in SQLite on a persistent volume mounted at /data.

POST /inc commits one increment and answers 200 with the new value only after the commit.
GET /count answers the value, PRAGMA integrity_check, and this copy's epoch.
GET /ticks answers, per epoch, how many rows the background writer added and the newest row's time:
it inserts (epoch, time) every 50 ms, so a fenced copy that keeps running keeps writing.
"""
import errno
import json
import os
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DB = os.environ.get("COUNTER_DB", "/data/counter.db")
EPOCH = int(os.environ.get("ALEPH4J_EPOCH", "0"))
lock = threading.Lock()


def connect():
    c = sqlite3.connect(DB, timeout=10, isolation_level=None, check_same_thread=False)
    # one connection, exclusive: the WAL index lives in memory, not in a shared map of a -shm file (on a
    # full copy-on-write volume, a write through a shared map cannot get ENOSPC: the kernel sends SIGBUS)
    c.execute("PRAGMA locking_mode=EXCLUSIVE")
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=FULL")
    return c


db = connect()
db.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)")
db.execute("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)")
db.execute("CREATE TABLE IF NOT EXISTS ticks (epoch INTEGER NOT NULL, t REAL NOT NULL)")


def ticker():
    while True:
        try:
            with lock:
                db.execute("INSERT INTO ticks (epoch, t) VALUES (?, ?)", (EPOCH, time.time()))
        except sqlite3.OperationalError:
            pass  # the volume is full (the size-limit test): try again later
        time.sleep(0.05)


def fill():
    """Writes 1 MiB blocks next to the database until the volume is full, then removes them."""
    path = os.path.join(os.path.dirname(DB), "fill.bin")
    written, error = 0, None
    block = os.urandom(1 << 20)
    try:
        with open(path, "wb") as f:
            while written < (4 << 30):
                f.write(block)
                f.flush()
                os.fsync(f.fileno())
                written += len(block)
    except OSError as e:
        error = errno.errorcode.get(e.errno, str(e.errno))
    finally:
        try:
            os.remove(path)
        except OSError:
            pass
    return {"error": error, "written_mib": written / (1 << 20)}


class Handler(BaseHTTPRequestHandler):
    def answer(self, body, status=200):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path.rstrip("/").endswith("/fill"):
            self.answer(fill())
        elif self.path.rstrip("/").endswith("/inc"):
            with lock:
                db.execute("BEGIN IMMEDIATE")
                db.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
                n = db.execute("SELECT n FROM counter WHERE id = 1").fetchone()[0]
                db.execute("COMMIT")
            self.answer({"n": n, "epoch": EPOCH})
        else:
            self.answer({"error": "no such path"}, 404)

    def do_GET(self):
        path = self.path.rstrip("/")
        with lock:
            if path.endswith("/count"):
                n = db.execute("SELECT n FROM counter WHERE id = 1").fetchone()[0]
                check = db.execute("PRAGMA integrity_check").fetchone()[0]
                self.answer({"n": n, "integrity": check, "epoch": EPOCH})
            elif path.endswith("/ticks"):
                rows = db.execute("SELECT epoch, COUNT(*), MAX(t) FROM ticks GROUP BY epoch").fetchall()
                self.answer({"epoch": EPOCH, "ticks": [{"epoch": e, "count": c, "last": t} for e, c, t in rows]})
            else:
                self.answer({"counter": True, "epoch": EPOCH})

    def log_message(self, *args):
        pass


threading.Thread(target=ticker, daemon=True).start()
print("counter on", DB, "epoch", EPOCH, flush=True)
ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
