package org.aleph4j.message;

import java.math.BigInteger;
import java.util.Arrays;
import org.web3j.crypto.ECDSASignature;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;

/** Pure-Java recovery through web3j (BouncyCastle); the fallback where the native library cannot load. */
public final class JavaSignatureVerifier implements SignatureVerifier {
    @Override
    public String recover(byte[] hash, byte[] sig) {
        try {
            BigInteger r = new BigInteger(1, Arrays.copyOfRange(sig, 0, 32));
            BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
            BigInteger key = Sign.recoverFromSignature(sig[64], new ECDSASignature(r, s), hash);
            return key == null ? null : "0x" + Keys.getAddress(key);
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public String name() {
        return "java";
    }
}
