package org.aleph4j.cli;

import org.aleph4j.testkit.TestNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code aleph program migrate} over real HTTP. The test network has no scheduler (aleph4j-cli's
 * tests do not depend on aleph4j-scheduler), so the 404 case points {@code --scheduler-url} at the
 * network's CCN, a real server without the migrate endpoint, as a scheduler that lacks it (or does
 * not know the program) answers; the full flow against a scheduler belongs to aleph4j-it.
 */
class MigrateCommandTest {
    @TempDir
    static Path tmp;
    static TestNetwork net;
    static Map<String, String> env;
    static String address;
    static final String HASH = "ab".repeat(32);

    @BeforeAll
    static void start() throws Exception {
        net = TestNetwork.builder(tmp).start();
        env = Cli.env(net, tmp.resolve("home"), false);
        assertThat(Cli.run(env, "account", "create").code()).isZero();
        address = Cli.run(env, "account", "address").out().strip();
    }

    @AfterAll
    static void stop() {
        if (net != null) net.close();
    }

    private static Cli.Run migrate(Map<String, String> e, String... args) throws Exception {
        long before = net.messagesFrom(address);
        String[] all = new String[args.length + 2];
        all[0] = "program";
        all[1] = "migrate";
        System.arraycopy(args, 0, all, 2, args.length);
        Cli.Run r = Cli.run(e, all);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Error: ");
        assertThat(r.err().strip()).doesNotContain("\n");
        assertThat(net.messagesFrom(address)).isEqualTo(before);
        return r;
    }

    @Test
    void aSchedulerAnswering404IsShownAsOneLineWithItsMessage() throws Exception {
        Cli.Run r = migrate(env, HASH, "--scheduler-url", net.ccnUrl().toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("Error: cannot migrate " + HASH + ": the scheduler at " + net.ccnUrl()
                + " answered HTTP 404: ").contains("/api/v1/vms/" + HASH + "/migrate");
    }

    @Test
    void anUnreachableSchedulerSaysHowToStartOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> e = new HashMap<>(env);
        e.put("ALEPH_SCHEDULER_URL", "http://127.0.0.1:" + port);
        Cli.Run r = migrate(e, HASH, "--to", "0x" + "12".repeat(20));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("Error: cannot migrate " + HASH + ": cannot reach the scheduler at http://127.0.0.1:"
                + port + " — start a devnet with `bin/aleph-node devnet` or pass --scheduler-url");
    }

    @Test
    void aBadHashOrTargetIsAUsageErrorBeforeAnyCall() throws Exception {
        Map<String, String> e = new HashMap<>(env);
        e.put("ALEPH_SCHEDULER_URL", "http://127.0.0.1:1"); // never called
        Cli.Run badHash = migrate(e, "xyz");
        assertThat(badHash.code()).isEqualTo(2);
        assertThat(badHash.err()).contains("'xyz' is not a valid program hash");
        Cli.Run badTarget = migrate(e, HASH, "--to", "node-7");
        assertThat(badTarget.code()).isEqualTo(2);
        assertThat(badTarget.err().strip())
                .isEqualTo("Error: --to 'node-7' is neither a node hash (64 hex characters) nor a 0x address");
    }
}
