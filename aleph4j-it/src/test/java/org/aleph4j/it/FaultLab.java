package org.aleph4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;

/**
 * A network of real processes to inject faults into: the CCN and the schedulers (on PostgreSQL) on
 * the host side of a bridge, and each CRN in a network namespace of its own, joined to the bridge by
 * a veth pair, so one node's network can be cut or black-holed while the others keep theirs. The
 * namespaces' range {@value #RANGE} is unreachable anywhere but on the bridge: test traffic cannot
 * leave the machine even while a link is down. Everything is removed on close, and leftovers of an
 * earlier run are removed before starting.
 */
final class FaultLab implements AutoCloseable {
    static final String BRIDGE = "f4jbr0";
    static final String HOST_IP = "10.214.0.1";
    static final String RANGE = "10.214.0.0/16";
    static final String FAULT_TABLE = "f4jfault";
    static final int DATA_DISK_MIB = 256;
    static final String PG = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

    /** Lease timing shared by the scheduler and the CRNs. */
    record Profile(String name, Duration heartbeat, Duration leaseTtl, Duration drift) {
        static final Profile DEFAULTS = new Profile("defaults", Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(2));
        static final Profile FAST = new Profile("fast", Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofMillis(500));

        static Profile named(String name) {
            return switch (name) {
                case "fast" -> FAST;
                case "defaults" -> DEFAULTS;
                default -> throw new IllegalArgumentException("profile fast or defaults, got " + name);
            };
        }

        /** The flag the nodes take: the profile by name, so the test checks what operators run. */
        String flag() {
            return "--profile=" + name;
        }
    }

    /** One CRN: its namespace, address, data directory and process. */
    final class Crn {
        final int index;
        final String netns;
        final String hostIf;
        final String ip;
        final int port;
        final Path data;
        final Path keyFile;
        final String address;
        NodeProcess process;

        Crn(int index, int port) throws IOException {
            this.index = index;
            this.netns = "f4j-" + index;
            this.hostIf = "f4j" + index + "h";
            this.ip = "10.214.0." + (10 + index);
            this.port = port;
            this.data = dir.resolve("crn-" + index);
            this.keyFile = dir.resolve("crn-" + index + ".key");
            EthAccount key = EthAccount.generate(new SecureRandom());
            KeyFiles.write(keyFile, key, false);
            this.address = key.address();
        }

        String url() {
            return "http://" + ip + ":" + port;
        }

        void start() throws IOException {
            List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/run/netns/" + netns, "--",
                    NodeProcess.ROOT.resolve("bin/aleph-node").toString(), "crn", "--data", data.toString(),
                    "--host", ip, "--port", String.valueOf(port), "--public-url", url(), "--ccn-url", relayUrl(),
                    "--scheduler-url", String.join(",", schedulerUrls()), "--key-file", keyFile.toString(),
                    "--scheduler-addresses", schedulerKeys[0].address() + "," + schedulerKeys[1].address(),
                    "--executor", executor, profile.flag()));
            process = NodeProcess.startCommand("crn-" + index, dir.resolve("crn-" + index + ".log"), env, cmd);
        }

        void awaitReady() {
            process.awaitLog("aleph4j crn ready", Duration.ofSeconds(120));
        }

        /** The node's JVM and everything it started (watchdogs, sandboxes, programs). */
        List<Long> tree() {
            List<Long> pids = new ArrayList<>();
            pids.add(process.pid());
            process.handle().descendants().forEach(h -> pids.add(h.pid()));
            return pids;
        }
    }

    final Path dir;
    final String executor;
    final Profile profile;
    final String schema = "f4j_" + Long.toHexString(new SecureRandom().nextLong() & Long.MAX_VALUE);
    final Map<String, String> env = new HashMap<>();
    final List<Crn> crns = new ArrayList<>();
    final NodeProcess[] schedulers = new NodeProcess[2];
    final int[] schedulerPorts = new int[2];
    final EthAccount user = EthAccount.generate(new SecureRandom());
    /** The schedulers' keys: the CRNs believe answers signed by either. */
    final EthAccount[] schedulerKeys = {EthAccount.generate(new SecureRandom()), EthAccount.generate(new SecureRandom())};
    String ccnUrl;
    NodeProcess ccn;
    /** The CRNs reach the CCN through this relay, which can slow their downloads. */
    ThrottlingProxy ccnRelay;
    Cli cli;
    private final int basePort;

    FaultLab(Path dir, String executor, Profile profile, int crnCount) throws Exception {
        this.dir = dir;
        this.executor = executor;
        this.profile = profile;
        this.basePort = Http.freePorts(4 + crnCount);
        removeLeftovers();
        sh("ip", "link", "add", BRIDGE, "type", "bridge");
        sh("ip", "addr", "add", HOST_IP + "/24", "dev", BRIDGE);
        sh("ip", "link", "set", BRIDGE, "up");
        sh("ip", "route", "add", "unreachable", RANGE);
        for (int i = 0; i < crnCount; i++) {
            Crn c = new Crn(i, basePort + 3 + i);
            sh("ip", "netns", "add", c.netns);
            sh("ip", "link", "add", c.hostIf, "type", "veth", "peer", "name", "eth0", "netns", c.netns);
            sh("ip", "link", "set", c.hostIf, "master", BRIDGE, "up");
            sh("ip", "-n", c.netns, "addr", "add", c.ip + "/24", "dev", "eth0");
            sh("ip", "-n", c.netns, "link", "set", "lo", "up");
            sh("ip", "-n", c.netns, "link", "set", "eth0", "up");
            sh("ip", "-n", c.netns, "route", "add", "default", "via", HOST_IP);
            // a data disk of its own, small enough to fill
            Files.createDirectories(c.data);
            sh("mount", "-t", "tmpfs", "-o", "size=" + DATA_DISK_MIB + "m,mode=0755", "f4j-data-" + i, c.data.toString());
            crns.add(c);
        }
        try (Connection c = DriverManager.getConnection(PG); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        ccnUrl = "http://" + HOST_IP + ":" + basePort;
        schedulerPorts[0] = basePort + 1;
        schedulerPorts[1] = basePort + 2;
        env.put("ALEPH_HOME", dir.resolve("aleph-home").toString());
        env.put("ALEPH_CCN_URL", ccnUrl);
        env.put("ALEPH_SCHEDULER_URL", String.join(",", schedulerUrls()));
        env.put("ALEPH_CRN_URL", crns.get(0).url());
    }

    String relayUrl() {
        return "http://" + HOST_IP + ":" + (basePort + 3 + crns.size());
    }

    List<String> schedulerUrls() {
        return List.of("http://" + HOST_IP + ":" + schedulerPorts[0], "http://" + HOST_IP + ":" + schedulerPorts[1]);
    }

    /** Starts the CCN, the first scheduler and every CRN, and funds the lab's user with the CLI's key. */
    FaultLab start() throws Exception {
        EthAccount oracle = EthAccount.generate(new SecureRandom());
        KeyFiles.write(dir.resolve("oracle.key"), oracle, false);
        ccn = NodeProcess.start("ccn", dir.resolve("ccn.log"), env, "aleph-node", "ccn", "--data", dir.resolve("ccn").toString(),
                "--host", HOST_IP, "--port", String.valueOf(basePort), "--oracle-addresses", oracle.address());
        ccn.awaitLog("aleph4j ccn ready", Duration.ofSeconds(120));
        ccnRelay = new ThrottlingProxy(HOST_IP, java.net.URI.create(relayUrl()).getPort(), new java.net.InetSocketAddress(HOST_IP, basePort));
        startScheduler(0);
        for (Crn c : crns) c.start();
        schedulers[0].awaitLog("aleph4j scheduler ready", Duration.ofSeconds(120));
        for (Crn c : crns) c.awaitReady();
        KeyFiles.write(dir.resolve("aleph-home/private-keys/ethereum.key"), user, false);
        try (NodeProcess fund = NodeProcess.start("fund", dir.resolve("fund.log"), env, "aleph-node", "fund", "--ccn-url", ccnUrl,
                "--oracle-key", dir.resolve("oracle.key").toString(), user.address() + "=10000000")) {
            fund.awaitLog("funded " + user.address(), Duration.ofSeconds(60));
        }
        cli = new Cli(Files.createDirectories(dir.resolve("work")), env);
        return this;
    }

    void startScheduler(int k) throws IOException {
        List<String> allowed = crns.stream().map(c -> c.address).toList();
        Path key = dir.resolve("scheduler-" + k + ".key");
        if (!Files.exists(key)) KeyFiles.write(key, schedulerKeys[k], false);
        schedulers[k] = NodeProcess.start("scheduler-" + k, dir.resolve("scheduler-" + k + ".log"), env, "aleph-node", "scheduler",
                "--data", dir.resolve("scheduler-" + k).toString(), "--host", HOST_IP, "--port", String.valueOf(schedulerPorts[k]),
                "--ccn-url", ccnUrl, "--db", PG + "&currentSchema=" + schema, "--allowed-nodes", String.join(",", allowed),
                "--require-isolation=" + executor.equals("sandbox"), "--key-file", key.toString(), profile.flag());
    }

    // ---------------------------------------------------------------- faults

    void signal(long pid, String signal) throws Exception {
        run(List.of("kill", "-" + signal, String.valueOf(pid)), true);
    }

    /** The node's own side of its link goes down: its sends fail at once. */
    void linkDown(Crn c) throws Exception {
        sh("ip", "-n", c.netns, "link", "set", "eth0", "down");
    }

    void linkUp(Crn c) throws Exception {
        sh("ip", "-n", c.netns, "link", "set", "eth0", "up");
        sh("ip", "-n", c.netns, "route", "replace", "default", "via", HOST_IP);
    }

    /** Every frame to or from the node is dropped on the bridge: its connections hang, as in a real partition. */
    void blackhole(Crn c) throws Exception {
        sh("nft", "add", "table", "bridge", FAULT_TABLE);
        sh("nft", "add", "chain", "bridge", FAULT_TABLE, "drop_in", "{ type filter hook input priority -200; }");
        sh("nft", "add", "chain", "bridge", FAULT_TABLE, "drop_through", "{ type filter hook forward priority -200; }");
        sh("nft", "add", "chain", "bridge", FAULT_TABLE, "drop_out", "{ type filter hook output priority -200; }");
        sh("nft", "add", "rule", "bridge", FAULT_TABLE, "drop_in", "iifname", c.hostIf, "drop");
        sh("nft", "add", "rule", "bridge", FAULT_TABLE, "drop_through", "iifname", c.hostIf, "drop");
        sh("nft", "add", "rule", "bridge", FAULT_TABLE, "drop_through", "oifname", c.hostIf, "drop");
        sh("nft", "add", "rule", "bridge", FAULT_TABLE, "drop_out", "oifname", c.hostIf, "drop");
    }

    void heal() throws Exception {
        run(List.of("nft", "delete", "table", "bridge", FAULT_TABLE), false);
    }

    /** The tables of placement (not the leader row): a lock on them is a stall of placement only. */
    static final String PLACEMENT_TABLES = "sched_nodes, sched_programs, sched_allocations, sched_history, sched_cursor";

    /** Holds an exclusive lock on {@code tables} for {@code d}: the database stalls for whoever needs them. */
    void stallDatabase(String tables, Duration d) throws SQLException {
        try (Connection c = DriverManager.getConnection(PG + "&currentSchema=" + schema)) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL lock_timeout = '5s'");
                s.execute("LOCK TABLE " + tables + " IN ACCESS EXCLUSIVE MODE");
                long until = System.nanoTime() + d.toNanos();
                await().atMost(d.plusSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> System.nanoTime() >= until);
            }
            c.commit();
        }
    }

    /** Fills the node's data disk: every write after this gets ENOSPC. */
    void fillDisk(Crn c) throws IOException {
        byte[] chunk = new byte[1 << 20];
        try (var out = Files.newOutputStream(c.data.resolve("fill.bin"))) {
            for (int i = 0; i < DATA_DISK_MIB + 1; i++) out.write(chunk);
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) throw e;
            return;
        }
        throw new AssertionError("the data disk of " + c.netns + " did not fill up");
    }

    void freeDisk(Crn c) throws IOException {
        Files.deleteIfExists(c.data.resolve("fill.bin"));
    }

    /**
     * Publishes the probe (with {@code ballast} bytes that make its code new) as a persistent program
     * whose {@code requirements.node.address_regex} admits only {@code nodes}, signed by the lab's user.
     */
    String pinnedProbe(Path probeDir, byte[] ballast, List<Crn> nodes) throws Exception {
        java.io.ByteArrayOutputStream zip = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.ZipOutputStream(zip)) {
            for (String f : List.of("run.sh", "probe.py")) {
                z.putNextEntry(new java.util.zip.ZipEntry(f));
                z.write(Files.readAllBytes(probeDir.resolve(f)));
                z.closeEntry();
            }
            z.putNextEntry(new java.util.zip.ZipEntry("ballast.bin"));
            z.write(ballast);
            z.closeEntry();
        }
        byte[] code = zip.toByteArray();
        double now = System.currentTimeMillis() / 1000.0;
        try (var client = new org.aleph4j.client.CcnClient(java.net.URI.create(ccnUrl), Duration.ofSeconds(30))) {
            var store = org.aleph4j.message.MessageBuilder.build(user, org.aleph4j.message.MessageType.STORE,
                    new org.aleph4j.message.content.StoreContent(user.address(), now, org.aleph4j.message.ItemType.STORAGE,
                            org.aleph4j.message.ItemHashes.sha256Hex(code), (long) code.length, null, null, null, null),
                    org.aleph4j.message.MessageBuilder.DEFAULT_CHANNEL, now);
            var up = client.uploadFile(new java.io.ByteArrayInputStream(code), code.length, "probe.zip", store, true, null);
            if (up.httpStatus() >= 300) throw new AssertionError("code upload: " + up.body());
            String regex = "^http://(" + String.join("|", nodes.stream().map(n -> n.ip.replace(".", "\\.")).toList()) + "):";
            var requirements = org.aleph4j.message.Json.MAPPER.createObjectNode();
            requirements.putObject("node").put("address_regex", regex);
            var content = new org.aleph4j.client.ProgramBuilder(user.address(), store.itemHash(), "run.sh",
                    org.aleph4j.message.content.Encoding.ZIP).persistent(true).vcpus(1).memory(256).requirements(requirements)
                    .time(now).build();
            var program = org.aleph4j.message.MessageBuilder.build(user, org.aleph4j.message.MessageType.PROGRAM, content,
                    org.aleph4j.message.MessageBuilder.DEFAULT_CHANNEL, now);
            var r = client.post(program, true);
            if (!r.processed()) throw new AssertionError("PROGRAM not processed: " + r.body());
            return program.itemHash();
        }
    }

    // ---------------------------------------------------------------- observation

    /** Index of the CRN the scheduler allocated {@code hash} to, or -1. */
    int holder(String hash) {
        for (String s : schedulerUrls()) {
            Http.Response r = Http.get(s + "/api/v0/allocation/" + hash);
            if (r.status() != 200) continue;
            String url = r.json().path("node").path("url").asText();
            for (Crn c : crns) if (url.startsWith(c.url())) return c.index;
        }
        return -1;
    }

    /** The state of {@code hash}'s execution on {@code c} (PREPARING, RUNNING, ...), or null. */
    String executionState(Crn c, String hash) {
        Http.Response r = Http.get(c.url() + "/v2/about/executions/list");
        return r.status() == 200 && r.json().has(hash) ? r.json().path(hash).path("state").asText() : null;
    }

    /** CRNs (reachable now) that list {@code hash} among their running executions. */
    List<Integer> runningOn(String hash) {
        List<Integer> on = new ArrayList<>();
        for (Crn c : crns) {
            Http.Response r = Http.get(c.url() + "/about/executions/list");
            if (r.status() == 200 && r.json().has(hash)) on.add(c.index); // v1 lists running executions only
        }
        return on;
    }

    /** Every record the probe printed on every node, from the nodes' log files. */
    ProbeRecords records(String hash) throws IOException {
        ProbeRecords all = new ProbeRecords();
        for (Crn c : crns) {
            Path logs = c.data.resolve("logs").resolve(hash);
            for (String f : List.of("stdout.log.1", "stdout.log")) {
                Path p = logs.resolve(f);
                if (Files.exists(p)) all.read(c.index, Files.readAllLines(p, StandardCharsets.ISO_8859_1));
            }
        }
        return all;
    }

    /** The nodes' log tails and the probe's copies, for a failure message. */
    String describe(String hash) {
        StringBuilder b = new StringBuilder();
        try {
            b.append("probe copies:\n").append(records(hash)).append('\n');
        } catch (IOException e) {
            b.append("probe records unreadable: ").append(e).append('\n');
        }
        for (NodeProcess s : schedulers) if (s != null) b.append("--- ").append(s).append('\n').append(s.tail()).append('\n');
        for (Crn c : crns) {
            if (c.process == null) continue;
            b.append("--- ").append(c.process).append('\n').append(c.process.tail()).append('\n');
            try (var files = Files.walk(c.data.resolve("logs"))) {
                files.forEach(f -> b.append(f).append(' ').append(f.toFile().length()).append('\n'));
            } catch (IOException | java.io.UncheckedIOException e) {
                b.append("no logs: ").append(e).append('\n');
            }
        }
        return b.toString();
    }

    // ---------------------------------------------------------------- lifecycle

    @Override
    public void close() {
        // a node left frozen by a failed run must be able to stop
        for (Crn c : crns) {
            if (c.process == null) continue;
            for (Long p : c.tree()) {
                try {
                    run(List.of("kill", "-CONT", String.valueOf(p)), false);
                } catch (Exception ignored) {
                    // gone
                }
            }
        }
        try {
            heal();
        } catch (Exception ignored) {
            // not installed
        }
        for (Crn c : crns) {
            try {
                linkUp(c); // a node stopping cleanly may need to reach nothing, but its namespace must be intact
            } catch (Exception ignored) {
                // already up
            }
        }
        for (Crn c : crns) if (c.process != null) c.process.close();
        for (NodeProcess s : schedulers) if (s != null) s.close();
        if (ccn != null) ccn.close();
        if (ccnRelay != null) {
            try {
                ccnRelay.close();
            } catch (IOException ignored) {
                // closed
            }
        }
        keepLogs();
        for (Crn c : crns) {
            try {
                // volumes are loop mounts inside the data disk: recursively, lazily if something still holds one
                run(List.of("umount", "-R", c.data.toString()), false);
                run(List.of("umount", "-l", c.data.toString()), false);
            } catch (Exception ignored) {
                // not mounted
            }
        }
        try (Connection c = DriverManager.getConnection(PG); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        } catch (SQLException ignored) {
            // the database is shared and cleaned by the next run's schema name anyway
        }
        removeLeftovers();
    }

    /** The nodes' logs outlive the temporary directory, for whoever reads a failure (CI keeps target/). */
    private void keepLogs() {
        try {
            Path to = Files.createDirectories(Path.of("target/fault-logs", executor + "-" + profile.name()));
            try (var logs = Files.list(dir)) {
                for (Path f : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                    Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            System.err.println("cannot keep the fault lab's logs: " + e);
        }
    }

    private static void removeLeftovers() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1 && f[0].startsWith("f4j-data-")) run(List.of("umount", "-l", f[1]), false);
            }
            run(List.of("nft", "delete", "table", "bridge", FAULT_TABLE), false);
            try (var s = Files.list(Path.of("/run/netns"))) {
                for (Path ns : s.filter(p -> p.getFileName().toString().matches("f4j-\\d+")).toList()) {
                    // nodes of a run that died without cleaning up still live in the namespace
                    Process pids = new ProcessBuilder("ip", "netns", "pids", ns.getFileName().toString()).start();
                    for (String pid : new String(pids.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\\s+")) {
                        if (pid.matches("\\d+")) ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
                    }
                    pids.waitFor(10, TimeUnit.SECONDS);
                    run(List.of("ip", "netns", "del", ns.getFileName().toString()), false);
                }
            } catch (java.nio.file.NoSuchFileException ignored) {
                // no namespace at all
            }
            run(List.of("ip", "link", "del", BRIDGE), false);
            run(List.of("ip", "route", "del", "unreachable", RANGE), false);
        } catch (Exception e) {
            throw new AssertionError("cannot remove the fault lab's network: " + e, e);
        }
    }

    static void sh(String... cmd) throws Exception {
        run(List.of(cmd), true);
    }

    private static void run(List<String> cmd, boolean mustSucceed) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish within 10 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (mustSucceed && p.exitValue() != 0) throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
    }
}
