# Imported by any Python interpreter that has this directory on its PYTHONPATH. If a host-side
# process (the watchdog, as root) ever imports it, the marker appears on the host with uid 0.
import os
mark = os.environ.get("MARK")
if mark:
    try:
        with open(mark, "w") as fh:
            fh.write("uid=%d pid=%d" % (os.getuid(), os.getpid()))
    except OSError:
        pass
os.environ["SITECUSTOMIZE_RAN_AS"] = str(os.getuid())
