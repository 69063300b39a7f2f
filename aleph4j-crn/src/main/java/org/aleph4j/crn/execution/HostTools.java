package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.aleph4j.crn.CrnException;

/**
 * The host tools the executors run as root (ip, nft, mount, python3 for the seccomp filter): found
 * in the system directories only, run with the fixed host environment, bounded to 10 s, their
 * output read on the side so a hanging tool cannot block the node.
 */
public final class HostTools {
    private static final long BOUND_S = 10;

    private HostTools() {}

    /** The tool's path in the system directories, or null. */
    public static String which(String tool) {
        for (String d : List.of("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin")) {
            Path p = Path.of(d, tool);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    private static ProcessBuilder builder(List<String> cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(ProcessExecutor.HOST_ENV);
        return pb;
    }

    /** The command's exit code, -1 when it could not run or timed out. */
    static int exitCode(List<String> cmd) {
        try {
            Process p = builder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(BOUND_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** {@link #run(List, String, boolean)} without input, failing on a non-zero exit. */
    static String run(List<String> cmd) {
        return run(cmd, null, true);
    }

    /** Runs a command with optional stdin; returns its output; a failure is a 500 naming the command when {@code mustSucceed}. */
    static String run(List<String> cmd, String stdin, boolean mustSucceed) {
        try {
            Process p = builder(cmd).start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            }, r -> Thread.ofVirtual().start(r));
            if (!p.waitFor(BOUND_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CrnException(500, "host command timed out: " + String.join(" ", cmd));
            }
            String text;
            try {
                text = new String(out.get(2, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                text = "";
            }
            if (mustSucceed && p.exitValue() != 0) {
                throw new CrnException(500, "host command failed: " + String.join(" ", cmd) + ": " + text.strip()
                        + (stdin == null ? "" : " (input: " + stdin.strip().replace('\n', ';') + ")"));
            }
            return text;
        } catch (IOException e) {
            throw new CrnException(500, "cannot run " + cmd.get(0) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CrnException(503, "interrupted while running " + cmd.get(0));
        }
    }
}
