package org.aleph4j.message;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.math.ec.ECPoint;
import fr.acinq.secp256k1.Secp256k1;
import org.web3j.crypto.Sign;

/**
 * Seals a small secret (a volume key) to one secp256k1 public key, so that only the holder of the
 * matching Ethereum key can open it, even when it travels over plain HTTP: ECIES with an ephemeral
 * key (ECDH on secp256k1, SHA-256 of the shared x coordinate, the ephemeral key and a context string
 * as the AES-256-GCM key; the context is the GCM associated data too, so a sealed key cannot be
 * replayed for another purpose). The recipient's public key is recovered from a signature it made.
 */
public final class KeySeal {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();
    private static final org.bouncycastle.math.ec.ECCurve CURVE = Sign.CURVE_PARAMS.getCurve();

    private KeySeal() {}

    /** A sealed secret, hex: the ephemeral public key (65 bytes, uncompressed), the GCM nonce and the ciphertext with its tag. */
    public record Sealed(String ephemeralKey, String nonce, String ciphertext) {}

    /** The 64-byte public key of an account, as a number (web3j's form). */
    public static BigInteger publicKeyOf(EthAccount account) {
        return Sign.publicKeyFromPrivate(new BigInteger(1, account.privateKeyBytes()));
    }

    /** The public key that made {@code signatureHex} (EIP-191 over {@code message}); null when none can be recovered. */
    public static BigInteger recoverPublicKey(byte[] message, String signatureHex) {
        byte[] sig = Signatures.parse(signatureHex);
        if (sig == null || sig.length != 65) return null;
        byte v = sig[64];
        if (v < 27) v += 27;
        if (NativeSignatureVerifier.available()) {
            // libsecp256k1: some 20 times cheaper than the pure-Java path (a session is opened per node)
            try {
                byte[] pub = Secp256k1.Companion.get().ecdsaRecover(Arrays.copyOf(sig, 64), Signatures.eip191Hash(message), v - 27);
                byte[] uncompressed = pub.length == 65 ? pub : Secp256k1.Companion.get().pubkeyParse(pub);
                return new BigInteger(1, Arrays.copyOfRange(uncompressed, 1, 65));
            } catch (RuntimeException e) {
                return null;
            }
        }
        try {
            return Sign.signedMessageHashToKey(Signatures.eip191Hash(message),
                    new Sign.SignatureData(v, Arrays.copyOfRange(sig, 0, 32), Arrays.copyOfRange(sig, 32, 64)));
        } catch (java.security.SignatureException | RuntimeException e) {
            return null;
        }
    }

    public static Sealed seal(byte[] secret, BigInteger recipientPublicKey, String context) {
        BigInteger ephemeral;
        do {
            ephemeral = new BigInteger(256, RANDOM);
        } while (ephemeral.signum() == 0 || ephemeral.compareTo(Sign.CURVE_PARAMS.getN()) >= 0);
        byte[] ephemeralPub;
        byte[] sharedX;
        if (NativeSignatureVerifier.available()) {
            // the same points as below, multiplied by libsecp256k1
            Secp256k1 native_ = Secp256k1.Companion.get();
            byte[] priv = scalar(ephemeral);
            ephemeralPub = uncompressed(native_.pubkeyCreate(priv));
            sharedX = Arrays.copyOfRange(uncompressed(native_.pubKeyTweakMul(point(recipientPublicKey).getEncoded(false), priv)), 1, 33);
        } else {
            ephemeralPub = Sign.publicPointFromPrivate(ephemeral).getEncoded(false);
            sharedX = point(recipientPublicKey).multiply(ephemeral).normalize().getAffineXCoord().getEncoded();
        }
        byte[] key = kdf(sharedX, ephemeralPub, context);
        byte[] nonce = new byte[12];
        RANDOM.nextBytes(nonce);
        return new Sealed(HEX.formatHex(ephemeralPub), HEX.formatHex(nonce), HEX.formatHex(gcm(Cipher.ENCRYPT_MODE, key, nonce, context, secret)));
    }

    /** Opens a sealed secret with the recipient's key; throws {@link IllegalArgumentException} when it was not sealed to it (or was altered). */
    public static byte[] open(Sealed sealed, EthAccount recipient, String context) {
        try {
            byte[] ephemeralPub = HEX.parseHex(sealed.ephemeralKey());
            ECPoint eph = CURVE.decodePoint(ephemeralPub);
            byte[] sharedX;
            if (NativeSignatureVerifier.available()) {
                byte[] shared = Secp256k1.Companion.get().pubKeyTweakMul(eph.getEncoded(false), scalar(new BigInteger(1, recipient.privateKeyBytes())));
                sharedX = Arrays.copyOfRange(uncompressed(shared), 1, 33);
            } else {
                sharedX = eph.multiply(new BigInteger(1, recipient.privateKeyBytes())).normalize().getAffineXCoord().getEncoded();
            }
            byte[] key = kdf(sharedX, ephemeralPub, context);
            return gcm(Cipher.DECRYPT_MODE, key, HEX.parseHex(sealed.nonce()), context, HEX.parseHex(sealed.ciphertext()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the sealed key cannot be opened with this node's key: " + e.getMessage(), e);
        }
    }

    private static byte[] scalar(BigInteger k) {
        byte[] raw = k.toByteArray();
        byte[] out = new byte[32];
        int len = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - len, out, 32 - len, len);
        return out;
    }

    private static byte[] uncompressed(byte[] pub) {
        return pub.length == 65 ? pub : Secp256k1.Companion.get().pubkeyParse(pub);
    }

    private static ECPoint point(BigInteger publicKey) {
        byte[] raw = publicKey.toByteArray();
        byte[] enc = new byte[65];
        enc[0] = 0x04;
        int len = Math.min(raw.length, 64);
        System.arraycopy(raw, raw.length - len, enc, 65 - len, len);
        return CURVE.decodePoint(enc);
    }

    private static byte[] kdf(byte[] sharedX, byte[] ephemeralPub, String context) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("aleph4j-keyseal\0".getBytes(StandardCharsets.UTF_8));
            d.update(context.getBytes(StandardCharsets.UTF_8));
            d.update((byte) 0);
            d.update(sharedX);
            d.update(ephemeralPub);
            return d.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] gcm(int mode, byte[] key, byte[] nonce, String context, byte[] input) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("AES-GCM " + (mode == Cipher.ENCRYPT_MODE ? "sealing" : "opening") + " failed", e);
        }
    }
}
