package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Sign;

/** The native (libsecp256k1) and pure-Java verifiers recover the same address, or both nothing. */
class VerifierAgreementTest {
    private final NativeSignatureVerifier nativeVerifier = new NativeSignatureVerifier();
    private final JavaSignatureVerifier javaVerifier = new JavaSignatureVerifier();

    @Test
    void theNativeLibraryLoadsOnThisMachine() {
        assertThat(NativeSignatureVerifier.available()).isTrue();
        assertThat(SignatureVerifier.best().name()).isEqualTo("native");
    }

    @Provide
    Arbitrary<EthAccount> accounts() {
        return Arbitraries.bigIntegers().between(BigInteger.ONE, Sign.CURVE_PARAMS.getN().subtract(BigInteger.ONE))
                .map(d -> EthAccount.fromPrivateKey(SigningPropertiesTest.toBytes32(d)));
    }

    @Property(tries = 100)
    void bothRecoverTheSignerOfARealSignature(@ForAll("accounts") EthAccount account, @ForAll String text) {
        String sig = account.signEip191(text);
        byte[] hash = Signatures.eip191Hash(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] raw = Signatures.parse(sig);
        String a = nativeVerifier.recover(hash, raw);
        String b = javaVerifier.recover(hash, raw);
        assertThat(a).isEqualTo(b).isEqualToIgnoringCase(account.address());
    }

    @Property(tries = 200)
    void bothAgreeOnRandomBytes(@ForAll @Size(32) byte[] hash, @ForAll @Size(65) byte[] sig) {
        sig[64] = (byte) (sig[64] & 1);
        assertThat(nativeVerifier.recover(hash, sig)).isEqualTo(javaVerifier.recover(hash, sig));
    }
}
