package org.aleph4j.crn.execution;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.aleph4j.crn.CrnException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Network namespaces of sandboxed executions: one named namespace ({@code ip netns add a4j-<slot>})
 * per execution with a veth pair, host side 10.213.a.b+1/30, program side (eth0) 10.213.a.b+2/30,
 * loopback up, no IPv6 addresses. The namespace name doubles as the host-wide allocation lock of the
 * /30 (creating it fails when another node holds the slot).
 *
 * <p>With nftables (preferred) the table {@code inet aleph4j} filters every {@code a4j*} veth: toward
 * the host only the replies to the CRN's proxy connections (TCP from port 8080, conntrack-established)
 * get in, whatever address they target, so none of the node's addresses or services is reachable;
 * forwarded traffic is dropped unless the veth has its own chain {@code x_<veth>} (internet
 * executions only), which checks the source address and applies the {@link EgressPolicy}. The table
 * {@code ip aleph4j_nat} masquerades the sandboxes' range. Both tables are created once per host and
 * a veth's chain is removed with it.
 *
 * <p>Without nftables the host side is protected by policy routing: packets arriving from the veth are
 * only delivered locally when they are TCP from port 8080 to the node's ephemeral ports (replies to
 * the CRN's proxy connections); everything else is prohibited. This needs the {@code local} lookup
 * rule moved after our rules (pref 0 → 1000). Internet then needs iptables for the MASQUERADE rule.
 *
 * <p>Host-wide changes (ip_forward, the local rule, the tables) are recorded by {@link HostNetworkState}
 * and undone by {@link #close()} of the last node on the host.
 */
final class SandboxNetwork implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SandboxNetwork.class);
    static final int SLOTS = 16384;
    static final int PROGRAM_PORT = 8080;
    static final String SANDBOX_RANGE = "10.213.0.0/16";
    static final String FILTER_TABLE = "aleph4j";
    static final String NAT_TABLE = "aleph4j_nat";
    /**
     * Host settings are those of a network namespace: nodes in different namespaces of one host (as
     * the fault suite runs them) each record and restore their own.
     */
    static final Path DEFAULT_STATE_DIR = Path.of("/run/aleph4j-sandbox").resolve(networkNamespaceDir());
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    private static final java.util.regex.Pattern HOST_IF = java.util.regex.Pattern.compile("a4j\\d{1,5}h");
    private static final int PREF_ALLOW = 500;
    private static final int PREF_BLOCK = 501;
    private static final int PREF_LAST = PREF_BLOCK + 4;

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
    private final String nft;
    private final EgressPolicy policy;
    private final HostNetworkState hostState;
    private final String ephemeralPorts;
    private volatile boolean nftReady;
    private volatile boolean joined;
    private volatile boolean everJoined;

    SandboxNetwork(String ip, String iptables) {
        this(ip, iptables, HostTools.which("nft"), EgressPolicy.DEFAULT, DEFAULT_STATE_DIR);
    }

    /**
     * @param nft      the nft tool, or null to use policy routing (and iptables for NAT)
     * @param stateDir where the host-wide settings and their holders are recorded (host-wide: /run/aleph4j-sandbox)
     */
    SandboxNetwork(String ip, String iptables, String nft, EgressPolicy policy, Path stateDir) {
        this.ip = ip;
        this.iptables = iptables;
        this.nft = nft;
        this.policy = policy;
        this.hostState = new HostNetworkState(stateDir);
        String range = "32768-60999";
        try {
            String[] r = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).strip().split("\\s+");
            range = r[0] + "-" + r[1];
        } catch (IOException | RuntimeException ignored) {
            // the kernel default
        }
        this.ephemeralPorts = range;
    }

    /** {@code net-<inode>} of this process's network namespace ({@code host} when it cannot be read). */
    static String networkNamespaceDir() {
        try {
            String link = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[4026531840]
            String inode = link.replaceAll("\\D", "");
            return inode.isEmpty() ? "host" : "net-" + inode;
        } catch (IOException | UnsupportedOperationException e) {
            // no /proc namespace link (not Linux, or /proc hidden): one shared record, as before namespaces were told apart
            return "host";
        }
    }

    /** Whether programs can get outbound internet (nftables, or iptables for NAT). */
    boolean natAvailable() {
        return (joined ? nftReady : nft != null) || iptables != null;
    }

    /** Whether the nftables filter is in use (after {@link #prepareHost}). */
    boolean usesNft() {
        return nftReady;
    }

    /**
     * Records the host's settings (first node on the host only) and installs the host-wide part: the
     * nft tables, or the moved local lookup rule without nft. Idempotent.
     */
    void prepareHost() {
        hostState.join(this::currentHostSettings, original -> {
            boolean ready = false;
            if (nft != null) {
                try {
                    ensureTables();
                    ready = true;
                } catch (CrnException e) {
                    log.warn("nftables unusable, falling back to policy routing: {}", e.getMessage());
                }
            }
            nftReady = ready;
            if (!ready) moveLocalRule();
            joined = true;
            everJoined = true;
        });
    }

    private HostNetworkState.Original currentHostSettings() {
        String rules = HostTools.run(List.of(ip, "rule", "show"), null, false);
        String fwd;
        try {
            fwd = Files.readString(IP_FORWARD).strip();
        } catch (IOException e) {
            fwd = "0";
        }
        boolean filter = nft != null && HostTools.exitCode(List.of(nft, "list", "table", "inet", FILTER_TABLE)) == 0;
        boolean nat = nft != null && HostTools.exitCode(List.of(nft, "list", "table", "ip", NAT_TABLE)) == 0;
        return new HostNetworkState.Original(fwd, localRuleAt(rules, 0), localRuleAt(rules, 1000), filter, nat);
    }

    private static boolean localRuleAt(String rules, int pref) {
        return rules.lines().anyMatch(l -> l.startsWith(pref + ":") && l.strip().endsWith("lookup local"));
    }

    private void moveLocalRule() {
        String rules = HostTools.run(List.of(ip, "rule", "show"), null, false);
        if (!localRuleAt(rules, 1000)) HostTools.run(List.of(ip, "rule", "add", "pref", "1000", "lookup", "local"), null, true);
        if (localRuleAt(rules, 0)) HostTools.run(List.of(ip, "rule", "del", "pref", "0", "lookup", "local"), null, false);
    }

    /** Creates the two tables when absent (the caller holds the host lock, so two nodes do not both add rules). */
    private void ensureTables() {
        String t = "inet " + FILTER_TABLE;
        if (HostTools.exitCode(List.of(nft, "list", "table", "inet", FILTER_TABLE)) != 0) {
            String s = String.join("\n",
                    "add table " + t,
                    "add map " + t + " egress { type ifname : verdict; }",
                    "add chain " + t + " input { type filter hook input priority filter; policy accept; }",
                    "add chain " + t + " forward { type filter hook forward priority filter; policy accept; }",
                    "add chain " + t + " to_host",
                    "add chain " + t + " from_sandbox",
                    "add chain " + t + " to_sandbox",
                    // a veth is filtered from the moment it exists: the wildcard, not a per-veth element
                    "add rule " + t + " input iifname \"a4j*\" jump to_host",
                    "add rule " + t + " to_host meta nfproto ipv4 tcp sport " + PROGRAM_PORT + " ct state established accept",
                    "add rule " + t + " to_host meta nfproto ipv4 meta l4proto icmp ct state related accept",
                    "add rule " + t + " to_host drop",
                    "add rule " + t + " forward iifname \"a4j*\" jump from_sandbox",
                    "add rule " + t + " forward oifname \"a4j*\" jump to_sandbox",
                    "add rule " + t + " from_sandbox meta nfproto != ipv4 drop",
                    "add rule " + t + " from_sandbox fib daddr type != unicast drop",
                    "add rule " + t + " from_sandbox ip daddr { " + String.join(", ", EgressPolicy.ALWAYS_DENIED) + " } drop",
                    "add rule " + t + " from_sandbox iifname vmap @egress",
                    "add rule " + t + " from_sandbox drop",
                    // nobody outside opens connections into a sandbox; the node's proxy connects from the host itself
                    "add rule " + t + " to_sandbox ct state established,related accept",
                    "add rule " + t + " to_sandbox drop") + "\n";
            HostTools.run(List.of(nft, "-f", "-"), s, true);
        }
        if (HostTools.exitCode(List.of(nft, "list", "table", "ip", NAT_TABLE)) != 0) {
            String n = "ip " + NAT_TABLE;
            HostTools.run(List.of(nft, "-f", "-"), "add table " + n + "\n"
                    + "add chain " + n + " postrouting { type nat hook postrouting priority srcnat; policy accept; }\n"
                    + "add rule " + n + " postrouting ip saddr " + SANDBOX_RANGE + " ip daddr != " + SANDBOX_RANGE + " masquerade\n", true);
        }
    }

    /**
     * Undoes the host-wide changes when this is the last node on the host using them and no sandbox
     * namespace is left; otherwise only unregisters. Returns whether the host was restored.
     */
    boolean restoreHost() {
        // may be called again: the last node retries once the remaining sandboxes are gone
        if (!everJoined) return false;
        joined = false;
        return hostState.leave(SandboxNetwork::sandboxesLeft, this::restore);
    }

    @Override
    public void close() {
        restoreHost();
    }

    private static boolean sandboxesLeft() {
        try (var s = Files.list(Path.of("/run/netns"))) {
            return s.anyMatch(p -> p.getFileName().toString().matches("a4j-\\d+"));
        } catch (IOException e) {
            return false; // no /run/netns: no namespace at all
        }
    }

    private void restore(HostNetworkState.Original o) {
        String fwd;
        try {
            fwd = Files.readString(IP_FORWARD).strip();
            if (!fwd.equals(o.ipForward())) Files.writeString(IP_FORWARD, o.ipForward());
        } catch (IOException e) {
            log.warn("cannot restore net.ipv4.ip_forward={}: {}", o.ipForward(), e.toString());
        }
        String rules = HostTools.run(List.of(ip, "rule", "show"), null, false);
        if (o.localRulePref0() && !localRuleAt(rules, 0)) HostTools.run(List.of(ip, "rule", "add", "pref", "0", "lookup", "local"), null, false);
        if (!o.localRulePref1000() && localRuleAt(rules, 1000)) HostTools.run(List.of(ip, "rule", "del", "pref", "1000", "lookup", "local"), null, false);
        if (nft != null) {
            if (!o.filterTableExisted()) HostTools.exitCode(List.of(nft, "delete", "table", "inet", FILTER_TABLE));
            if (!o.natTableExisted()) HostTools.exitCode(List.of(nft, "delete", "table", "ip", NAT_TABLE));
        }
        log.info("sandbox network: host settings restored (ip_forward={})", o.ipForward());
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
            if (HostTools.exitCode(List.of(ip, "netns", "add", l.netns())) == 0) return l;
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
        if (!nftReady) policyRules(host, l);
        host.append("link set dev ").append(l.hostIf()).append(" up\n");
        HostTools.run(List.of(ip, "-batch", "-"), host.toString(), true);
        StringBuilder inside = new StringBuilder();
        inside.append("link set dev lo up\n");
        inside.append("link set dev eth0 addrgenmode none\n");
        inside.append("addr add ").append(l.programIp()).append("/30 dev eth0\n");
        inside.append("link set dev eth0 up\n");
        if (l.internet()) inside.append("route add default via ").append(l.hostIp()).append('\n');
        HostTools.run(List.of(ip, "-n", l.netns(), "-batch", "-"), inside.toString(), true);
        if (!l.internet()) return;
        egress(l);
    }

    /**
     * Whether a lease configured without internet can get it later exactly as if it had been
     * configured with it ({@link #grantInternet}): with nftables, where the egress rules are the
     * veth's own chain; not with the policy-routing fallback, whose rules are written at configure.
     */
    boolean grantsInternetLater() {
        return nftReady && natAvailable();
    }

    /** Gives a lease configured without internet ({@code l} is the same slot with internet) its default route and egress rules. */
    void grantInternet(Lease l) {
        if (!l.internet() || !grantsInternetLater()) throw new IllegalStateException("internet cannot be granted to " + l.netns());
        HostTools.run(List.of(ip, "-n", l.netns(), "-batch", "-"), "route add default via " + l.hostIp() + "\n", true);
        egress(l);
    }

    private void egress(Lease l) {
        if (nftReady) {
            HostTools.run(List.of(nft, "-f", "-"), egressChain(l), true);
        } else {
            List<String> rule = List.of("-t", "nat", "POSTROUTING", "-s", SANDBOX_RANGE, "!", "-d", SANDBOX_RANGE, "-j", "MASQUERADE");
            List<String> check = new ArrayList<>(List.of(iptables, "-t", "nat", "-C"));
            check.addAll(rule.subList(2, rule.size()));
            if (HostTools.exitCode(check) != 0) {
                List<String> add = new ArrayList<>(List.of(iptables, "-t", "nat", "-A"));
                add.addAll(rule.subList(2, rule.size()));
                HostTools.run(add, null, true);
            }
        }
        try {
            Files.writeString(IP_FORWARD, "1");
        } catch (IOException e) {
            log.warn("cannot enable ip forwarding: {}", e.toString());
        }
    }

    /** The veth's forwarding chain: its own source address only, then the egress policy; referenced from the egress map. */
    String egressChain(Lease l) {
        String t = "inet " + FILTER_TABLE;
        String c = chainOf(l.hostIf());
        StringBuilder s = new StringBuilder();
        // flushed: a chain left by a crashed node for the same veth must not keep its old rules in front
        s.append("add chain ").append(t).append(' ').append(c).append('\n');
        s.append("flush chain ").append(t).append(' ').append(c).append('\n');
        s.append("add rule ").append(t).append(' ').append(c).append(" ip saddr != ").append(l.programIp()).append(" drop\n");
        if (!policy.denied().isEmpty()) {
            s.append("add rule ").append(t).append(' ').append(c).append(" ip daddr { ").append(String.join(", ", policy.denied()))
                    .append(" } drop\n");
        }
        if (!policy.allowed().isEmpty()) {
            s.append("add rule ").append(t).append(' ').append(c).append(" ip daddr { ").append(String.join(", ", policy.allowed()))
                    .append(" } accept\n");
        }
        s.append("add rule ").append(t).append(' ').append(c).append(" ip daddr { ").append(String.join(", ", EgressPolicy.PRIVATE))
                .append(" } drop\n");
        s.append("add rule ").append(t).append(' ').append(c).append(" accept\n");
        s.append("add element ").append(t).append(" egress { \"").append(l.hostIf()).append("\" : jump ").append(c).append(" }\n");
        return s.toString();
    }

    private static String chainOf(String hostIf) {
        return "x_" + hostIf;
    }

    /** Policy routing without nft: replies to the proxy may be delivered locally; internet traffic is routed, minus the denied ranges. */
    private void policyRules(StringBuilder host, Lease l) {
        String iif = " iif " + l.hostIf();
        host.append("rule add pref ").append(PREF_ALLOW).append(iif).append(" ipproto tcp sport ")
                .append(PROGRAM_PORT).append(" dport ").append(ephemeralPorts).append(" lookup local\n");
        if (l.internet()) {
            // forwarded traffic only: no local delivery (the host's services), none of the node's addresses
            // (routed out of an interface otherwise), no other sandboxes, metadata or unallowed private range
            List<String> never = new ArrayList<>(EgressPolicy.ALWAYS_DENIED);
            never.addAll(policy.denied());
            never.addAll(hostAddresses());
            for (String c : never) host.append("rule add pref ").append(PREF_BLOCK).append(iif).append(" to ").append(c).append(" prohibit\n");
            for (String c : policy.allowed()) host.append("rule add pref ").append(PREF_BLOCK + 1).append(iif).append(" to ").append(c).append(" lookup main\n");
            for (String c : EgressPolicy.PRIVATE) host.append("rule add pref ").append(PREF_BLOCK + 2).append(iif).append(" to ").append(c).append(" prohibit\n");
            host.append("rule add pref ").append(PREF_BLOCK + 3).append(iif).append(" lookup main\n");
            host.append("rule add pref ").append(PREF_LAST).append(iif).append(" prohibit\n");
        } else {
            host.append("rule add pref ").append(PREF_BLOCK).append(iif).append(" prohibit\n");
        }
    }

    /** The IPv4 addresses on the host's interfaces now, as /32 ranges. */
    private List<String> hostAddresses() {
        List<String> out = new ArrayList<>();
        for (String line : HostTools.run(List.of(ip, "-o", "-4", "addr", "show"), null, false).lines().toList()) {
            String[] f = line.strip().split("\\s+");
            for (int i = 0; i + 1 < f.length; i++) {
                if (f[i].equals("inet")) {
                    try {
                        out.add(EgressPolicy.ipv4Cidr(f[i + 1].replaceFirst("/\\d+$", "")));
                    } catch (IllegalArgumentException ignored) {
                        // not an address
                    }
                }
            }
        }
        return out;
    }

    /** Deletes the rules, the veth pair and the namespace of a lease (each step tolerates what is already gone). */
    void free(String netns, String hostIf) {
        if (!HOST_IF.matcher(hostIf).matches() || !netns.matches("a4j-\\d{1,5}")) {
            log.warn("not a sandbox network: {} {}", netns, hostIf);
            return;
        }
        // /sys shows the interfaces of the namespace it was mounted in, not necessarily this node's: ask ip
        if (HostTools.exitCode(List.of(ip, "link", "show", "dev", hostIf)) == 0) HostTools.exitCode(List.of(ip, "link", "del", hostIf));
        if (Files.exists(Path.of("/run/netns", netns))) HostTools.exitCode(List.of(ip, "netns", "del", netns));
        for (int pref = PREF_ALLOW; pref <= PREF_LAST; pref++) {
            for (int i = 0; i < 64 && HostTools.exitCode(List.of(ip, "rule", "del", "pref", Integer.toString(pref), "iif", hostIf)) == 0; i++) {
                // a rule per call: loop until none is left
            }
        }
        if (nft != null) {
            // the map element first: a referenced chain cannot be deleted
            HostTools.exitCode(List.of(nft, "delete", "element", "inet", FILTER_TABLE, "egress", "{ \"" + hostIf + "\" }"));
            HostTools.exitCode(List.of(nft, "delete", "chain", "inet", FILTER_TABLE, chainOf(hostIf)));
        }
    }
}
