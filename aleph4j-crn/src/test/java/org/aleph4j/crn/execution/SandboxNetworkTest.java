package org.aleph4j.crn.execution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox network as a program sees it, with real namespaces and nftables: a fake internet
 * (203.0.113.10 in namespace {@code t4j-inet}), a private network (192.168.213.2 and link-local
 * 169.254.213.2 in {@code t4j-priv}), a fake metadata server on the host (169.254.169.254 on a
 * host interface) and a service on every host address. Test interfaces are named {@code t4j*}
 * (the sandbox filter matches {@code a4j*}); {@code unreachable} routes for every test range are
 * added first, so no test packet can leave the machine through the default route.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SandboxNetworkTest {
    private static final String INET_NS = "t4j-inet";
    private static final String PRIV_NS = "t4j-priv";
    private static final String INTERNET = "203.0.113.10";
    private static final String PRIVATE = "192.168.213.2";
    private static final String LINK_LOCAL = "169.254.213.2";
    private static final String METADATA = "169.254.169.254";
    private static final int SERVER_PORT = 8000;
    private static final List<String> SAFETY_ROUTES = List.of("203.0.113.0/24", "198.51.100.0/24", "192.168.213.0/24",
            "169.254.213.0/24", "10.213.0.0/16");
    private static final String PY = "/usr/bin/python3";
    /** Answers every connection with the address it came from. */
    private static final String SERVER = """
            import socket, sys
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('0.0.0.0', int(sys.argv[1]))); s.listen(64)
            while True:
                c, a = s.accept()
                try: c.sendall((sys.argv[2] + a[0] + '\\n').encode())
                except OSError: pass
                c.close()
            """;
    /** Connects to every host:port argument at once; prints "target OK <first line>" or "target FAIL <error>". */
    private static final String PROBE = """
            import socket, sys, threading
            res = {}
            def probe(t):
                h, p = t.rsplit(':', 1)
                try:
                    s = socket.create_connection((h.strip('[]'), int(p)), timeout=1.5)
                    s.settimeout(1.5)
                    res[t] = 'OK ' + s.recv(200).decode(errors='replace').strip()
                    s.close()
                except Exception as e:
                    res[t] = 'FAIL ' + type(e).__name__
            ts = [threading.Thread(target=probe, args=(t,)) for t in sys.argv[1:]]
            for t in ts: t.start()
            for t in ts: t.join()
            for t in sys.argv[1:]: print(t, res[t])
            """;

    @TempDir
    static Path dir;
    String ip;
    String nft;
    String setpriv;
    String ipForwardBefore;
    boolean tablesBefore;
    final List<String> addedRoutes = new ArrayList<>();
    final List<Process> servers = new ArrayList<>();
    final List<ServerSocket> hostServices = new ArrayList<>();
    final List<SandboxNetwork.Lease> leases = new ArrayList<>();
    SandboxNetwork network;
    SandboxNetwork allowingNetwork;
    SandboxNetwork.Lease online;
    SandboxNetwork.Lease offline;
    SandboxNetwork.Lease allowed;
    int hostPort;

    @BeforeAll
    void buildTheWorld() throws Exception {
        require(isRoot(), "SandboxNetworkTest needs root (network namespaces, nftables)");
        ip = HostTools.which("ip");
        nft = HostTools.which("nft");
        setpriv = HostTools.which("setpriv");
        require(ip != null && nft != null && setpriv != null && Files.isExecutable(Path.of(PY)),
                "SandboxNetworkTest needs ip, nft, setpriv and " + PY);
        // before anything else: a downed test link must never let packets take the default route
        for (String r : SAFETY_ROUTES) {
            if (code(ip, "route", "add", "unreachable", r, "metric", "4000") == 0) addedRoutes.add(r);
        }
        removeTestTopology();
        ipForwardBefore = Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip();
        tablesBefore = code(nft, "list", "table", "inet", SandboxNetwork.FILTER_TABLE) == 0;

        sh(ip, "netns", "add", INET_NS);
        sh(ip, "link", "add", "t4jinet-h", "type", "veth", "peer", "name", "eth0", "netns", INET_NS);
        sh(ip, "addr", "add", "198.51.100.1/30", "dev", "t4jinet-h");
        sh(ip, "link", "set", "t4jinet-h", "up");
        sh(ip, "-n", INET_NS, "addr", "add", "198.51.100.2/30", "dev", "eth0");
        sh(ip, "-n", INET_NS, "addr", "add", INTERNET + "/32", "dev", "eth0");
        sh(ip, "-n", INET_NS, "link", "set", "eth0", "up");
        sh(ip, "-n", INET_NS, "link", "set", "lo", "up");
        sh(ip, "route", "add", "203.0.113.0/24", "via", "198.51.100.2", "dev", "t4jinet-h");

        sh(ip, "netns", "add", PRIV_NS);
        sh(ip, "link", "add", "t4jpriv-h", "type", "veth", "peer", "name", "eth0", "netns", PRIV_NS);
        sh(ip, "addr", "add", "192.168.213.1/30", "dev", "t4jpriv-h");
        sh(ip, "link", "set", "t4jpriv-h", "up");
        sh(ip, "-n", PRIV_NS, "addr", "add", PRIVATE + "/30", "dev", "eth0");
        sh(ip, "-n", PRIV_NS, "addr", "add", LINK_LOCAL + "/32", "dev", "eth0");
        sh(ip, "-n", PRIV_NS, "link", "set", "eth0", "up");
        sh(ip, "-n", PRIV_NS, "route", "add", "default", "via", "192.168.213.1");
        sh(ip, "route", "add", "169.254.213.0/24", "via", PRIVATE, "dev", "t4jpriv-h");

        // a host interface holding the metadata address (a veth: this kernel may lack the dummy driver)
        sh(ip, "link", "add", "t4jmeta", "type", "veth", "peer", "name", "meta0", "netns", PRIV_NS);
        sh(ip, "-n", PRIV_NS, "link", "set", "meta0", "up");
        sh(ip, "addr", "add", METADATA + "/32", "dev", "t4jmeta");
        sh(ip, "link", "set", "t4jmeta", "up");

        servers.add(server(List.of(ip, "netns", "exec", INET_NS), SERVER_PORT, "inet:"));
        servers.add(server(List.of(ip, "netns", "exec", PRIV_NS), SERVER_PORT, "priv:"));
        ServerSocket any = new ServerSocket();
        any.bind(new InetSocketAddress(0)); // every address of the host, IPv4 and IPv6
        hostPort = any.getLocalPort();
        hostServices.add(any);
        ServerSocket metadata = new ServerSocket(80, 50, InetAddress.getByName(METADATA));
        hostServices.add(metadata);
        for (ServerSocket s : hostServices) Thread.ofVirtual().start(() -> answer(s));

        network = new SandboxNetwork(ip, null, nft, EgressPolicy.DEFAULT, dir.resolve("state"));
        network.prepareHost();
        allowingNetwork = new SandboxNetwork(ip, null, nft,
                EgressPolicy.of(List.of("192.168.213.0/24"), List.of("203.0.113.0/24", "fd00::/8")), dir.resolve("state"));
        allowingNetwork.prepareHost();
        Files.createDirectories(dir.resolve("registry"));
        online = lease(network, true);
        offline = lease(network, false);
        allowed = lease(allowingNetwork, true);
        // a program that got a default route anyway must still be stopped by the filter
        sh(ip, "-n", offline.netns(), "route", "add", "default", "via", offline.hostIp());
        servers.add(server(List.of(ip, "netns", "exec", offline.netns(), setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"),
                SandboxNetwork.PROGRAM_PORT, "offline:"));

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(probe(null, List.of(INTERNET + ":" + SERVER_PORT,
                PRIVATE + ":" + SERVER_PORT, offline.programIp() + ":" + SandboxNetwork.PROGRAM_PORT)).values()).allMatch(r -> r.startsWith("OK")));
    }

    @AfterAll
    void tearDown() throws Exception {
        if (ip == null || nft == null) return; // nothing was built
        for (Process p : servers) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        for (ServerSocket s : hostServices) s.close();
        for (SandboxNetwork.Lease l : leases) network.free(l.netns(), l.hostIf());
        if (network != null) network.close();
        if (allowingNetwork != null) allowingNetwork.close();
        removeTestTopology();
        for (String r : addedRoutes) code(ip, "route", "del", "unreachable", r, "metric", "4000");
    }

    private void removeTestTopology() {
        code(ip, "route", "del", "203.0.113.0/24", "via", "198.51.100.2");
        code(ip, "route", "del", "169.254.213.0/24", "via", PRIVATE);
        for (String ns : List.of(INET_NS, PRIV_NS)) {
            if (Files.exists(Path.of("/run/netns", ns))) code(ip, "netns", "del", ns);
        }
        for (String link : List.of("t4jinet-h", "t4jpriv-h", "t4jmeta")) {
            if (Files.exists(Path.of("/sys/class/net", link))) code(ip, "link", "del", link);
        }
    }

    @Test
    @Order(1)
    void internetProgramReachesTheInternetThroughNatWithTheNodeAsSource() throws Exception {
        assertThat(network.natAvailable()).isTrue();
        assertThat(online.internet()).isTrue();
        assertThat(probe(online.netns(), List.of(INTERNET + ":" + SERVER_PORT)).get(INTERNET + ":" + SERVER_PORT))
                .as("the internet server sees the node's address, not the sandbox's").isEqualTo("OK inet:198.51.100.1");
    }

    @Test
    @Order(2)
    void internetProgramCannotReachAnyAddressOfTheNode() throws Exception {
        List<String> targets = new ArrayList<>();
        for (String a : hostAddresses()) targets.add(a + ":" + hostPort);
        assertThat(targets).contains(online.hostIp() + ":" + hostPort, offline.hostIp() + ":" + hostPort,
                "198.51.100.1:" + hostPort, "192.168.213.1:" + hostPort, METADATA + ":" + hostPort);
        assertThat(probe(null, targets).values()).as("the host's service answers on each address").allMatch(r -> r.equals("OK host"));
        assertThat(probe(online.netns(), targets)).allSatisfy((t, r) -> assertThat(r).as(t).startsWith("FAIL"));
        assertThat(probe(allowed.netns(), targets)).allSatisfy((t, r) -> assertThat(r).as(t).startsWith("FAIL"));
    }

    @Test
    @Order(3)
    void internetProgramCannotReachMetadataOrLinkLocalAddresses() throws Exception {
        List<String> targets = List.of(METADATA + ":80", LINK_LOCAL + ":" + SERVER_PORT);
        assertThat(probe(null, targets).values()).allMatch(r -> r.startsWith("OK"));
        assertThat(probe(online.netns(), targets)).allSatisfy((t, r) -> assertThat(r).as(t).startsWith("FAIL"));
        assertThat(probe(allowed.netns(), targets)).allSatisfy((t, r) -> assertThat(r).as(t).startsWith("FAIL"));
    }

    @Test
    @Order(4)
    void privateRangesAreReachableOnlyWhereTheOperatorAllowsThemAndDeniedRangesNever() throws Exception {
        String priv = PRIVATE + ":" + SERVER_PORT;
        String inet = INTERNET + ":" + SERVER_PORT;
        assertThat(probe(online.netns(), List.of(priv)).get(priv)).startsWith("FAIL");
        Map<String, String> r = probe(allowed.netns(), List.of(priv, inet));
        assertThat(r.get(priv)).as("allowed range, through NAT").isEqualTo("OK priv:192.168.213.1");
        assertThat(r.get(inet)).as("a denied range wins").startsWith("FAIL");
    }

    @Test
    @Order(5)
    void sandboxesCannotReachEachOther() throws Exception {
        String other = offline.programIp() + ":" + SandboxNetwork.PROGRAM_PORT;
        assertThat(probe(null, List.of(other)).get(other)).as("the node's proxy reaches the program").startsWith("OK offline:");
        assertThat(probe(online.netns(), List.of(other)).get(other)).startsWith("FAIL");
        assertThat(probe(allowed.netns(), List.of(other)).get(other)).startsWith("FAIL");
        String back = online.programIp() + ":" + SERVER_PORT;
        assertThat(probe(offline.netns(), List.of(back)).get(back)).startsWith("FAIL");
    }

    @Test
    @Order(6)
    void offlineProgramReachesNothingEvenWithADefaultRoute() throws Exception {
        assertThat(offline.internet()).isFalse();
        List<String> targets = new ArrayList<>(List.of(INTERNET + ":" + SERVER_PORT, PRIVATE + ":" + SERVER_PORT,
                LINK_LOCAL + ":" + SERVER_PORT, METADATA + ":80"));
        for (String a : hostAddresses()) targets.add(a + ":" + hostPort);
        assertThat(probe(offline.netns(), targets)).allSatisfy((t, r) -> assertThat(r).as(t).startsWith("FAIL"));
    }

    @Test
    @Order(7)
    void operatorRangesAreCheckedBeforeTheyReachTheFirewall() {
        assertThat(EgressPolicy.of(List.of("192.168.1.77/24"), List.of()).allowed()).containsExactly("192.168.1.0/24");
        assertThat(EgressPolicy.of(List.of("10.0.0.0/8"), List.of()).allowed()).containsExactly("10.0.0.0/8");
        assertThatThrownBy(() -> EgressPolicy.of(List.of("169.254.169.254"), List.of())).hasMessageContaining("never");
        assertThatThrownBy(() -> EgressPolicy.of(List.of("10.213.4.0/24"), List.of())).hasMessageContaining("never");
        assertThatThrownBy(() -> EgressPolicy.of(List.of("fc00::/7"), List.of())).hasMessageContaining("IPv6");
        assertThatThrownBy(() -> EgressPolicy.of(List.of(), List.of("1.2.3.4/8 } accept; add rule"))).hasMessageContaining("not an IPv4");
        assertThatThrownBy(() -> EgressPolicy.of(List.of(), List.of("300.1.1.1"))).hasMessageContaining("not an IPv4");
        EgressPolicy p = EgressPolicy.of(List.of("192.168.0.0/16", "10.0.0.0/8"), List.of("192.168.5.0/24"));
        assertThat(p.permits("9.9.9.9")).isTrue();
        assertThat(p.permits("192.168.1.1")).isTrue();
        assertThat(p.permits("192.168.5.1")).as("denied wins").isFalse();
        assertThat(p.permits("10.213.0.2")).as("sandboxes stay closed inside an allowed range").isFalse();
        assertThat(p.permits("172.16.0.1")).isFalse();
        assertThat(EgressPolicy.DEFAULT.permits("100.64.0.1")).isFalse();
        assertThat(EgressPolicy.DEFAULT.permits("169.254.169.254")).isFalse();
    }

    @Test
    @Order(100)
    void freeRemovesTheExecutionsRulesAndTheLastNodeRestoresTheHost() throws Exception {
        String chain = "x_" + online.hostIf();
        assertThat(sh(nft, "list", "table", "inet", SandboxNetwork.FILTER_TABLE)).contains(chain, "\"" + online.hostIf() + "\"");
        assertThat(Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip()).isEqualTo("1");
        for (SandboxNetwork.Lease l : List.copyOf(leases)) {
            (l == allowed ? allowingNetwork : network).free(l.netns(), l.hostIf());
            leases.remove(l);
            assertThat(Path.of("/run/netns", l.netns())).doesNotExist();
            assertThat(Path.of("/sys/class/net", l.hostIf())).doesNotExist();
        }
        String table = sh(nft, "list", "table", "inet", SandboxNetwork.FILTER_TABLE);
        assertThat(table).doesNotContain(chain, "x_" + allowed.hostIf(), "\"" + online.hostIf() + "\"");
        assertThat(sh(ip, "rule", "show")).doesNotContain(online.hostIf(), offline.hostIf());

        assertThat(network.restoreHost()).as("another node on the host still uses the settings").isFalse();
        assertThat(Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip()).isEqualTo("1");
        // a sandbox of another node on this host (another test run) defers the restore until it is gone
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(allowingNetwork::restoreHost);
        assertThat(Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip()).isEqualTo(ipForwardBefore);
        assertThat(code(nft, "list", "table", "inet", SandboxNetwork.FILTER_TABLE) == 0).isEqualTo(tablesBefore);
        assertThat(dir.resolve("state/host-state")).doesNotExist();
    }

    private SandboxNetwork.Lease lease(SandboxNetwork n, boolean internet) {
        SandboxNetwork.Lease l = n.allocate(internet, dir.resolve("registry"), "test {hostIf}\n");
        leases.add(l);
        n.configure(l);
        return l;
    }

    /** The host's addresses a program could aim at (its own 127/8 is its own loopback, not the host's). */
    private List<String> hostAddresses() {
        List<String> out = new ArrayList<>();
        List<String> ours = leases.stream().map(SandboxNetwork.Lease::hostIf).toList();
        for (String line : sh(ip, "-o", "addr", "show").lines().toList()) {
            String[] f = line.strip().split("\\s+");
            String ifname = f.length > 1 ? f[1].replaceFirst("@.*", "") : "";
            // other nodes' sandboxes on this host come and go while the test runs
            if (ifname.startsWith("a4j") && !ours.contains(ifname)) continue;
            for (int i = 0; i + 1 < f.length; i++) {
                if (!f[i].equals("inet") && !f[i].equals("inet6")) continue;
                String a = f[i + 1].replaceFirst("/\\d+$", "");
                if (a.startsWith("127.") || a.equals("::1") || a.startsWith("fe80:")) continue;
                out.add(a.contains(":") ? "[" + a + "]" : a);
            }
        }
        return out;
    }

    /** Connects to each target from {@code netns} (as the sandbox user), or from the host when null. */
    private Map<String, String> probe(String netns, List<String> targets) {
        List<String> cmd = new ArrayList<>();
        if (netns != null) cmd.addAll(List.of(ip, "netns", "exec", netns, setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"));
        cmd.addAll(List.of(PY, "-c", PROBE));
        cmd.addAll(targets);
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : HostTools.run(cmd, null, true).lines().toList()) {
            int sp = line.indexOf(' ');
            if (sp > 0) out.put(line.substring(0, sp), line.substring(sp + 1));
        }
        assertThat(out.keySet()).containsExactlyInAnyOrderElementsOf(targets);
        return out;
    }

    private Process server(List<String> prefix, int port, String tag) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(PY, "-c", SERVER, Integer.toString(port), tag));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static void answer(ServerSocket s) {
        while (!s.isClosed()) {
            try (Socket c = s.accept(); OutputStream o = c.getOutputStream()) {
                o.write("host\n".getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // closed, or the client went away
            }
        }
    }

    private static String sh(String... cmd) {
        return HostTools.run(List.of(cmd), null, true);
    }

    private static int code(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void require(boolean ok, String why) {
        if (ok) return;
        if ("1".equals(System.getenv("ALEPH4J_REQUIRE_SANDBOX"))) Assertions.fail(why + " (ALEPH4J_REQUIRE_SANDBOX=1)");
        Assumptions.abort(why);
    }

    private static boolean isRoot() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("Uid:")) return l.split("\\s+")[1].equals("0");
        }
        return false;
    }
}
