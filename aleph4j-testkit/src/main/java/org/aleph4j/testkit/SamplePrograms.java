package org.aleph4j.testkit;

import java.io.IOException;
import java.util.Map;

/** Program code the tests run: the tutorial's FastAPI app and a small binary HTTP server with test behaviours. */
public final class SamplePrograms {
    private SamplePrograms() {
    }

    /** The upstream tutorial's FastAPI app ({@code main:app}): {@code GET /} answers {"message": "Hello World"}. */
    public static final String FASTAPI_MAIN = """
            from fastapi import FastAPI

            app = FastAPI()


            @app.get("/")
            async def root():
                return {"message": "Hello World"}
            """;

    /**
     * A binary program: a tiny Python HTTP server on $PORT. {@code GET} answers its path, port, pid,
     * boot id, epoch, item hash, version and working directory; {@code /sleep} waits 5 s first,
     * {@code /crash} exits with code 3, {@code /hog} touches 400 MiB; {@code POST} answers the body's length.
     */
    public static final String SERVER_PY = """
            import os, sys, time, json
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
            VERSION = os.environ.get("VERSION_TAG", "v1")
            BOOT = os.urandom(8).hex()  # pids are namespace-local in a sandbox: this names one start
            class H(BaseHTTPRequestHandler):
                def reply(self, code, body):
                    data = json.dumps(body).encode()
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                def do_GET(self):
                    if self.path.startswith("/sleep"):
                        time.sleep(5)
                    if self.path.startswith("/crash"):
                        os._exit(3)
                    if self.path.startswith("/hog"):
                        hog = bytearray(400 * 1024 * 1024)
                        for i in range(0, len(hog), 4096): hog[i] = 1
                    print("served " + self.path, flush=True)
                    self.reply(200, {"path": self.path, "port": os.environ.get("PORT"), "pid": os.getpid(), "boot": BOOT,
                                     "epoch": os.environ.get("ALEPH4J_EPOCH"), "hash": os.environ.get("ALEPH4J_ITEM_HASH"),
                                     "version": VERSION, "cwd": os.getcwd()})
                def do_POST(self):
                    n = int(self.headers.get("Content-Length", "0"))
                    body = self.rfile.read(n)
                    self.reply(201, {"method": "POST", "length": len(body), "path": self.path})
                def log_message(self, *a):
                    pass
            # in a sandbox the node reaches the program through its veth; as a plain process, loopback only
            HOST = "0.0.0.0" if os.environ.get("ALEPH4J_EXECUTOR") == "sandbox" else "127.0.0.1"
            ThreadingHTTPServer((HOST, int(os.environ["PORT"])), H).serve_forever()
            """;

    /** A one-line script, for programs that are placed but never run (plain encoding, entrypoint {@code main.py}). */
    public static final String HELLO_PY = "print('hello from a persistent program')\n";

    /** {@link #SERVER_PY} zipped with a {@code run.sh} entrypoint that reports {@code version}. */
    public static byte[] binaryZip(String version) throws IOException {
        return TestNetwork.zip(Map.of("run.sh", "#!/bin/sh\nexport VERSION_TAG=" + version + "\nexec python3 \"$(dirname \"$0\")/server.py\"\n",
                "server.py", SERVER_PY));
    }
}
