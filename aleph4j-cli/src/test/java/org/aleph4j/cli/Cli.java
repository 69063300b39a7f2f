package org.aleph4j.cli;

import org.aleph4j.testkit.TestNetwork;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs the {@code aleph} CLI in-process, with an environment pointing it at a {@link TestNetwork}. */
final class Cli {
    private Cli() {
    }

    /** Result of one in-process CLI run. */
    record Run(int code, String out, String err) {}

    static Run run(Map<String, String> env, String... args) {
        return runWithStdin(env, "", args);
    }

    /** As {@link #run} with {@code stdin} as the command's standard input. */
    static Run runWithStdin(Map<String, String> env, String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = AlephCli.run(args, new java.io.ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), o, e, env,
                    java.time.InstantSource.system());
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** An environment for the CLI: its own config home, {@code net}'s CCN, and a PATH with or without mksquashfs. */
    static Map<String, String> env(TestNetwork net, Path home, boolean withMksquashfs) {
        Map<String, String> env = new HashMap<>();
        env.put("ALEPH_HOME", home.toString());
        env.put("ALEPH_CCN_URL", net.ccnUrl().toString());
        env.put("PATH", withMksquashfs ? System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/bin:/usr/sbin:/sbin" : home.resolve("no-bin").toString());
        env.put("HOME", home.toString());
        // No scheduler in these tests: a port nothing listens on, never a devnet someone runs on the default one.
        env.put("ALEPH_SCHEDULER_URL", "http://127.0.0.1:9");
        return env;
    }
}
