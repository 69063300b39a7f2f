package org.aleph4j.message;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/** An Ethereum key: derives its EIP-55 address and makes EIP-191 signatures (v = 27 or 28). */
public final class EthAccount {
    private static final BigInteger CURVE_N = Sign.CURVE_PARAMS.getN();
    private final ECKeyPair keyPair;
    private final String address;

    private EthAccount(ECKeyPair keyPair) {
        this.keyPair = keyPair;
        this.address = Keys.toChecksumAddress(Keys.getAddress(keyPair));
    }

    /** An account from a 32-byte private key; rejects keys outside the curve order. */
    public static EthAccount fromPrivateKey(byte[] key32) {
        if (key32 == null || key32.length != 32) throw new IllegalArgumentException("a private key is exactly 32 bytes");
        BigInteger d = new BigInteger(1, key32);
        if (d.signum() == 0 || d.compareTo(CURVE_N) >= 0) throw new IllegalArgumentException("private key out of range");
        return new EthAccount(ECKeyPair.create(d));
    }

    /** An account from a hex private key, with or without 0x. */
    public static EthAccount fromHex(String hex) {
        String h = hex.strip();
        if (h.startsWith("0x") || h.startsWith("0X")) h = h.substring(2);
        if (h.length() != 64) throw new IllegalArgumentException("a hex private key has 64 hex digits");
        try {
            return fromPrivateKey(HexFormat.of().parseHex(h));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid hex private key: " + e.getMessage());
        }
    }

    /** A new random account. */
    public static EthAccount generate(SecureRandom random) {
        while (true) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            BigInteger d = new BigInteger(1, key);
            if (d.signum() > 0 && d.compareTo(CURVE_N) < 0) return fromPrivateKey(key);
        }
    }

    /** The EIP-55 checksummed address. */
    public String address() {
        return address;
    }

    /** The raw 32-byte private key (upstream's key file format). */
    public byte[] privateKeyBytes() {
        byte[] raw = keyPair.getPrivateKey().toByteArray();
        if (raw.length == 32) return raw;
        byte[] out = new byte[32];
        int from = Math.max(0, raw.length - 32);
        System.arraycopy(raw, from, out, 32 - (raw.length - from), raw.length - from);
        return out;
    }

    /** An EIP-191 personal_sign signature of the UTF-8 bytes of {@code text}: 0x + r‖s‖v. */
    public String signEip191(String text) {
        return signEip191(text.getBytes(StandardCharsets.UTF_8));
    }

    public String signEip191(byte[] message) {
        Sign.SignatureData sig = Sign.signPrefixedMessage(message, keyPair);
        byte[] out = new byte[65];
        System.arraycopy(sig.getR(), 0, out, 0, 32);
        System.arraycopy(sig.getS(), 0, out, 32, 32);
        out[64] = sig.getV()[0];
        return "0x" + HexFormat.of().formatHex(out);
    }

    @Override
    public String toString() {
        return "EthAccount[" + address + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EthAccount a && Arrays.equals(a.privateKeyBytes(), privateKeyBytes());
    }

    @Override
    public int hashCode() {
        return address.hashCode();
    }
}
