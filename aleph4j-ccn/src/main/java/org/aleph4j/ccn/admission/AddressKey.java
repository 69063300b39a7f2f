package org.aleph4j.ccn.admission;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * The key a remote address is counted under: an IPv4 address as is, an IPv6 address by its /64 (one host
 * usually owns a whole /64, so counting single IPv6 addresses would not limit anyone). Only the socket's peer
 * address is used: forwarding headers are set by the client and prove nothing.
 */
public final class AddressKey {
    private AddressKey() {}

    public static String of(InetAddress a) {
        if (a == null) return "unknown";
        byte[] b = a.getAddress();
        if (b.length == 16) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 8; i += 2) sb.append(String.format("%02x%02x:", b[i], b[i + 1]));
            return sb.append(":/64").toString();
        }
        return a.getHostAddress();
    }

    public static String of(SocketAddress s) {
        return s instanceof InetSocketAddress i ? of(i.getAddress()) : "unknown";
    }

    /** From a textual IP literal as a servlet request reports it (never resolved through DNS). */
    public static String ofLiteral(String ip) {
        if (ip == null || ip.isBlank()) return "unknown";
        String literal = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        int zone = literal.indexOf('%');
        if (zone >= 0) literal = literal.substring(0, zone);
        boolean v4 = literal.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        boolean v6 = literal.contains(":") && literal.matches("[0-9a-fA-F:.]+");
        if (!v4 && !v6) return literal;
        try {
            // an IP literal is parsed without any lookup
            return of(InetAddress.getByName(literal));
        } catch (UnknownHostException e) {
            return literal;
        }
    }
}
