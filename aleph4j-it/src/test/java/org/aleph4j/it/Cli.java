package org.aleph4j.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code bin/aleph} as a separate process, as a user would type it. */
final class Cli {
    private static final Pattern HASH = Pattern.compile("\\b[0-9a-f]{64}\\b");
    private final Path cwd;
    private final Map<String, String> env;

    Cli(Path cwd, Map<String, String> env) {
        this.cwd = cwd;
        this.env = new HashMap<>(env);
    }

    record Result(int exit, String out, String err) {
        String firstHash() {
            Matcher m = HASH.matcher(out);
            if (!m.find()) throw new AssertionError("no item hash in output:\n" + out + "\nstderr:\n" + err);
            return m.group();
        }

        /** The item hash printed after {@code label} (e.g. "New program:"). */
        String hashAfter(String label) {
            int at = out.indexOf(label);
            if (at < 0) throw new AssertionError("no '" + label + "' in output:\n" + out);
            Matcher m = HASH.matcher(out.substring(at));
            if (!m.find()) throw new AssertionError("no item hash after '" + label + "' in output:\n" + out);
            return m.group();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    /** Runs {@code aleph} with {@code words} split on spaces (use {@link #runArgs} for arguments with spaces). */
    Result run(String words) throws IOException, InterruptedException {
        return runArgs(words.split(" "));
    }

    Result runArgs(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(NodeProcess.ROOT.resolve("bin/aleph").toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("aleph-out", ".txt");
        Path err = Files.createTempFile("aleph-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("aleph " + String.join(" ", args) + " did not finish within 120 s");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
