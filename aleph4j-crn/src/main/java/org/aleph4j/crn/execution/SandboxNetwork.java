package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.aleph4j.crn.CrnException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network namespaces of sandboxed executions: one named namespace ({@code ip netns add a4j-<slot>})
 * per execution with a veth pair, host side 10.213.a.b+1/30, program side (eth0) 10.213.a.b+2/30,
 * loopback up, no IPv6 addresses. The namespace name doubles as the host-wide allocation lock of the
 * /30 (creating it fails when another node holds the slot).
 *
 * <p>Without iptables the host side is protected by policy routing: packets arriving from the veth are
 * only delivered locally when they are TCP from port 8080 to the node's ephemeral ports (replies to
 * the CRN's proxy connections); everything else is prohibited. This needs the {@code local} lookup
 * rule moved after our rules (pref 0 → 1000), done once per host.
 */
final class SandboxNetwork {
    private static final Logger log = LoggerFactory.getLogger(SandboxNetwork.class);
    static final int SLOTS = 16384;
    static final int PROGRAM_PORT = 8080;
    private static final int PREF_ALLOW = 500;
    private static final int PREF_BLOCK = 501;

    /** One execution's namespace and addresses. */
    record Lease(int slot, String netns, String hostIf, String hostIp, String programIp, boolean internet) {
        static Lease of(int slot, boolean internet) {
            int base = slot * 4;
            String net = "10.213." + (base / 256) + ".";
            int b = base % 256;
            return new Lease(slot, "a4j-" + slot, "a4j" + slot + "h", net + (b + 1), net + (b + 2), internet);
        }
    }

    private final String ip;
    private final String iptables;
    private final String ephemeralPorts;

    SandboxNetwork(String ip, String iptables) {
        this.ip = ip;
        this.iptables = iptables;
        String range = "32768-60999";
        try {
            String[] r = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).strip().split("\\s+");
            range = r[0] + "-" + r[1];
        } catch (IOException | RuntimeException ignored) {
            // the kernel default
        }
        this.ephemeralPorts = range;
    }

    /** Whether programs can get outbound internet (a NAT tool exists). */
    boolean natAvailable() {
        return iptables != null;
    }

    /** Moves the local lookup rule after the sandbox rules (idempotent). */
    void prepareHost() {
        String rules = run(List.of(ip, "rule", "show"), null, false);
        if (!rules.contains("1000:\tfrom all lookup local")) run(List.of(ip, "rule", "add", "pref", "1000", "lookup", "local"), null, true);
        if (rules.lines().anyMatch(l -> l.startsWith("0:") && l.contains("lookup local"))) {
            run(List.of(ip, "rule", "del", "pref", "0", "lookup", "local"), null, false);
        }
    }

    /**
     * Reserves a free slot: first its registry file (created exclusively with {@code record}, so a
     * node killed at any point leaves a record naming what it may have created), then its namespace.
     */
    Lease allocate(boolean internet, Path registry, String record) {
        int start = ThreadLocalRandom.current().nextInt(SLOTS);
        for (int i = 0; i < 256; i++) {
            int slot = (start + i) % SLOTS;
            Lease l = Lease.of(slot, internet && natAvailable());
            if (Files.exists(Path.of("/run/netns", l.netns()))) continue;
            Path entry = registry.resolve(l.netns());
            try {
                Files.writeString(entry, record.replace("{hostIf}", l.hostIf()), java.nio.file.StandardOpenOption.CREATE_NEW,
                        java.nio.file.StandardOpenOption.WRITE);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                continue;
            } catch (IOException e) {
                throw new CrnException(500, "cannot record the sandbox: " + e.getMessage());
            }
            if (exitCode(List.of(ip, "netns", "add", l.netns())) == 0) return l;
            try {
                Files.deleteIfExists(entry);
            } catch (IOException ignored) {
                // a stale entry is released by the next orphan scan
            }
        }
        throw new CrnException(503, "no free sandbox network slot on this node");
    }

    /** veth pair, addresses, routes and the host-protection rules of {@code l}. */
    void configure(Lease l) {
        StringBuilder host = new StringBuilder();
        host.append("link add ").append(l.hostIf()).append(" type veth peer name eth0 netns ").append(l.netns()).append('\n');
        host.append("link set dev ").append(l.hostIf()).append(" addrgenmode none\n");
        host.append("addr add ").append(l.hostIp()).append("/30 dev ").append(l.hostIf()).append('\n');
        host.append("rule add pref ").append(PREF_ALLOW).append(" iif ").append(l.hostIf()).append(" ipproto tcp sport ")
                .append(PROGRAM_PORT).append(" dport ").append(ephemeralPorts).append(" lookup local\n");
        if (l.internet()) {
            // forwarded traffic only: no local delivery (the host's services), no other sandboxes
            host.append("rule add pref ").append(PREF_BLOCK).append(" iif ").append(l.hostIf()).append(" to 10.213.0.0/16 prohibit\n");
            host.append("rule add pref ").append(PREF_BLOCK + 1).append(" iif ").append(l.hostIf()).append(" lookup main\n");
            host.append("rule add pref ").append(PREF_BLOCK + 2).append(" iif ").append(l.hostIf()).append(" prohibit\n");
        } else {
            host.append("rule add pref ").append(PREF_BLOCK).append(" iif ").append(l.hostIf()).append(" prohibit\n");
        }
        host.append("link set dev ").append(l.hostIf()).append(" up\n");
        run(List.of(ip, "-batch", "-"), host.toString(), true);
        StringBuilder inside = new StringBuilder();
        inside.append("link set dev lo up\n");
        inside.append("link set dev eth0 addrgenmode none\n");
        inside.append("addr add ").append(l.programIp()).append("/30 dev eth0\n");
        inside.append("link set dev eth0 up\n");
        if (l.internet()) inside.append("route add default via ").append(l.hostIp()).append('\n');
        run(List.of(ip, "-n", l.netns(), "-batch", "-"), inside.toString(), true);
        if (l.internet()) {
            try {
                Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1");
            } catch (IOException e) {
                log.warn("cannot enable ip forwarding: {}", e.toString());
            }
            List<String> rule = List.of("-t", "nat", "POSTROUTING", "-s", "10.213.0.0/16", "!", "-d", "10.213.0.0/16", "-j", "MASQUERADE");
            List<String> check = new ArrayList<>(List.of(iptables, "-t", "nat", "-C"));
            check.addAll(rule.subList(2, rule.size()));
            if (exitCode(check) != 0) {
                List<String> add = new ArrayList<>(List.of(iptables, "-t", "nat", "-A"));
                add.addAll(rule.subList(2, rule.size()));
                run(add, null, true);
            }
        }
    }

    /** Deletes the rules, the veth pair and the namespace of a lease (each step tolerates what is already gone). */
    void free(String netns, String hostIf) {
        for (int pref : new int[] {PREF_ALLOW, PREF_BLOCK, PREF_BLOCK + 1, PREF_BLOCK + 2}) {
            for (int i = 0; i < 4 && exitCode(List.of(ip, "rule", "del", "pref", Integer.toString(pref), "iif", hostIf)) == 0; i++) {
                // a rule per call: loop until none is left
            }
        }
        if (Files.exists(Path.of("/sys/class/net", hostIf))) exitCode(List.of(ip, "link", "del", hostIf));
        if (Files.exists(Path.of("/run/netns", netns))) exitCode(List.of(ip, "netns", "del", netns));
    }

    int exitCode(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Runs a command (bounded to 10 s) with optional stdin; returns its output. */
    static String run(List<String> cmd, String stdin, boolean mustSucceed) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            // read on the side so a hanging tool cannot block us past the bound
            java.util.concurrent.CompletableFuture<byte[]> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            }, r -> Thread.ofVirtual().start(r));
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new CrnException(500, "sandbox setup timed out: " + String.join(" ", cmd));
            }
            String text;
            try {
                text = new String(out.get(2, TimeUnit.SECONDS), StandardCharsets.UTF_8);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                text = "";
            }
            if (mustSucceed && p.exitValue() != 0) {
                throw new CrnException(500, "sandbox setup failed: " + String.join(" ", cmd) + ": " + text.strip()
                        + (stdin == null ? "" : " (input: " + stdin.strip().replace('\n', ';') + ")"));
            }
            return text;
        } catch (IOException e) {
            throw new CrnException(500, "sandbox setup failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CrnException(503, "interrupted during sandbox setup");
        }
    }
}
