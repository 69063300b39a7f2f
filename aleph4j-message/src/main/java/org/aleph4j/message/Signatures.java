package org.aleph4j.message;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.web3j.crypto.Hash;

/** EIP-191 personal_sign helpers shared by signers and verifiers. */
public final class Signatures {
    private Signatures() {}

    public static String verificationBuffer(Chain chain, String sender, MessageType type, String itemHash) {
        return (chain == null ? "" : chain.name()) + "\n" + sender + "\n" + (type == null ? "" : type.name()) + "\n" + itemHash;
    }

    /** keccak256("\x19Ethereum Signed Message:\n" + len(message) + message). */
    public static byte[] eip191Hash(byte[] message) {
        byte[] prefix = ("\u0019Ethereum Signed Message:\n" + message.length).getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(prefix, prefix.length + message.length);
        System.arraycopy(message, 0, all, prefix.length, message.length);
        return Hash.sha3(all);
    }

    /**
     * Parses a signature leniently as upstream does: optional 0x, either case, 65 bytes, recovery
     * byte 0, 1, 27 or 28. Returns r‖s‖recid (recid 0 or 1), or null when malformed.
     */
    public static byte[] parse(String signature) {
        if (signature == null) return null;
        String hex = signature.startsWith("0x") || signature.startsWith("0X") ? signature.substring(2) : signature;
        if (hex.length() != 130) return null;
        byte[] raw;
        try {
            raw = HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int v = raw[64] & 0xff;
        if (v == 27 || v == 28) v -= 27;
        if (v != 0 && v != 1) return null;
        raw[64] = (byte) v;
        return raw;
    }
}
