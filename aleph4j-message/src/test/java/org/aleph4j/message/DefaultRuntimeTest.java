package org.aleph4j.message;

import static org.assertj.core.api.Assertions.assertThat;

import org.aleph4j.message.runtime.DefaultRuntime;
import org.junit.jupiter.api.Test;

class DefaultRuntimeTest {
    @Test
    void runtimeStoreIsDeterministicAndValid() throws Exception {
        AlephMessage a = DefaultRuntime.storeMessage();
        AlephMessage b = DefaultRuntime.storeMessage();
        assertThat(a).isEqualTo(b);
        assertThat(DefaultRuntime.ref()).isEqualTo(a.itemHash()).hasSize(64);
        new MessageValidator(SignatureVerifier.best()).validate(a.toJson());
        System.out.println("default runtime ref " + DefaultRuntime.ref());
    }
}
