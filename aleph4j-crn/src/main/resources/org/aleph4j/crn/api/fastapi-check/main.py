"""Built-in diagnostic program of the CRN's /status/check/fastapi (no CCN needed).

Each network check really tries what upstream's diagnostic program (aleph-vm examples/example_fastapi)
tries, with the standard library only (the check must not depend on what the runtime lacks), bounded
in time, and answers {"result": bool, "reason": "..."} so the node can say what failed.
"""
import concurrent.futures
import os
import socket
import ssl
import urllib.error
import urllib.request

from fastapi import FastAPI

app = FastAPI()
state = {"lifespan": False}
TIMEOUT = 4.0
DNS_NAME = "example.org"
# public resolvers' web servers, reached by address: a verified TLS answer proves IPv4 connectivity
IPV4_URLS = ["https://9.9.9.9", "https://208.67.222.222", "https://94.140.14.14"]
# a name, TLS and HTTP: what a program means by "the internet"
INTERNET_URLS = ["https://aleph.im/", "https://ethereum.org/en/", "https://ipfs.io/"]


@app.on_event("startup")
async def startup():
    state["lifespan"] = True


@app.get("/")
async def index():
    return {"index": "/"}


@app.get("/environ")
async def environ():
    return dict(os.environ)


@app.get("/lifespan")
async def lifespan():
    return {"Lifespan": state["lifespan"]}


@app.get("/raise")
async def raise_error():
    raise RuntimeError("expected error of the diagnostic program")


@app.get("/state/increment")
async def increment():
    # the working directory is the read-only code (/opt/code); HOME is the execution's writable data
    path = os.path.join(os.environ.get("HOME", "."), "counter")
    n = int(open(path).read()) if os.path.exists(path) else 0
    with open(path, "w") as fh:
        fh.write(str(n + 1))
    return {"counter": n + 1}


def _resolve(name):
    ipv4 = ipv6 = None
    for family, _, _, _, addr in socket.getaddrinfo(name, 443, proto=socket.IPPROTO_TCP):
        if family == socket.AF_INET and ipv4 is None:
            ipv4 = addr[0]
        elif family == socket.AF_INET6 and ipv6 is None:
            ipv6 = addr[0]
    return ipv4, ipv6


def _get(url):
    """None when url answered with a status below 400 (404 too: a server answered), else why not."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT, context=ssl.create_default_context()) as resp:
            return None if resp.status < 400 else "HTTP status %d" % resp.status
    except urllib.error.HTTPError as e:
        return None if e.code == 404 else "HTTP status %d" % e.code
    except Exception as e:  # DNS, refused, unreachable, timeout, TLS: each is a reason
        reason = getattr(e, "reason", None)
        return "%s: %s" % (type(e).__name__, reason if reason is not None else e)


def _first_success(urls):
    with concurrent.futures.ThreadPoolExecutor(len(urls)) as pool:
        failures = {}
        futures = {pool.submit(_get, u): u for u in urls}
        for f in concurrent.futures.as_completed(futures, timeout=TIMEOUT + 2):
            err = f.result()
            if err is None:
                return {"result": True, "url": futures[f]}
            failures[futures[f]] = err
        return {"result": False, "reason": "; ".join("%s: %s" % kv for kv in sorted(failures.items()))}


def _bounded(fn, *args):
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        return pool.submit(fn, *args).result(timeout=TIMEOUT + 3)
    except concurrent.futures.TimeoutError:
        return {"result": False, "reason": "no answer within %.0f s" % (TIMEOUT + 3)}
    finally:
        pool.shutdown(wait=False)


def _dns():
    try:
        ipv4, ipv6 = _resolve(DNS_NAME)
    except OSError as e:
        return {"result": False, "reason": "resolving %s failed: %s" % (DNS_NAME, e)}
    missing = [f for f, a in (("IPv4 (A)", ipv4), ("IPv6 (AAAA)", ipv6)) if a is None]
    if missing:
        return {"result": False, "ipv4": ipv4, "ipv6": ipv6,
                "reason": "%s resolved without an %s address" % (DNS_NAME, " or ".join(missing))}
    return {"result": True, "ipv4": ipv4, "ipv6": ipv6}


@app.get("/dns")
def dns():
    return _bounded(_dns)


@app.get("/ip/4")
def ip4():
    return _bounded(_first_success, IPV4_URLS)


@app.get("/internet")
def internet():
    return _bounded(_first_success, INTERNET_URLS)
