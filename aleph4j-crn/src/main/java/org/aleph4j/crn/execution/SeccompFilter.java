package org.aleph4j.crn.execution;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The seccomp filter programs run under (see {@code seccomp_filter.py} for what it denies),
 * compiled once per node by libseccomp through Debian's {@code python3-seccomp} into cBPF: bwrap
 * loads it for sandboxed programs, the watchdog installs it itself under the {@code process}
 * executor.
 */
final class SeccompFilter {
    /** The Debian interpreter, for which python3-seccomp is installed whatever runtime the node uses. */
    private static final String PYTHON = "/usr/bin/python3";

    private SeccompFilter() {}

    /** Whether libseccomp's Python binding can be imported. */
    static boolean available() {
        try {
            ProcessBuilder pb = new ProcessBuilder(PYTHON, "-I", "-c", "import seccomp").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            pb.environment().putAll(ProcessExecutor.HOST_ENV);
            Process p = pb.start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Compiles the filter into {@code <runDir>/seccomp.bpf} and returns that file. */
    static Path compile(Path runDir) throws IOException {
        Path script = runDir.resolve("seccomp_filter.py");
        try (InputStream in = SeccompFilter.class.getResourceAsStream("seccomp_filter.py")) {
            if (in == null) throw new IllegalStateException("seccomp_filter.py resource is missing");
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path out = runDir.resolve("seccomp.bpf");
        Files.deleteIfExists(out);
        HostTools.run(List.of(PYTHON, "-I", script.toString(), out.toString()));
        if (!Files.isRegularFile(out) || Files.size(out) == 0 || Files.size(out) % 8 != 0) {
            throw new IllegalStateException("the seccomp filter was not compiled");
        }
        return out;
    }
}
