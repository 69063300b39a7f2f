"""Built-in diagnostic program of the CRN's /status/check/fastapi (no CCN needed)."""
import os
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse

app = FastAPI()
state = {"lifespan": False}


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
    raise HTTPException(status_code=500, detail="expected error")


@app.get("/state/increment")
async def increment():
    # the working directory is the read-only code (/opt/code); HOME is the execution's writable data
    path = os.path.join(os.environ.get("HOME", "."), "counter")
    n = int(open(path).read()) if os.path.exists(path) else 0
    with open(path, "w") as fh:
        fh.write(str(n + 1))
    return {"counter": n + 1}
