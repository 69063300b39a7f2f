"""aleph4j's runtime checker: answers GET / with the versions the runtime offers, as JSON {label: version}.

A plain ASGI app (no framework import), so it runs on any runtime that can serve `main:app`,
and reports a missing package as "not installed" instead of failing to start.
"""
import json
import platform
import sys

try:
    from importlib import metadata as _metadata
except ImportError:  # Python < 3.8
    _metadata = None


def _version(dist):
    if _metadata is None:
        return "unknown"
    try:
        return _metadata.version(dist)
    except Exception:
        return "not installed"


def _os_release():
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            with open(path) as f:
                fields = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
            return fields.get("PRETTY_NAME", "").strip('"') or "unknown"
        except OSError:
            continue
    return platform.platform()


def versions():
    return {
        "python": platform.python_version(),
        "fastapi": _version("fastapi"),
        "uvicorn": _version("uvicorn"),
        "aiohttp": _version("aiohttp"),
        "pip": _version("pip"),
        "os": _os_release(),
        "kernel": platform.release(),
    }


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    body = json.dumps(versions()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    json.dump(versions(), sys.stdout)
