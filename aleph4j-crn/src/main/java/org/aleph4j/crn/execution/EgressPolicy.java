package org.aleph4j.crn.execution;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a program with {@code internet: true} may connect: the public internet, never the node
 * itself, link-local addresses (cloud metadata), other sandboxes or reserved ranges, and private
 * ranges only where the operator allows them. {@code denied} names more ranges to keep out (the
 * control plane: CCN, scheduler, PostgreSQL hosts); it wins over {@code allowed}.
 *
 * <p>The {@link #ALWAYS_DENIED} ranges are checked first, so they stay closed inside a wider allowed range.
 * CIDRs are checked strictly and normalised to their network address, since they end up in
 * firewall scripts. Sandboxes get no IPv6 at all, so an IPv6 range can be denied (a no-op) but not
 * allowed.
 */
public record EgressPolicy(List<String> allowed, List<String> denied) {
    /** Never reachable, whatever the operator allows: "this network", sandboxes, loopback, link-local, multicast, reserved. */
    static final List<String> ALWAYS_DENIED = List.of("0.0.0.0/8", SandboxNetwork.SANDBOX_RANGE, "127.0.0.0/8",
            "169.254.0.0/16", "224.0.0.0/4", "240.0.0.0/4");
    /** Reachable only when {@link #allowed} covers them. */
    static final List<String> PRIVATE = List.of("10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16");
    private static final Pattern V4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}))?");
    private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:]{2,39}(?:/(\\d{1,3}))?");
    /** The default: internet only, no private range. */
    public static final EgressPolicy DEFAULT = new EgressPolicy(List.of(), List.of());

    /** Validates operator input; IPv4 ranges are normalised, IPv6 ranges are dropped from {@code denied}. */
    public EgressPolicy {
        allowed = allowedRanges(allowed);
        denied = deniedRanges(denied);
    }

    public static EgressPolicy of(List<String> allowed, List<String> denied) {
        return new EgressPolicy(allowed, denied);
    }

    private static List<String> allowedRanges(List<String> allowed) {
        List<String> a = new ArrayList<>();
        for (String c : allowed) {
            if (isIpv6(c)) {
                throw new IllegalArgumentException("allowed sandbox range " + c + ": sandboxes have no IPv6 egress");
            }
            String n = ipv4Cidr(c);
            // a wider range (10.0.0.0/8) is fine: the sandboxes' own range inside it stays denied
            for (String never : ALWAYS_DENIED) {
                if (within(n, never)) throw new IllegalArgumentException("allowed sandbox range " + c + " is inside " + never
                        + ", which sandboxes may never reach");
            }
            a.add(n);
        }
        return List.copyOf(a);
    }

    private static List<String> deniedRanges(List<String> denied) {
        List<String> d = new ArrayList<>();
        for (String c : denied) {
            if (isIpv6(c)) continue; // all IPv6 egress is blocked already
            d.add(ipv4Cidr(c));
        }
        return List.copyOf(d);
    }

    /**
     * Whether a program may reach IPv4 address {@code ip} under this policy, leaving aside the node's
     * own addresses (never reachable, but not known here). E.g. to choose the resolvers a sandbox gets.
     */
    public boolean permits(String ip) {
        String a;
        try {
            a = ipv4Cidr(ip);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (!a.endsWith("/32")) return false;
        for (String c : ALWAYS_DENIED) if (within(a, c)) return false;
        for (String c : denied) if (within(a, c)) return false;
        for (String c : allowed) if (within(a, c)) return true;
        for (String c : PRIVATE) if (within(a, c)) return false;
        return true;
    }

    private static boolean isIpv6(String c) {
        Matcher m = V6.matcher(c.strip());
        if (!m.matches() || !c.contains(":")) return false;
        if (m.group(1) != null && Integer.parseInt(m.group(1)) > 128) throw new IllegalArgumentException("bad IPv6 range: " + c);
        return true;
    }

    /** {@code a.b.c.d} or {@code a.b.c.d/n}, returned as the network address with its prefix. */
    static String ipv4Cidr(String cidr) {
        Matcher m = V4.matcher(cidr.strip());
        if (!m.matches()) throw new IllegalArgumentException("not an IPv4 address or range: " + cidr);
        long addr = 0;
        for (int i = 1; i <= 4; i++) {
            int o = Integer.parseInt(m.group(i));
            if (o > 255) throw new IllegalArgumentException("not an IPv4 address or range: " + cidr);
            addr = addr << 8 | o;
        }
        int prefix = m.group(5) == null ? 32 : Integer.parseInt(m.group(5));
        if (prefix > 32) throw new IllegalArgumentException("not an IPv4 address or range: " + cidr);
        long net = addr & mask(prefix);
        return ((net >> 24) & 255) + "." + ((net >> 16) & 255) + "." + ((net >> 8) & 255) + "." + (net & 255) + "/" + prefix;
    }

    private static long mask(int prefix) {
        return prefix == 0 ? 0 : (0xFFFFFFFFL << (32 - prefix)) & 0xFFFFFFFFL;
    }

    /** Whether normalised IPv4 range {@code inner} lies inside {@code outer}. */
    static boolean within(String inner, String outer) {
        String[] x = inner.split("/");
        String[] y = outer.split("/");
        int p = Integer.parseInt(y[1]);
        return Integer.parseInt(x[1]) >= p && (toLong(x[0]) & mask(p)) == (toLong(y[0]) & mask(p));
    }

    private static long toLong(String ip) {
        long v = 0;
        for (String o : ip.split("\\.")) v = v << 8 | Integer.parseInt(o);
        return v;
    }
}
