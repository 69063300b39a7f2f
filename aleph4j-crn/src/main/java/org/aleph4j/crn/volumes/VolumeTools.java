package org.aleph4j.crn.volumes;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tools a volume needs (mkfs.btrfs, btrfs, mount, umount, losetup), found in the system
 * directories only and run with a fixed environment within a deadline: past it the tool and
 * everything it started are killed by pid. Output is read on the side (stdout bounded, the last
 * 4 KiB of stderr kept), so a failure is a {@link VolumeException} naming the tool and quoting it.
 * Streams ({@code btrfs send} into an {@link OutputStream}, an {@link InputStream} into
 * {@code btrfs receive}) are copied by the calling thread; when the other side of the copy fails the
 * tool is killed before its pipe closes, so it never sees a clean end of a partial stream.
 */
final class VolumeTools {
    static final Duration SHORT = Duration.ofSeconds(60);
    private static final int STDERR_KEEP = 4096;
    private static final int STDOUT_KEEP = 1 << 20;

    private VolumeTools() {}

    /** The tool's path in the system directories; fails when it is not installed. */
    static String which(String tool) throws VolumeException {
        for (String d : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) return p.toString();
        }
        throw new VolumeException(tool + " is not installed on this node (volumes need btrfs-progs and util-linux)");
    }

    /** Runs {@code tool args...} without input; returns its stdout; a non-zero exit or the timeout is a {@link VolumeException}. */
    static String run(Duration timeout, String tool, String... args) throws VolumeException {
        Running r = start(tool, args, false, false);
        r.awaitOrKill(timeout);
        return r.checked();
    }

    /** Runs the tool with its stdout copied to {@code out}; a failed write kills it. */
    static void runTo(Duration timeout, OutputStream out, String tool, String... args) throws IOException {
        Running r = start(tool, args, false, true);
        r.killAt(timeout);
        try (InputStream in = r.process.getInputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            r.kill();
            if (r.timedOut.get()) throw r.timeout(timeout);
            throw e;
        }
        r.awaitOrKill(timeout);
        r.checked();
    }

    /**
     * Runs the tool with {@code in} copied to its stdin; returns its stderr. When reading {@code in}
     * fails the tool is killed first and the read's exception is thrown.
     */
    static String runFrom(Duration timeout, InputStream in, String tool, String... args) throws IOException {
        Running r = start(tool, args, true, false);
        r.killAt(timeout);
        byte[] buf = new byte[64 * 1024];
        OutputStream stdin = r.process.getOutputStream();
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                try {
                    stdin.write(buf, 0, n);
                } catch (IOException e) {
                    break; // the tool exited early: its exit code and stderr say why
                }
            }
        } catch (IOException | RuntimeException e) {
            r.kill();
            throw e;
        }
        try {
            stdin.close();
        } catch (IOException ignored) {
            // the tool exited already
        }
        r.awaitOrKill(timeout);
        r.checked();
        return r.stderr();
    }

    private static Running start(String tool, String[] args, boolean callerWritesStdin, boolean callerReadsStdout)
            throws VolumeException {
        List<String> cmd = new ArrayList<>();
        cmd.add(which(tool));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("LC_ALL", "C");
        if (!callerWritesStdin) pb.redirectInput(new File("/dev/null"));
        try {
            return new Running(String.join(" ", cmd), pb.start(), callerReadsStdout);
        } catch (IOException e) {
            throw new VolumeException("cannot run " + cmd.get(0) + ": " + e.getMessage());
        }
    }

    /** One started tool with its stderr (and, unless the caller takes it, stdout) read on the side. */
    private static final class Running {
        final String command;
        final Process process;
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final Thread errReader;
        final Thread outReader;
        final AtomicBoolean timedOut = new AtomicBoolean();

        Running(String command, Process process, boolean callerReadsStdout) {
            this.command = command;
            this.process = process;
            this.errReader = Thread.ofVirtual().start(() -> keep(process.getErrorStream(), err, STDERR_KEEP, true));
            this.outReader = callerReadsStdout ? null
                    : Thread.ofVirtual().start(() -> keep(process.getInputStream(), out, STDOUT_KEEP, false));
        }

        /** Kills the tool when the timeout passes (for copies done by the caller's thread). */
        void killAt(Duration timeout) {
            Thread.ofVirtual().start(() -> {
                try {
                    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                        timedOut.set(true);
                        kill();
                    }
                } catch (InterruptedException e) {
                    kill();
                }
            });
        }

        void awaitOrKill(Duration timeout) throws VolumeException {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                    throw timeout(timeout);
                }
                errReader.join(Duration.ofSeconds(5));
                if (outReader != null) outReader.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                kill();
                Thread.currentThread().interrupt();
                throw new VolumeException(command + " was interrupted", new InterruptedIOException());
            }
            if (timedOut.get()) throw timeout(timeout);
        }

        VolumeException timeout(Duration timeout) {
            return new VolumeException(command + " did not finish within " + timeout.toSeconds() + " s" + tail());
        }

        String checked() throws VolumeException {
            if (process.exitValue() != 0) {
                throw new VolumeException(command + " failed (exit " + process.exitValue() + ")" + tail());
            }
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }

        String stderr() {
            synchronized (err) {
                return err.toString(StandardCharsets.UTF_8);
            }
        }

        private String tail() {
            String e = stderr().strip();
            return e.isEmpty() ? "" : ": " + e.replace('\n', ' ');
        }

        void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads {@code in} to its end, keeping the first (or, with {@code tail}, the last) {@code max} bytes. */
    private static void keep(InputStream in, ByteArrayOutputStream into, int max, boolean tail) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (into) {
                    if (!tail) {
                        into.write(buf, 0, Math.min(n, Math.max(0, max - into.size())));
                        continue;
                    }
                    int k = Math.min(n, max);
                    if (into.size() + k > max) {
                        byte[] all = into.toByteArray();
                        int old = max - k;
                        into.reset();
                        into.write(all, all.length - old, old);
                    }
                    into.write(buf, n - k, k);
                }
            }
        } catch (IOException ignored) {
            // the tool was killed
        }
    }
}
