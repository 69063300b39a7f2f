package org.aleph4j.node.devnet;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.aleph4j.ccn.CcnConfig;
import org.aleph4j.ccn.CcnNode;
import org.aleph4j.client.CcnClient;
import org.aleph4j.client.account.AccountStore;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.crn.CrnConfig;
import org.aleph4j.crn.CrnNode;
import org.aleph4j.crn.ExecutorChoice;
import org.aleph4j.crn.lease.LeaseDecisions;
import org.aleph4j.message.EthAccount;
import org.aleph4j.node.ComputeNode;
import org.aleph4j.node.NetworkBootstrap;
import org.aleph4j.node.Roles;
import org.aleph4j.scheduler.SchedulerConfig;
import org.aleph4j.scheduler.SchedulerNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * A whole network in one process on 127.0.0.1: a CCN, a scheduler and N CRNs, each with its own
 * port and data directory under one devnet directory, on embedded defaults (SQLite, the sandbox
 * executor where the host allows it, else the process executor, which the devnet explicitly allows). It runs its own balance oracle, publishes the default runtime and funds the default
 * CLI account, so the tutorial works without buying tokens. State is kept across restarts.
 */
public final class Devnet implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Devnet.class);

    /** What to start, where. */
    public record Options(Path data, int crns, int ccnPort, int schedulerPort, int crnPort, Path alephHome,
                          List<String> fund, double fundAmount, Duration heartbeat, CrnConfig.ExecutorKind executor,
                          Duration idleTimeout, boolean console) {
        public Options(Path data, int crns, int ccnPort, int schedulerPort, int crnPort, Path alephHome,
                       List<String> fund, double fundAmount, Duration heartbeat, CrnConfig.ExecutorKind executor) {
            this(data, crns, ccnPort, schedulerPort, crnPort, alephHome, fund, fundAmount, heartbeat, executor, null);
        }

        /** Options whose scheduler serves the console. */
        public Options(Path data, int crns, int ccnPort, int schedulerPort, int crnPort, Path alephHome,
                       List<String> fund, double fundAmount, Duration heartbeat, CrnConfig.ExecutorKind executor,
                       Duration idleTimeout) {
            this(data, crns, ccnPort, schedulerPort, crnPort, alephHome, fund, fundAmount, heartbeat, executor, idleTimeout, true);
        }
    }

    private final Options options;
    private final List<AutoCloseable> started = new ArrayList<>();
    private CcnNode ccn;
    private SchedulerNode scheduler;
    private final List<ComputeNode> crns = new ArrayList<>();
    private EthAccount cliAccount;

    public Devnet(Options options) {
        this.options = options;
    }

    public Devnet start() throws Exception {
        try {
            Files.createDirectories(options.data());
            EthAccount oracle = Roles.nodeKey(options.data().resolve("oracle.key"));
            List<EthAccount> crnKeys = new ArrayList<>();
            for (int i = 1; i <= options.crns(); i++) crnKeys.add(Roles.nodeKey(crnDir(i).resolve("node.key")));

            ccn = new CcnNode(CcnConfig.defaults(options.data().resolve("ccn")).withPort(options.ccnPort())
                    .withOracleAddresses(Set.of(oracle.address())));
            ccn.start();
            started.add(ccn);
            try (CcnClient client = new CcnClient(ccn.url(), Duration.ofSeconds(30))) {
                NetworkBootstrap bootstrap = new NetworkBootstrap(client, InstantSource.system());
                bootstrap.publishDefaultRuntime();
                cliAccount = defaultCliAccount(options.alephHome());
                Map<String, Double> balances = new LinkedHashMap<>();
                balances.put(cliAccount.address(), options.fundAmount());
                for (String extra : options.fund()) balances.put(extra, options.fundAmount());
                bootstrap.fund(oracle, balances);
            }

            Set<String> allowed = new LinkedHashSet<>();
            crnKeys.forEach(k -> allowed.add(k.address()));
            // The devnet lets its CRNs fall back to the process executor so it runs on unprivileged laptops;
            // its scheduler then accepts unisolated nodes, and only then (a scheduler started alone requires isolation).
            ExecutorChoice.Decision crnExecutor = CrnNode.decideExecutor(crnConfig(1));
            boolean requireIsolation = crnExecutor.isolates();
            if (!requireIsolation) {
                log.warn("devnet CRNs will run programs without isolation ({}); the devnet scheduler accepts them "
                        + "(require-isolation off)", switch (crnExecutor) {
                            case ExecutorChoice.UseProcess p when p.fallbackReason() != null -> p.fallbackReason();
                            case ExecutorChoice.UseProcess p -> "executor=process was chosen";
                            case ExecutorChoice.Refuse r -> r.error();
                            case ExecutorChoice.UseSandbox s -> s.reason();
                        });
            }
            scheduler = new SchedulerNode(SchedulerConfig.defaults(options.data().resolve("scheduler"), ccn.url())
                    .withPort(options.schedulerPort()).withAllowedNodes(allowed)
                    .withIntervals(options.heartbeat(), Duration.ofSeconds(5)).withRequireIsolation(requireIsolation)
                    .withConsole(options.console()));
            scheduler.start();
            started.add(scheduler);

            for (int i = 1; i <= options.crns(); i++) {
                CrnConfig config = crnConfig(i);
                // the CRNs believe this scheduler's key only
                ComputeNode crn = ComputeNode.start(config, java.util.List.of(scheduler.url()),
                        LeaseDecisions.Trust.of(Set.of(scheduler.address())), crnKeys.get(i - 1), options.heartbeat());
                crns.add(crn);
                started.add(crn);
            }
            return this;
        } catch (Exception e) {
            close();
            throw e;
        }
    }

    /** CRN {@code i} (from 1): its directory and port, the chosen executor, and the unisolated fallback allowed. */
    private CrnConfig crnConfig(int i) {
        return CrnConfig.defaults(crnDir(i), ccn.url()).withPort(options.crnPort() + i - 1)
                .withExecutor(options.executor()).withAllowUnisolated(true)
                .withIdleTimeout(options.idleTimeout() == null ? Duration.ofSeconds(60) : options.idleTimeout());
    }

    private Path crnDir(int i) {
        return options.data().resolve("crn-" + i);
    }

    /** The CLI's default account ({@code <aleph home>/private-keys/ethereum.key}), created when missing. */
    private static EthAccount defaultCliAccount(Path alephHome) throws Exception {
        AccountStore store = new AccountStore(alephHome);
        Path key = store.defaultKeyFile();
        if (Files.exists(key)) return KeyFiles.read(key);
        return store.create(key, false, new SecureRandom());
    }

    public URI ccnUrl() {
        return ccn.url();
    }

    public URI schedulerUrl() {
        return scheduler.url();
    }

    public List<URI> crnUrls() {
        return crns.stream().map(ComputeNode::url).toList();
    }

    public void printSummary(PrintStream out) {
        out.println("aleph4j devnet ready");
        out.println("  CCN        " + ccn.url());
        out.println("  scheduler  " + scheduler.url() + "  (key " + scheduler.address() + ")");
        if (options.console()) out.println("  console: " + scheduler.url() + "/console/");
        for (int i = 0; i < crns.size(); i++) {
            out.println("  CRN " + (i + 1) + "      " + crns.get(i).url() + "  (node " + crns.get(i).nodeAddress() + ", executor "
                    + crns.get(i).executor() + ")");
        }
        out.println("  funded     " + cliAccount.address() + " with " + (long) options.fundAmount() + " ALEPH (key "
                + new AccountStore(options.alephHome()).defaultKeyFile() + ")");
        out.println("  fund more  bin/aleph-node fund --ccn-url " + ccn.url() + " --oracle-key " + options.data().resolve("oracle.key")
                + " 0xADDRESS[=AMOUNT]");
        out.println("  data       " + options.data());
        out.println("Try: bin/aleph program upload --persistent examples/hello-fastapi/src main:app");
        out.flush();
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", started.get(i), e.toString());
            }
        }
        started.clear();
    }

    @CommandLine.Command(name = "devnet", mixinStandardHelpOptions = true,
            description = "Runs a CCN, a scheduler and N CRNs in one process on 127.0.0.1, funds the default CLI account, "
                    + "and keeps its state for the next start. Ctrl-C stops it.")
    public static final class Command implements Callable<Integer> {
        @Option(names = "--crns", defaultValue = "3", description = "number of CRNs (default ${DEFAULT-VALUE})") int crns;
        @Option(names = "--data", description = "devnet directory (default $HOME/.aleph4j/devnet)") Path data;
        @Option(names = "--ccn-port", defaultValue = "4024", description = "CCN port (default ${DEFAULT-VALUE})") int ccnPort;
        @Option(names = "--scheduler-port", defaultValue = "4030", description = "scheduler port (default ${DEFAULT-VALUE})") int schedulerPort;
        @Option(names = "--crn-port", defaultValue = "4041", description = "port of the first CRN; the next ones follow (default ${DEFAULT-VALUE})") int crnPort;
        @Option(names = "--fund", description = "another address to fund (repeatable)") List<String> fund = new ArrayList<>();
        @Option(names = "--fund-amount", defaultValue = "1000000", description = "ALEPH given to each funded address (default ${DEFAULT-VALUE})") double amount;
        @Option(names = "--heartbeat", defaultValue = "1s", description = "CRN heartbeat interval (default ${DEFAULT-VALUE})") String heartbeat;
        @Option(names = "--executor", defaultValue = "auto",
                description = "how CRNs run programs: auto (sandbox when the host supports it), process or sandbox (default ${DEFAULT-VALUE})")
        String executor;
        @Option(names = "--idle-timeout", defaultValue = "60s",
                description = "CRNs stop an on-demand program after this long without requests (default ${DEFAULT-VALUE})")
        String idleTimeout;
        @Option(names = "--no-console", description = "the scheduler does not serve the web console") boolean noConsole;

        @Override
        public Integer call() throws Exception {
            if (crns < 1 || crns > 20) throw new IllegalArgumentException("--crns must be between 1 and 20");
            Path dir = data != null ? data : org.aleph4j.node.AlephNode.defaultData("devnet");
            Path home = AccountStore.defaultHome(System.getenv());
            Duration hb = org.aleph4j.node.Settings.of(Map.of("heartbeat", heartbeat)).duration("heartbeat", Duration.ofSeconds(1));
            Duration idle = org.aleph4j.node.Settings.of(Map.of("idle-timeout", idleTimeout)).duration("idle-timeout", Duration.ofSeconds(60));
            Devnet devnet = new Devnet(new Options(dir.toAbsolutePath(), crns, ccnPort, schedulerPort, crnPort, home, fund, amount, hb,
                    CrnConfig.ExecutorKind.parse(executor), idle, !noConsole));
            devnet.start();
            devnet.printSummary(System.out);
            java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                System.out.println("stopping the devnet...");
                devnet.close();
                System.out.println("devnet stopped");
                stopped.countDown();
            }, "devnet-shutdown"));
            stopped.await();
            return 0;
        }
    }
}
