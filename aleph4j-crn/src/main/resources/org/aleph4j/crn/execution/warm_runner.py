"""aleph4j warm runner: the first process of a warm pool slot (see WarmPool). It runs inside the
slot's sandbox as the slot's own user, exactly where `python3 -m uvicorn ...` of a cold start would
run (cwd /opt/code, still empty), and is passed to the interpreter with -c.

1. imports what uvicorn and FastAPI import to serve a request, each module optional;
2. prints one line "aleph4j-warm-ready NAME..." (the top-level names now in sys.modules: a program
   whose code ships a module of one of these names takes the cold path, since it would not shadow
   the preloaded one here);
3. reads one line from stdin, a JSON object {"env": {...}, "argv": [...]} (the program's whole
   environment and its cold command line, `python3 -m uvicorn ARGS...`), written by its
   watchdog once the slot was given that program; EOF (the slot is destroyed) exits;
4. puts /dev/null on stdin, replaces the environment, sys.argv and sys.path[0] as `python3 -m`
   would have set them, writes the program's environment and command line over its own initial
   ones in its memory (what /proc/self/environ and /proc/self/cmdline show: its starting
   environment has a padding variable, ALEPH4J_WARM_PAD, to make room; the rest is NUL-filled),
   and runs uvicorn's __main__ in this interpreter.
"""


def _warm():
    import sys
    for name in ("asyncio", "json", "logging.config", "email.utils", "multiprocessing", "concurrent.futures",
                 "uvicorn", "uvicorn.main", "uvicorn.config", "uvicorn.server", "uvicorn.importer",
                 "uvicorn.protocols.http.auto", "uvicorn.protocols.http.h11_impl", "uvicorn.protocols.http.httptools_impl",
                 "uvicorn.protocols.websockets.auto", "uvicorn.protocols.websockets.websockets_impl",
                 "uvicorn.protocols.websockets.wsproto_impl", "uvicorn.lifespan.on", "uvicorn.loops.auto",
                 "uvicorn.loops.asyncio", "uvicorn.loops.uvloop", "uvicorn.middleware.proxy_headers",
                 "uvicorn.supervisors", "fastapi", "fastapi.responses", "fastapi.routing", "fastapi.encoders",
                 "starlette.applications", "starlette.responses", "starlette.routing", "starlette.requests",
                 "pydantic", "anyio", "anyio._backends._asyncio", "h11", "multipart"):
        try:
            __import__(name)
        except Exception:
            pass  # not installed here: the program imports it (or fails) as on a cold start
    names = sorted({m.split(".")[0] for m in sys.modules})
    sys.stdout.write("aleph4j-warm-ready " + " ".join(names) + "\n")
    sys.stdout.flush()


def _overwrite(start, end, data):
    """Writes data over [start, end) of this process's memory, NUL-padded; False when it does not fit."""
    import ctypes
    if end - start < len(data) + 1:
        return False
    ctypes.memmove(start, data + b"\0" * (end - start - len(data)), end - start)
    return True


def _show(env, argv):
    """What /proc/self/environ and /proc/self/cmdline show: the program's own, as on a cold start."""
    with open("/proc/self/stat", "rb") as fh:
        stat = fh.read()
    fields = stat[stat.rindex(b")") + 2:].split()
    # proc(5) numbers the fields from 1, pid and comm being the first two
    arg_start, arg_end, env_start, env_end = (int(fields[n - 3]) for n in (48, 49, 50, 51))
    _overwrite(env_start, env_end, b"".join(k.encode() + b"=" + v.encode() + b"\0" for k, v in env.items()))
    _overwrite(arg_start, arg_end, b"".join(a.encode() + b"\0" for a in argv))


def _run():
    import json, os, runpy, sys
    line = sys.stdin.buffer.readline()
    if not line:
        os._exit(0)
    job = json.loads(line)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
    # cleared first: no pointer of the C environment is left into the memory _show overwrites
    os.environ.clear()
    os.environ.update(job["env"])
    sys.orig_argv = list(job["argv"])  # the cold start's: python3 -m uvicorn ARGS...
    args = sys.orig_argv[3:]
    _show(job["env"], sys.orig_argv)
    sys.argv = ["-m"] + args
    sys.path[0] = os.getcwd()
    del job, line, args
    runpy.run_module("uvicorn", run_name="__main__", alter_sys=True)


_warm()
del _warm
_run()
