package org.aleph4j.message;

import java.nio.charset.StandardCharsets;

/**
 * Verifies EIP-191 signatures by recovering the signer's address. Implementations: native
 * libsecp256k1 ({@link NativeSignatureVerifier}) and pure Java ({@link JavaSignatureVerifier}).
 */
public interface SignatureVerifier {
    /**
     * The lowercase 0x address that signed the EIP-191 hash, or null when the signature is malformed
     * or recovers no key.
     */
    String recover(byte[] eip191Hash, byte[] signature65);

    String name();

    /** True when {@code signature} over {@code buffer} was made by {@code address} (case-insensitive). */
    default boolean verify(String buffer, String signature, String address) {
        byte[] sig = Signatures.parse(signature);
        if (sig == null || address == null) return false;
        String recovered = recover(Signatures.eip191Hash(buffer.getBytes(StandardCharsets.UTF_8)), sig);
        return recovered != null && recovered.equalsIgnoreCase(address);
    }

    /** True when the message's signature was made by its sender. Only EVM chains are supported. */
    default boolean verify(AlephMessage message) {
        return message.chain() != null && message.chain().isEvm()
                && verify(message.verificationBuffer(), message.signature(), message.sender());
    }

    /** The fastest verifier that works here: native when libsecp256k1 loads, else pure Java. */
    static SignatureVerifier best() {
        return NativeSignatureVerifier.available() ? new NativeSignatureVerifier() : new JavaSignatureVerifier();
    }
}
