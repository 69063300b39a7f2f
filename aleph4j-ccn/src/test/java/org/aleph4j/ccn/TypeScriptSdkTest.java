package org.aleph4j.ccn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.aleph4j.message.EthAccount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream's TypeScript SDK ({@code @aleph-sdk/client}) posts, stores, downloads (random binary files of several
 * sizes up to 1 MiB, raw and base64, with gzip asked for), stores through {@code ipfs/add_file}, aggregates,
 * queries, lists posts (amends merged) and aggregates, and forgets on a node.
 */
class TypeScriptSdkTest {
    static Path jsDir() {
        String root = System.getProperty("aleph4j.root");
        Path base = root != null ? Path.of(root).resolve("aleph4j-ccn") : Path.of("").toAbsolutePath();
        return base.resolve("src/test/js");
    }

    static boolean onPath(String tool) {
        try {
            Process p = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            try {
                return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
            } finally {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Runs a command in the JS directory, bounded in time, killing it (by pid) if it overruns; returns its output. */
    static String run(List<String> cmd, long timeoutSeconds, Path log) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(jsDir().toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(done).as("%s did not finish in %d s:%n%s", cmd, timeoutSeconds, out).isTrue();
            assertThat(p.exitValue()).as("%s failed:%n%s", cmd, out).isZero();
            return out;
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void upstreamTypeScriptSdkCanPostStoreDownloadAggregateQueryListAndForget(@TempDir Path dir) throws Exception {
        assumeTrue(onPath("node") && onPath("npm"), "node and npm are not installed: skipping the TypeScript SDK check");
        if (!Files.isDirectory(jsDir().resolve("node_modules"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), 300, dir.resolve("npm.log"));
        }
        EthAccount oracle = EthAccount.generate(new java.security.SecureRandom());
        try (CcnNode node = new CcnNode(CcnHarness.config(dir.resolve("ccn"), null, oracle)).start()) {
            String out = run(List.of("node", "test.mjs", node.url().toString()), 120, dir.resolve("node.log"));
            System.out.println(out);
            assertThat(out).contains("OK post", "OK store", "OK download", "OK download-binary", "OK aggregate", "OK query",
                    "OK binary-sizes", "OK ipfs-store", "OK posts-list", "OK aggregates-list", "OK forget", "ALL OK");
            assertThat(out).doesNotContain("FAIL");
        }
    }
}
