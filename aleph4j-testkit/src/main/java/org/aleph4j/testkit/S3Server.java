package org.aleph4j.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real S3-compatible server for tests, as the CRN's snapshot tests use: s3rver (npm) run with npx as a child
 * process on a free loopback port with one bucket; its keys are s3rver's fixed {@code S3RVER}/{@code S3RVER}.
 * (aleph4j-ccn keeps its own copy: this module depends on it.)
 */
public final class S3Server implements AutoCloseable {
    public static final String VERSION = "3.7.1";
    public static final String KEY = "S3RVER";
    private final Process process;
    private final Path log;
    public final URI endpoint;

    private S3Server(Process process, Path log, URI endpoint) {
        this.process = process;
        this.log = log;
        this.endpoint = endpoint;
    }

    /** Whether npx is on the PATH. */
    public static boolean npxAvailable() {
        String path = System.getenv("PATH");
        if (path == null) return false;
        return List.of(path.split(java.io.File.pathSeparator)).stream().anyMatch(d -> Files.isExecutable(Path.of(d, "npx")));
    }

    /** Skips the calling test without npx, or fails it when CI asks for everything ({@code ALEPH4J_REQUIRE_SANDBOX=1}). */
    public static void require() {
        if (npxAvailable()) return;
        String why = "npx (Node.js) is not on the PATH: the S3 tests run s3rver@" + VERSION + " with it";
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) Assertions.fail("ALEPH4J_REQUIRE_SANDBOX=1: " + why);
        Assumptions.abort(why);
    }

    /** Starts s3rver with {@code bucket} under {@code dir}; returns once it answers HTTP (npx may download it first). */
    public static S3Server start(Path dir, String bucket) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        return start(dir, bucket, port);
    }

    /** As {@link #start(Path, String)} on a given port (to bring a stopped server back where its clients look). */
    public static S3Server start(Path dir, String bucket, int port) throws Exception {
        Path data = Files.createDirectories(dir.resolve("s3rver-data"));
        Path log = dir.resolve("s3rver-" + port + "-" + System.nanoTime() + ".log");
        Process p = new ProcessBuilder("npx", "--yes", "s3rver@" + VERSION, "--directory", data.toString(), "--address", "127.0.0.1",
                "--port", String.valueOf(port), "--configure-bucket", bucket)
                .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        S3Server server = new S3Server(p, log, URI.create("http://127.0.0.1:" + port));
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new IllegalStateException("s3rver exited with " + p.exitValue() + ": " + server.logTail());
            if (answers(port) && Files.readString(log).contains("S3rver listening")) return server;
            Thread.sleep(200);
        }
        server.close();
        throw new IllegalStateException("s3rver did not answer on port " + port + " within 180 s: " + server.logTail());
    }

    public int port() {
        return endpoint.getPort();
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public String logTail() {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Kills npx and the node process under it (by process id), and waits until they are gone. */
    @Override
    public void close() {
        List<ProcessHandle> tree = process.descendants().toList();
        tree.forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            for (ProcessHandle h : tree) h.onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // gone or going
        }
    }
}
