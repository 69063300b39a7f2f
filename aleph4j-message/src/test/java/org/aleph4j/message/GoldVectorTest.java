package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.aleph4j.message.content.PostContent;
import org.junit.jupiter.api.Test;

class GoldVectorTest {
    static Path corpus() {
        return Path.of(System.getProperty("aleph4j.shared", "../../shared")).resolve("corpus");
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
