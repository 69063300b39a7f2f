package org.aleph4j.message;

import java.util.HexFormat;
import java.util.Locale;

/**
 * Host-name labels of programs, as upstream routes {@code <label>.<domain>} to a program: RFC 4648
 * base32 of the 32 raw bytes of a sha256 item hash, lowercase, without padding (52 characters).
 */
public final class HostLabels {
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

    private HostLabels() {}

    /** The host label of a sha256 item hash: 52 base32 characters. */
    public static String label(String itemHash) {
        byte[] bytes = HexFormat.of().parseHex(itemHash);
        StringBuilder sb = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : bytes) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                sb.append(ALPHABET.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) sb.append(ALPHABET.charAt((buffer << (5 - bits)) & 31));
        return sb.toString();
    }

    /** The item hash a host label names, or null when it is not the base32 of 32 bytes. */
    public static String itemHash(String label) {
        String l = label.toLowerCase(Locale.ROOT).replace("=", "");
        if (l.length() != 52) return null;
        byte[] out = new byte[32];
        int buffer = 0;
        int bits = 0;
        int n = 0;
        for (int i = 0; i < l.length(); i++) {
            int v = ALPHABET.indexOf(l.charAt(i));
            if (v < 0) return null;
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                if (n == 32) return null;
                out[n++] = (byte) (buffer >> (bits - 8));
                bits -= 8;
            }
        }
        if (n != 32 || (buffer & ((1 << bits) - 1)) != 0) return null;
        return HexFormat.of().formatHex(out);
    }
}
