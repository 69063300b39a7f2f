package org.aleph4j.bench.ccn;

import io.javalin.Javalin;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.aleph4j.ccn.files.FileStore;
import org.aleph4j.ccn.files.LocalFileStore;
import org.aleph4j.ccn.files.S3FileStore;
import org.aleph4j.ccn.files.S3Location;

/**
 * Put and get throughput of the CCN's file store backends for 1 MiB and 64 MiB files: the local disk, an
 * S3-compatible bucket (s3rver started with npx, on this machine: a floor for a real object store's latency, not its
 * bandwidth), and the alternative a replica without the file would take with a fetch-from-peer design: an HTTP
 * download from the replica holding it (served as {@code storage/raw} serves files), hashed and written to the
 * local disk. A peer-design put is a local put (plus a database row for its location). Prints figures, asserts
 * nothing.
 */
public final class FileStoreBench {
    private static final long MIB = 1 << 20;

    private FileStoreBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("aleph4j-filebench");
        Process s3rver = null;
        try {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            s3rver = new ProcessBuilder("npx", "--yes", "s3rver@3.7.1", "--directory", Files.createDirectories(dir.resolve("s3")).toString(),
                    "--address", "127.0.0.1", "--port", String.valueOf(port), "--configure-bucket", "bench", "--silent")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("s3rver.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            awaitPort(port, Duration.ofSeconds(180), s3rver);
            LocalFileStore local = new LocalFileStore(dir.resolve("local"));
            S3Location loc = S3Location.parse("s3://bench/f/?endpoint=http://127.0.0.1:" + port, "S3RVER", "S3RVER", Duration.ofSeconds(60));
            LocalFileStore holder = new LocalFileStore(dir.resolve("peer-holder"));
            LocalFileStore cache = new LocalFileStore(dir.resolve("peer-cache"));
            Javalin peer = Javalin.create(c -> {
                c.startup.showJavalinBanner = false;
                c.concurrency.useVirtualThreads = true;
                c.routes.get("/raw/{hash}", ctx -> {
                    FileStore.Opened o = holder.open(ctx.pathParam("hash"));
                    ctx.disableCompression();
                    ctx.header("Content-Length", Long.toString(o.size())).contentType("application/octet-stream").result(o.stream());
                });
            }).start("127.0.0.1", 0);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            try (S3FileStore s3 = new S3FileStore(loc, dir.resolve("spool"), 128 * MIB)) {
                System.out.println("file store throughput (MiB/s; a put is stage + hash + commit, a get streams and reads all bytes)");
                System.out.printf("%-7s %-6s %10s %10s%n", "size", "store", "put", "get");
                for (int[] c : new int[][] {{1, 20}, {64, 3}}) {
                    int size = (int) (c[0] * MIB);
                    int n = c[1];
                    List<byte[]> files = new ArrayList<>();
                    for (int i = 0; i < n + 1; i++) {
                        byte[] b = new byte[size];
                        new Random(i * 31L + size).nextBytes(b);
                        files.add(b);
                    }
                    // one warm-up file per store, then n timed
                    report(c[0] + " MiB", "local", putAll(local, files, n), getAll(local, files, n), size, n);
                    report(c[0] + " MiB", "s3", putAll(s3, files, n), getAll(s3, files, n), size, n);
                    putAll(holder, files, n);
                    List<String> hashes = files.stream().map(FileStoreBench::sha).toList();
                    long t0 = 0;
                    for (int i = 0; i <= n; i++) {
                        if (i == 1) t0 = System.nanoTime();
                        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + peer.port()
                                + "/raw/" + hashes.get(i))).timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofInputStream());
                        try (InputStream in = r.body(); FileStore.Staged st = cache.stage(in, Long.MAX_VALUE)) {
                            if (!st.hash().equals(hashes.get(i))) throw new IllegalStateException("peer sent other bytes");
                            st.commit();
                        }
                    }
                    long peerGet = System.nanoTime() - t0;
                    report(c[0] + " MiB", "peer", -1, peerGet, size, n);
                    for (String h : hashes) {
                        local.delete(h);
                        s3.delete(h);
                        holder.delete(h);
                        cache.delete(h);
                    }
                }
                System.out.println("(peer put = local put plus a location row; peer get = the miss of a replica without the file:"
                        + " HTTP from the holder, hashed, written to its disk)");
            } finally {
                peer.stop();
            }
        } finally {
            if (s3rver != null) {
                s3rver.descendants().forEach(ProcessHandle::destroyForcibly);
                s3rver.destroyForcibly();
            }
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static String sha(byte[] b) {
        return org.aleph4j.message.ItemHashes.sha256Hex(b);
    }

    private static long putAll(FileStore store, List<byte[]> files, int n) throws IOException {
        long t0 = 0;
        for (int i = 0; i <= n; i++) {
            if (i == 1) t0 = System.nanoTime();
            try (FileStore.Staged s = store.stage(new java.io.ByteArrayInputStream(files.get(i)), Long.MAX_VALUE)) {
                s.commit();
            }
        }
        return System.nanoTime() - t0;
    }

    private static long getAll(FileStore store, List<byte[]> files, int n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long t0 = 0;
        for (int i = 0; i <= n; i++) {
            if (i == 1) t0 = System.nanoTime();
            try (FileStore.Opened o = store.open(sha(files.get(i))); InputStream in = o.stream()) {
                long total = 0;
                int r;
                while ((r = in.read(buf)) > 0) total += r;
                if (total != files.get(i).length) throw new IllegalStateException("short read");
            }
        }
        return System.nanoTime() - t0;
    }

    private static void report(String size, String store, long putNanos, long getNanos, int bytes, int n) {
        System.out.printf("%-7s %-6s %10s %10s%n", size, store, rate(putNanos, bytes, n), rate(getNanos, bytes, n));
    }

    private static String rate(long nanos, int bytes, int n) {
        if (nanos < 0) return "(local)";
        return String.format("%.0f", (double) bytes * n / MIB / (nanos / 1e9));
    }

    private static void awaitPort(int port, Duration timeout, Process p) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IllegalStateException("s3rver exited with " + p.exitValue());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("s3rver did not start within " + timeout);
    }
}
