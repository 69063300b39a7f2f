package org.aleph4j.scheduler.api;

import org.aleph4j.message.EthAccount;
import org.aleph4j.message.SignatureVerifier;
import org.aleph4j.message.Signatures;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;

import static org.assertj.core.api.Assertions.assertThat;

class AnswerSignerTest {
    @Test
    void nativeAnswerSignaturesRecoverToTheSchedulersAddressAndEqualWeb3jsDeterministicOnes() {
        SecureRandom random = new SecureRandom();
        EthAccount key = EthAccount.generate(random);
        AnswerSigner signer = new AnswerSigner(key);
        SignatureVerifier pure = new org.aleph4j.message.JavaSignatureVerifier();
        for (int i = 0; i < 50; i++) {
            byte[] message = new byte[1 + random.nextInt(800)];
            random.nextBytes(message);
            String sig = signer.sign(message);
            assertThat(pure.recover(Signatures.eip191Hash(message), Signatures.parse(sig))).isEqualToIgnoringCase(key.address());
            assertThat(sig).isEqualTo(key.signEip191(message)); // RFC 6979 and low S on both paths
        }
    }
}
