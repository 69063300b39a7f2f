"""Reports what a program observes of its sandbox, to compare a warm slot's start with a cold start."""
import os
import socket
import subprocess
import sys

from fastapi import FastAPI

app = FastAPI()


def read(path):
    try:
        with open(path, "rb") as fh:
            return fh.read().decode(errors="replace")
    except OSError as e:
        return "error: " + type(e).__name__


def status(key):
    for line in read("/proc/self/status").splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return None


@app.get("/")
def report():
    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    return {
        "uid": os.getuid(), "gid": os.getgid(), "euid": os.geteuid(), "groups": os.getgroups(),
        "hostname": socket.gethostname(), "etc_hostname": read("/etc/hostname"), "hosts": read("/etc/hosts"),
        "resolv": read("/etc/resolv.conf"), "passwd": read("/etc/passwd"),
        "env": dict(os.environ), "proc_environ": sorted(read("/proc/self/environ").strip("\0").split("\0")),
        "cmdline": read("/proc/self/cmdline").strip("\0").split("\0"),
        "argv": sys.argv, "path0": sys.path[0], "cwd": os.getcwd(), "code": sorted(os.listdir("/opt/code")),
        "code_writable": os.access("/opt/code", os.W_OK), "data": sorted(os.listdir("/data")),
        "tmp": sorted(os.listdir("/tmp")), "stdin": os.readlink("/proc/self/fd/0"),
        "seccomp": status("Seccomp"), "no_new_privs": status("NoNewPrivs"), "cap_eff": status("CapEff"),
        "cap_bnd": status("CapBnd"), "routes": len(read("/proc/net/route").splitlines()),
        "default_route": any(l.split()[1] == "00000000" for l in read("/proc/net/route").splitlines()[1:]),
        "interfaces": sorted(n for _, n in socket.if_nameindex()),
        "processes": len(pids), "other_uids": sorted({int(status_of(p, "Uid").split()[0]) for p in pids} - {os.getuid(), 0}),
        "guest_socket": os.path.exists(os.environ.get("ALEPH_API_UNIX_SOCKET", "/nonexistent")),
    }


def status_of(pid, key):
    for line in read("/proc/%s/status" % pid).splitlines():
        if line.startswith(key + ":"):
            return line.split(":", 1)[1].strip()
    return "0"


@app.get("/alloc/{mib}")
def alloc(mib: int):
    """A child that touches mib MiB: killed by the memory limit when it is below."""
    code = "b = bytearray(%d * 1024 * 1024)\nfor i in range(0, len(b), 4096): b[i] = 1\n" % mib
    return {"returncode": subprocess.run([sys.executable, "-c", code], timeout=60).returncode}


@app.get("/peek")
def peek(path: str):
    """What a hostile program gets for a path of the host (another slot's code, the pool's files)."""
    try:
        return {"exists": os.path.exists(path), "list": sorted(os.listdir(path)) if os.path.isdir(path) else None,
                "read": read(path) if os.path.isfile(path) else None}
    except OSError as e:
        return {"exists": True, "error": type(e).__name__}
