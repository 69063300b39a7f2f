package org.aleph4j.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node (or CLI) started from the distribution's launcher scripts as its own OS process, with its
 * output in a log file, stopped by process id together with every descendant.
 */
final class NodeProcess implements AutoCloseable {
    static final Path ROOT = Path.of(System.getProperty("aleph4j.root", "..")).toAbsolutePath().normalize();

    private final Process process;
    private final Path log;
    private final String name;

    private NodeProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code bin/<launcher> args...} with extra environment, logging to {@code log}. */
    static NodeProcess start(String name, Path log, Map<String, String> env, String launcher, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin").resolve(launcher).toString());
        cmd.addAll(List.of(args));
        return startCommand(name, log, env, cmd);
    }

    /** Starts {@code cmd} (which must exec the node, e.g. through {@code nsenter}, so that the pid is the node's). */
    static NodeProcess startCommand(String name, Path log, Map<String, String> env, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.PIPE);
        return new NodeProcess(name, pb.start(), log);
    }

    /** Waits until the log contains {@code line}; fails with the log's tail if the process died first. */
    NodeProcess awaitLog(String line, Duration timeout) {
        await(name + " to print '" + line + "'").atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (logText().contains(line)) return true;
            if (!process.isAlive() && !logText().contains(line)) {
                throw new AssertionError(name + " exited with " + process.exitValue() + ":\n" + tail());
            }
            return false;
        });
        return this;
    }

    String logText() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    String tail() {
        try {
            String t = logText();
            return t.length() > 4000 ? t.substring(t.length() - 4000) : t;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The JVM behind the launcher script (the script execs java, so it is the same process). */
    ProcessHandle handle() {
        return process.toHandle();
    }

    /** Waits for the node to exit on its own (after a SIGTERM, say). */
    void awaitExit(Duration timeout) {
        await(name + " to exit").atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> !process.isAlive());
    }

    /** SIGKILL to the node and everything it started. */
    void killHard() {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        process.destroyForcibly();
        all.forEach(ProcessHandle::destroyForcibly);
        await().atMost(Duration.ofSeconds(10)).until(() -> !process.isAlive());
    }

    /** Graceful stop (SIGTERM → shutdown hooks), then SIGKILL of anything left. */
    @Override
    public void close() {
        List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        all.forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public String toString() {
        return name + "(pid " + process.pid() + ")";
    }
}
