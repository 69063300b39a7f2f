package org.aleph4j.it;


import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every role in its own process (a CCN, a scheduler, three CRNs started with {@code bin/aleph-node}):
 * the tutorial passes. Faults (the CRN killed, frozen or cut off, the scheduler killed) are the
 * fault suite's ({@link FaultsContract}), with each CRN in a network namespace of its own.
 */
class MultiProcessNetworkTest extends TutorialContract {
    @TempDir static Path tmp;
    static NodeProcess ccnNode;
    static NodeProcess schedulerNode;
    static final NodeProcess[] crnNodes = new NodeProcess[3];
    static final List<String[]> crnArgs = new ArrayList<>();
    static Map<String, String> env;

    @BeforeAll
    static void startNetwork() throws Exception {
        dir = tmp;
        int base = Http.freePorts(5);
        ccn = "http://127.0.0.1:" + base;
        scheduler = "http://127.0.0.1:" + (base + 1);
        crns = List.of("http://127.0.0.1:" + (base + 2), "http://127.0.0.1:" + (base + 3), "http://127.0.0.1:" + (base + 4));
        EthAccount oracle = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("oracle.key"), oracle, false);
        List<String> crnAddresses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            EthAccount k = EthAccount.generate(new SecureRandom());
            KeyFiles.write(dir.resolve("crn-" + i + ".key"), k, false);
            crnAddresses.add(k.address());
        }
        // The scheduler's signing key is made here, so its address can be given to the CRNs it leases to.
        EthAccount schedulerKey = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("scheduler.key"), schedulerKey, false);
        env = new HashMap<>(Map.of("ALEPH_HOME", dir.resolve("aleph-home").toString(),
                "ALEPH_CCN_URL", ccn, "ALEPH_SCHEDULER_URL", scheduler, "ALEPH_CRN_URL", crns.get(0)));

        ccnNode = NodeProcess.start("ccn", dir.resolve("ccn.log"), env, "aleph-node", "ccn", "--data",
                dir.resolve("ccn").toString(), "--port", String.valueOf(base), "--oracle-addresses", oracle.address());
        ccnNode.awaitLog("aleph4j ccn ready", Duration.ofSeconds(120));
        schedulerNode = NodeProcess.start("scheduler", dir.resolve("scheduler.log"), env, "aleph-node", "scheduler",
                "--data", dir.resolve("scheduler").toString(), "--port", String.valueOf(base + 1), "--ccn-url", ccn,
                "--allowed-nodes", String.join(",", crnAddresses), "--require-isolation=false",
                "--key-file", dir.resolve("scheduler.key").toString());
        for (int i = 0; i < 3; i++) {
            crnArgs.add(new String[] {"crn", "--data", dir.resolve("crn-" + i).toString(), "--port", String.valueOf(base + 2 + i),
                    "--ccn-url", ccn, "--scheduler-url", scheduler, "--scheduler-addresses", schedulerKey.address(),
                    "--key-file", dir.resolve("crn-" + i + ".key").toString(),
                    // the devnet test runs the tutorial under the default executor, this one under process
                    "--executor", "process"});
            crnNodes[i] = startCrn(i);
        }
        schedulerNode.awaitLog("aleph4j scheduler ready", Duration.ofSeconds(120));
        for (NodeProcess crn : crnNodes) crn.awaitLog("aleph4j crn ready", Duration.ofSeconds(120));

        EthAccount user = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("aleph-home/private-keys/ethereum.key"), user, false);
        try (NodeProcess fund = NodeProcess.start("fund", dir.resolve("fund.log"), env, "aleph-node", "fund", "--ccn-url", ccn,
                "--oracle-key", dir.resolve("oracle.key").toString(), user.address())) {
            fund.awaitLog("funded " + user.address(), Duration.ofSeconds(60));
        }
        cli = new Cli(Files.createDirectories(dir.resolve("work")), env);
    }

    static NodeProcess startCrn(int i) throws IOException {
        return NodeProcess.start("crn-" + i, dir.resolve("crn-" + i + ".log"), env, "aleph-node", crnArgs.get(i));
    }

    @AfterAll
    static void stopNetwork() {
        for (NodeProcess crn : crnNodes) if (crn != null) crn.close();
        if (schedulerNode != null) schedulerNode.close();
        if (ccnNode != null) ccnNode.close();
    }
}
