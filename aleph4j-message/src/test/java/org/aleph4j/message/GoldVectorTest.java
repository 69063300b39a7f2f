package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.aleph4j.message.content.PostContent;
import org.junit.jupiter.api.Test;

class GoldVectorTest {
    static Path corpus() {
        return Corpus.root();
    }

    @Test
    void pyalephGoldVectorVerifiesWithBothVerifiers() throws Exception {
        JsonNode file = Json.MAPPER.readTree(Files.readString(
                corpus().resolve("extracted_from_test_code/aleph-im+pyaleph/tests__chains__test_evm.messages.json")));
        JsonNode msg = file.get(0).get("message");
        MessageValidator.Validated v = new MessageValidator(new JavaSignatureVerifier()).validate(msg);
        assertThat(v.content()).isInstanceOf(PostContent.class);
        assertThat(NativeSignatureVerifier.available()).isTrue();
        new MessageValidator(new NativeSignatureVerifier()).validate(msg);
    }

    /** Replaces the character at {@code i} with a different hex digit (not a case change, which is no change for hex). */
    static String flip(String s, int i) {
        char c = Character.toLowerCase(s.charAt(i));
        char d = c == '0' ? '1' : '0';
        return s.substring(0, i) + d + s.substring(i + 1);
    }

    @Test
    void changingAnyHexDigitOfTheGoldSignatureSenderOrItemHashBreaksVerification() throws Exception {
        JsonNode file = Json.MAPPER.readTree(Files.readString(
                corpus().resolve("extracted_from_test_code/aleph-im+pyaleph/tests__chains__test_evm.messages.json")));
        AlephMessage m = MessageValidator.parseEnvelope(file.get(0).get("message"));
        SignatureVerifier native_ = new NativeSignatureVerifier();
        SignatureVerifier java = new JavaSignatureVerifier();
        assertThat(native_.verify(m)).isTrue();
        assertThat(java.verify(m)).isTrue();
        int checked = 0;
        for (int i = 2; i < m.signature().length(); i++) {
            AlephMessage bad = m.withSignature(flip(m.signature(), i));
            assertThat(native_.verify(bad)).as("signature digit %d", i).isFalse();
            checked++;
        }
        for (int i = 2; i < m.sender().length(); i++) {
            AlephMessage bad = new AlephMessage(m.chain(), flip(m.sender(), i), m.type(), m.channel(), m.itemType(),
                    m.itemContent(), m.itemHash(), m.hashType(), m.time(), m.signature(), null, null, null, null, null);
            assertThat(native_.verify(bad)).as("sender digit %d", i).isFalse();
            checked++;
        }
        for (int i = 0; i < m.itemHash().length(); i++) {
            AlephMessage bad = new AlephMessage(m.chain(), m.sender(), m.type(), m.channel(), m.itemType(),
                    m.itemContent(), flip(m.itemHash(), i), m.hashType(), m.time(), m.signature(), null, null, null, null, null);
            assertThat(native_.verify(bad)).as("item_hash digit %d", i).isFalse();
            // The validator reports the edited hash as a content mismatch before it looks at the signature.
            checked++;
        }
        assertThat(checked).isEqualTo(130 + 40 + 64);
        // pyaleph's test_verify_bad_evm_signature: signature "baba" is rejected, as error 1.
        assertThatThrownBy(() -> new MessageValidator(java).checkSignature(m.withSignature("baba")))
                .isInstanceOfSatisfying(MessageException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_SIGNATURE));
    }

    @Test
    void upstreamsLenientSignatureFormsVerify() throws Exception {
        JsonNode file = Json.MAPPER.readTree(Files.readString(
                corpus().resolve("extracted_from_test_code/aleph-im+pyaleph/tests__chains__test_evm.messages.json")));
        AlephMessage m = MessageValidator.parseEnvelope(file.get(0).get("message"));
        String hex = m.signature().substring(2);
        int v = Integer.parseInt(hex.substring(128), 16);
        String recid = String.format("%02x", v - 27);
        SignatureVerifier verifier = SignatureVerifier.best();
        assertThat(verifier.verify(m.withSignature(hex))).as("no 0x").isTrue();
        assertThat(verifier.verify(m.withSignature("0x" + hex.toUpperCase()))).as("upper case").isTrue();
        assertThat(verifier.verify(m.withSignature("0x" + hex.substring(0, 128) + recid))).as("v in {0,1}").isTrue();
        assertThat(verifier.verify(m.withSignature("0x" + hex.substring(0, 128)))).as("64 bytes, no v").isFalse();
        assertThat(verifier.verify(new AlephMessage(m.chain(), m.sender().toLowerCase(), m.type(), m.channel(), m.itemType(),
                m.itemContent(), m.itemHash(), null, m.time(), m.signature(), null, null, null, null, null)))
                .as("the sender is part of the signed text, so re-spelling it breaks the signature").isFalse();
    }

    @Test
    void builtMessagesVerifyAndPythonFloatsAreWritten() throws Exception {
        EthAccount account = EthAccount.generate(new SecureRandom());
        PostContent content = new PostContent(account.address(), 1700000000.0, Json.MAPPER.readTree("{\"a\":1.50,\"é\":\"ü\"}"), "test", null);
        AlephMessage m = MessageBuilder.build(account, MessageType.POST, content, null, 1700000000.5);
        assertThat(m.itemContent()).isEqualTo("{\"address\":\"" + account.address()
                + "\",\"time\":1700000000.0,\"content\":{\"a\":1.50,\"\\u00e9\":\"\\u00fc\"},\"type\":\"test\"}");
        new MessageValidator(SignatureVerifier.best()).validate(m.toJson());
        assertThat(Json.pythonRepr(1e16)).isEqualTo("1e+16");
        assertThat(Json.pythonRepr(1e-5)).isEqualTo("1e-05");
        assertThat(Json.pythonRepr(0.0001)).isEqualTo("0.0001");
        assertThat(Json.pythonRepr(1757026128.773)).isEqualTo("1757026128.773");
    }
}
