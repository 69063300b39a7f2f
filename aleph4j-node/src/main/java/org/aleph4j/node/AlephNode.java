package org.aleph4j.node;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.node.devnet.Devnet;
import org.aleph4j.scheduler.SchedulerNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aleph-node}: runs one role per process, or all roles together as a devnet. */
@Command(name = "aleph-node", mixinStandardHelpOptions = true, version = "aleph4j 0.1.0",
        description = "Runs an aleph4j node: a CCN, a scheduler, a CRN, or a whole local devnet.",
        subcommands = {AlephNode.Ccn.class, AlephNode.Fund.class, AlephNode.Scheduler.class, AlephNode.Crn.class, Devnet.Command.class,
                CommandLine.HelpCommand.class})
public final class AlephNode {
    private static final Logger log = LoggerFactory.getLogger(AlephNode.class);

    public static void main(String[] args) {
        CommandLine cli = new CommandLine(new AlephNode());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("aleph-node: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            log.debug("failure", e);
            return 1;
        });
        System.exit(cli.execute(args));
    }

    /** Options every role accepts; each maps to a settings key. */
    static class Common {
        @Option(names = "--config", description = "properties file with this node's settings") Path config;
        @Option(names = "--data", description = "data directory (database, files, keys)") String data;
        @Option(names = "--host", description = "address to listen on (default 127.0.0.1)") String host;
        @Option(names = "--port", description = "port to listen on") String port;

        Map<String, String> flags() {
            Map<String, String> f = new HashMap<>();
            f.put("data", data);
            f.put("host", host);
            f.put("port", port);
            return f;
        }
    }

    /** Blocks until the JVM is asked to stop, then closes {@code resources} in reverse order. */
    static void runUntilStopped(List<AutoCloseable> resources) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    log.warn("closing {} failed: {}", resources.get(i), e.toString());
                }
            }
            stopped.countDown();
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
    }

    /** {@code $HOME/.aleph4j/<role>}: data follows {@code $HOME} as the CLI's key does (the JVM's user.home only without it). */
    public static Path defaultData(String role) {
        String home = System.getenv("HOME");
        return Path.of(home == null || home.isBlank() ? System.getProperty("user.home") : home, ".aleph4j", role);
    }

    @Command(name = "ccn", mixinStandardHelpOptions = true, description = "Runs a core channel node (message API, files, balances).")
    static final class Ccn implements Callable<Integer> {
        @CommandLine.Mixin Common common = new Common();
        @Option(names = "--db", description = "JDBC URL (PostgreSQL); default SQLite under the data directory") String db;
        @Option(names = "--oracle-addresses", description = "comma-separated addresses whose balances-update POSTs set balances") String oracles;
        @Option(names = "--no-default-runtime", description = "do not publish aleph4j's default runtime STORE on start") boolean noRuntime;
        @Option(names = "--file-store", description = "where files are kept: local (under the data directory, default; one node) "
                + "or s3://<bucket>/<prefix>?endpoint=http://host:port&region=<region>, an S3-compatible bucket that CCN replicas "
                + "on one database share (keys: settings file-store-access-key and file-store-secret-key in the config file "
                + "or environment, else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; each call bounded by file-store-timeout, default 10s)")
        String fileStore;

        @Override
        public Integer call() throws Exception {
            Map<String, String> f = common.flags();
            f.put("db", db);
            f.put("oracle-addresses", oracles);
            f.put("file-store", fileStore);
            Settings s = Settings.resolve(common.config, System.getenv(), f);
            CcnNode node = new CcnNode(Roles.ccn(s, defaultData("ccn")));
            node.start();
            if (!noRuntime) {
                try (CcnClient client = new CcnClient(node.url(), Duration.ofSeconds(30))) {
                    new NetworkBootstrap(client, InstantSource.system()).publishDefaultRuntime();
                } catch (Exception e) {
                    node.close();
                    throw e;
                }
            }
            System.out.println("aleph4j ccn ready at " + node.url());
            runUntilStopped(List.of(node));
            return 0;
        }
    }

    @Command(name = "scheduler", mixinStandardHelpOptions = true,
            description = "Runs the scheduler: places persistent programs on CRNs under leases and moves them on failure.")
    static final class Scheduler implements Callable<Integer> {
        @CommandLine.Mixin Common common = new Common();
        @Option(names = "--ccn-url", description = "CCN to follow (default http://127.0.0.1:4024)") String ccnUrl;
        @Option(names = "--db", description = "JDBC URL (PostgreSQL for a leader/standby pair); default SQLite") String db;
        @Option(names = "--allowed-nodes", description = "comma-separated CRN node addresses allowed to join") String allowed;
        @Option(names = "--require-isolation", arity = "0..1", fallbackValue = "true",
                description = "place persistent programs only on CRNs whose executor isolates them (default true)")
        String requireIsolation;
        @Option(names = "--profile", description = "lease timing: defaults (heartbeat 1s, lease 5s, drift 2s) or fast (250ms, 1.5s, 0.5s)")
        String profile;
        @Option(names = "--key-file", description = "key that signs heartbeat answers (created if missing; default "
                + "<data>/scheduler.key); CRNs list its address in scheduler-addresses") Path keyFile;
        @Option(names = "--no-console", description = "do not serve the web console (/console/ and /api/v1/console/*); "
                + "setting console, default true") boolean noConsole;

        @Override
        public Integer call() throws Exception {
            Map<String, String> f = common.flags();
            f.put("profile", profile);
            f.put("console", noConsole ? "false" : null);
            f.put("ccn-url", ccnUrl);
            f.put("db", db);
            f.put("allowed-nodes", allowed);
            f.put("require-isolation", requireIsolation);
            f.put("key-file", keyFile == null ? null : keyFile.toString());
            Settings s = Settings.resolve(common.config, System.getenv(), f);
            SchedulerNode node = new SchedulerNode(Roles.scheduler(s, defaultData("scheduler")));
            node.start();
            System.out.println("aleph4j scheduler ready at " + node.url() + (node.isLeader() ? " (leader)" : " (standby)")
                    + " scheduler address " + node.address());
            if (node.config().console()) System.out.println("console: " + node.url() + "/console/");
            runUntilStopped(List.of(node));
            return 0;
        }
    }

    @Command(name = "crn", mixinStandardHelpOptions = true, description = "Runs a compute resource node.")
    static final class Crn implements Callable<Integer> {
        @CommandLine.Mixin Common common = new Common();
        @Option(names = "--ccn-url", description = "CCN to fetch programs from (default http://127.0.0.1:4024)") String ccnUrl;
        @Option(names = "--scheduler-url", description = "scheduler(s) to heartbeat, comma-separated (leader and standbys); none: on demand only")
        String schedulerUrl;
        @Option(names = "--profile", description = "lease timing, as the scheduler's: defaults (heartbeat 1s) or fast (250ms)") String profile;
        @Option(names = "--scheduler-addresses", description = "comma-separated addresses of the scheduler keys whose "
                + "answers this CRN believes (required with --scheduler-url)") String schedulerAddresses;
        @Option(names = "--max-lease", description = "longest lease this CRN honours; an answer granting more is ignored "
                + "(default 10s, at most 60s)") String maxLease;
        @Option(names = "--public-url", description = "URL other nodes reach this one at") String publicUrl;
        @Option(names = "--domain", description = "host-routing domain (default aleph.localhost)") String domain;
        @Option(names = "--key-file", description = "node key (created if missing; default <data>/node.key)") Path keyFile;
        @Option(names = "--snapshot-interval", description = "how often a persistent program's persistent volumes are "
                + "snapshotted to the network while it runs (default 2s): what a crash of this node can lose") String snapshotInterval;
        @Option(names = "--snapshot-store", description = "where those snapshots are kept: ccn (the CCN's file store, default) "
                + "or s3://<bucket>/<prefix>?endpoint=http://host:port&region=<region> (keys: settings snapshot-store-access-key "
                + "and snapshot-store-secret-key in the config file or environment)") String snapshotStore;
        @Option(names = "--executor", description = "auto (sandbox when the host supports it), process or sandbox") String executor;
        @Option(names = "--warm-pool", description = "pre-warmed sandboxes kept ready for on-demand ASGI programs on the node's "
                + "python (sandbox executor; default 2, 0 turns the pool off): a first request skips the sandbox set-up and the "
                + "imports of uvicorn and FastAPI; each slot serves one program only") String warmPool;
        @Option(names = "--allow-unisolated", arity = "0..1", fallbackValue = "true",
                description = "let executor=auto fall back to process (no isolation) when the host cannot run the sandbox")
        String allowUnisolated;
        @Option(names = "--runtime-map", description = "runtime refs to run on a local interpreter, comma-separated "
                + "<ref>=<python path> (adds a ref or changes its interpreter) or <ref>=off (removes it); added to the "
                + "built-in table, which maps upstream aleph.im's official runtimes to the node's python (setting python, default /usr/bin/python3)")
        String runtimeMap;
        @Option(names = "--upstream-runtimes", arity = "0..1", fallbackValue = "true",
                description = "run programs naming upstream aleph.im's official runtimes on this node's python (default true)")
        String upstreamRuntimes;

        @Override
        public Integer call() throws Exception {
            Map<String, String> f = common.flags();
            f.put("runtime-map", runtimeMap);
            f.put("upstream-runtimes", upstreamRuntimes);
            f.put("ccn-url", ccnUrl);
            f.put("scheduler-url", schedulerUrl);
            f.put("profile", profile);
            f.put("scheduler-addresses", schedulerAddresses);
            f.put("max-lease", maxLease);
            f.put("public-url", publicUrl);
            f.put("domain", domain);
            f.put("key-file", keyFile == null ? null : keyFile.toString());
            f.put("executor", executor);
            f.put("warm-pool", warmPool);
            f.put("allow-unisolated", allowUnisolated);
            f.put("snapshot-interval", snapshotInterval);
            f.put("snapshot-store", snapshotStore);
            Settings s = Settings.resolve(common.config, System.getenv(), f);
            var config = Roles.crn(s, defaultData("crn"));
            var store = Roles.snapshotStore(s);
            Path key = s.path("key-file", config.dataDir().resolve("node.key"));
            var schedulerUrls = s.uris("scheduler-url");
            ComputeNode node = ComputeNode.start(config, schedulerUrls, schedulerUrls.isEmpty() ? null : Roles.schedulerTrust(s),
                    Roles.nodeKey(key), Roles.LeaseTiming.of(s).heartbeat(),
                    s.duration("snapshot-interval", org.aleph4j.crn.CrnNode.DEFAULT_SNAPSHOT_INTERVAL), store);
            System.out.println("aleph4j crn ready at " + node.url() + " node address " + node.nodeAddress()
                    + " executor " + node.executor()
                    + (node.leased() ? " (persistent programs through " + s.string("scheduler-url", "") + ")" : " (on demand only)"));
            List<AutoCloseable> resources = new ArrayList<>();
            resources.add(node);
            runUntilStopped(resources);
            return 0;
        }
    }

    @Command(name = "fund", mixinStandardHelpOptions = true,
            description = "Sets account balances with a balances-update POST signed by an oracle key (the CCN must list "
                    + "the oracle's address in oracle-addresses).")
    static final class Fund implements Callable<Integer> {
        @Option(names = "--ccn-url", defaultValue = "http://127.0.0.1:4024", description = "CCN (default ${DEFAULT-VALUE})") String ccnUrl;
        @Option(names = "--oracle-key", required = true, description = "oracle private key file (raw 32 bytes or hex)") Path oracleKey;
        @CommandLine.Parameters(arity = "1..*", paramLabel = "ADDRESS[=AMOUNT]", description = "accounts to fund (default amount 1000000)")
        List<String> accounts;

        @Override
        public Integer call() throws Exception {
            EthAccount oracle = KeyFiles.read(oracleKey);
            Map<String, Double> balances = new LinkedHashMap<>();
            for (String a : accounts) {
                String[] parts = a.split("=", 2);
                if (!parts[0].matches("0x[0-9a-fA-F]{40}")) {
                    throw new IllegalArgumentException(parts[0] + " is not an Ethereum address (0x and 40 hex digits)");
                }
                double amount;
                try {
                    amount = parts.length == 2 ? Double.parseDouble(parts[1]) : 1_000_000d;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(parts[1] + " is not an amount of ALEPH");
                }
                if (!(amount >= 0) || Double.isInfinite(amount)) throw new IllegalArgumentException(parts[1] + " is not an amount of ALEPH");
                balances.put(parts[0], amount);
            }
            try (CcnClient client = new CcnClient(Settings.of(Map.of("ccn-url", ccnUrl)).uri("ccn-url", null), Duration.ofSeconds(30))) {
                new NetworkBootstrap(client, InstantSource.system()).fund(oracle, balances);
            }
            balances.forEach((a, v) -> System.out.println("funded " + a + " with " + v + " ALEPH"));
            return 0;
        }
    }
}
