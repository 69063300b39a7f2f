package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/aleph-node devnet} with nothing but {@code $HOME} set: its data and the CLI's key both go
 * under that home (never another user's), and the banner's funding command funds another address.
 */
class DevnetHomeTest {
    @Test
    void devnetDataAndKeyFollowHomeAndTheBannersFundCommandWorks(@TempDir Path home) throws Exception {
        int base = Http.freePorts(3);
        String ccn = "http://127.0.0.1:" + base;
        Map<String, String> env = new HashMap<>(Map.of("HOME", home.toString()));
        try (NodeProcess devnet = NodeProcess.start("devnet", home.resolve("devnet.log"), env, "aleph-node", "devnet",
                "--crns", "1", "--ccn-port", String.valueOf(base), "--scheduler-port", String.valueOf(base + 1),
                "--crn-port", String.valueOf(base + 2))) {
            devnet.awaitLog("aleph4j devnet ready", Duration.ofSeconds(180));
            assertThat(home.resolve(".aleph4j/devnet/oracle.key")).isRegularFile();
            assertThat(home.resolve(".aleph-im/private-keys/ethereum.key")).isRegularFile();
            String banner = devnet.logText();
            assertThat(banner).contains("data       " + home.resolve(".aleph4j/devnet"));

            Matcher fund = Pattern.compile("fund more  (bin/aleph-node fund .*) 0xADDRESS\\[=AMOUNT]").matcher(banner);
            assertThat(fund.find()).as(banner).isTrue();
            String other = "0x" + "ab".repeat(20);
            List<String> words = new java.util.ArrayList<>(List.of(fund.group(1).split(" ")));
            words.set(0, NodeProcess.ROOT.resolve(words.get(0)).toString());
            words.add(other + "=1234");
            Run funded = run(words, env);
            assertThat(funded.exit()).as(funded.out()).isZero();

            Cli cli = new Cli(home, Map.of("HOME", home.toString(), "ALEPH_CCN_URL", ccn));
            Cli.Result balance = cli.runArgs("account", "balance", "--address", other, "--json");
            assertThat(balance.exit()).as(balance.toString()).isZero();
            assertThat(balance.out()).contains("1234");

            words.set(words.size() - 1, "0xnothex");
            Run refused = run(words, env);
            assertThat(refused.exit()).isNotZero();
            assertThat(refused.out().strip()).isEqualTo("aleph-node: 0xnothex is not an Ethereum address (0x and 40 hex digits)");
        }
    }

    record Run(int exit, String out) {}

    static Run run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out.lines().filter(l -> !l.startsWith("WARNING")).reduce("", (a, b) -> a + b + "\n"));
    }
}
