package org.aleph4j.message;

import fr.acinq.secp256k1.Secp256k1;
import java.util.Arrays;
import java.util.HexFormat;
import org.web3j.crypto.Hash;

/** Recovery through libsecp256k1 (ACINQ's JNI binding): the hot path on nodes. */
public final class NativeSignatureVerifier implements SignatureVerifier {
    private static final boolean AVAILABLE = probe();

    private static boolean probe() {
        try {
            Secp256k1.Companion.get();
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /** True when the native library loaded on this machine. */
    public static boolean available() {
        return AVAILABLE;
    }

    @Override
    public String recover(byte[] hash, byte[] sig) {
        try {
            byte[] pub = Secp256k1.Companion.get().ecdsaRecover(Arrays.copyOf(sig, 64), hash, sig[64]);
            byte[] uncompressed = pub.length == 65 ? pub : Secp256k1.Companion.get().pubkeyParse(pub);
            byte[] digest = Hash.sha3(Arrays.copyOfRange(uncompressed, 1, 65));
            return "0x" + HexFormat.of().formatHex(digest, 12, 32);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public String name() {
        return "native";
    }
}
