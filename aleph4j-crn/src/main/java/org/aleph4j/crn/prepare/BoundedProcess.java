package org.aleph4j.crn.prepare;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a tool on a stranger's file within a deadline: its output is read on the side (stdout line
 * by line into a consumer that may refuse it, stderr kept to its last few KiB), and when the
 * deadline passes or the consumer refuses, the tool and everything it started are killed by pid.
 */
final class BoundedProcess {
    /** Receives stdout lines; throwing stops the tool. */
    interface Lines {
        void line(String line) throws UnpackException;
    }

    record Result(int exitCode, String stderrTail) {}

    private static final int STDERR_KEEP = 4096;

    private BoundedProcess() {}

    /**
     * @param deadlineNanos on {@link System#nanoTime()}
     * @param maxLine       a longer stdout line is refused as {@code tooLong}
     */
    static Result run(String what, List<String> cmd, Path cwd, Path stdin, long deadlineNanos, Duration timeout,
                      int maxLine, UnpackException tooLong, Lines lines) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("TZ", "UTC");
        pb.redirectInput(stdin.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw UnpackException.nodeFault("cannot run " + cmd.get(0) + ": " + e.getMessage());
        }
        AtomicReference<IOException> refused = new AtomicReference<>();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread outReader = Thread.ofVirtual().start(() -> {
            try {
                readLines(p.getInputStream(), maxLine, tooLong, lines);
            } catch (IOException e) {
                refused.compareAndSet(null, e);
                kill(p);
            } catch (RuntimeException e) {
                refused.compareAndSet(null, new UnpackException(what + " printed what this node cannot read"));
                kill(p);
            }
        });
        Thread errReader = Thread.ofVirtual().start(() -> keepTail(p.getErrorStream(), err));
        try {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                kill(p);
                throw UnpackException.limit(what + " did not finish within " + describe(timeout), "unpack_timeout",
                        describe(timeout));
            }
            // the pipes close when the tool exits; its children were killed with it
            outReader.join(Duration.ofSeconds(5));
            errReader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(what + " was interrupted");
        } finally {
            kill(p);
        }
        if (refused.get() != null) throw refused.get();
        String tail;
        synchronized (err) {
            tail = err.toString(StandardCharsets.UTF_8);
        }
        return new Result(p.exitValue(), tail);
    }

    /** Kills {@code p} and every process it started, by pid, and waits briefly for it to be gone. */
    static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String describe(Duration d) {
        return d.toMillis() < 1000 ? d.toMillis() + " ms" : d.toSeconds() + " s";
    }

    private static void readLines(InputStream in, int maxLine, UnpackException tooLong, Lines lines) throws IOException {
        byte[] buf = new byte[8192];
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int n;
        while ((n = in.read(buf)) > 0) {
            for (int i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    lines.line(line.toString(StandardCharsets.UTF_8));
                    line.reset();
                } else {
                    if (line.size() >= maxLine) throw tooLong;
                    line.write(buf[i]);
                }
            }
        }
        if (line.size() > 0) lines.line(line.toString(StandardCharsets.UTF_8));
    }

    private static void keepTail(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    int k = Math.min(n, STDERR_KEEP);
                    if (out.size() + k > STDERR_KEEP) {
                        byte[] all = out.toByteArray();
                        int old = STDERR_KEEP - k;
                        out.reset();
                        out.write(all, all.length - old, old);
                    }
                    out.write(buf, n - k, k);
                }
            }
        } catch (IOException ignored) {
            // the tool was killed
        }
    }
}
