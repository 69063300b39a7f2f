package org.aleph4j.scheduler.api;

import fr.acinq.secp256k1.Secp256k1;
import org.aleph4j.message.EthAccount;
import org.aleph4j.message.NativeSignatureVerifier;
import org.aleph4j.message.Signatures;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Signs heartbeat answers EIP-191 with the scheduler's key through libsecp256k1 when it loads (RFC 6979
 * nonces and low S, like web3j's signatures, some ten times cheaper), else through {@link EthAccount}.
 * Every signed heartbeat, and every session opening, costs one answer signature.
 */
final class AnswerSigner {
    private final EthAccount key;
    private final byte[] publicKey;

    AnswerSigner(EthAccount key) {
        this.key = key;
        this.publicKey = NativeSignatureVerifier.available() ? uncompressed(Secp256k1.Companion.get().pubkeyCreate(key.privateKeyBytes())) : null;
    }

    /** {@code 0x} + r ‖ s ‖ v (v = 27 or 28) over the EIP-191 hash of {@code message}. */
    String sign(byte[] message) {
        if (publicKey == null) return key.signEip191(message);
        Secp256k1 secp = Secp256k1.Companion.get();
        byte[] hash = Signatures.eip191Hash(message);
        byte[] compact = secp.sign(hash, key.privateKeyBytes());
        for (int recid = 0; recid < 2; recid++) {
            if (Arrays.equals(uncompressed(secp.ecdsaRecover(compact, hash, recid)), publicKey)) {
                byte[] out = Arrays.copyOf(compact, 65);
                out[64] = (byte) (27 + recid);
                return "0x" + HexFormat.of().formatHex(out);
            }
        }
        return key.signEip191(message); // cannot happen for a valid signature; the slow path is still right
    }

    private static byte[] uncompressed(byte[] pub) {
        return pub.length == 65 ? pub : Secp256k1.Companion.get().pubkeyParse(pub);
    }
}
