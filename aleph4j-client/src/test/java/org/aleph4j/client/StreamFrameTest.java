package org.aleph4j.client;

import org.aleph4j.message.Json;
import org.aleph4j.message.MessageStatus;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class StreamFrameTest {
    static StreamFrame of(String json) throws Exception {
        return StreamFrame.of(Json.MAPPER.readTree(json));
    }

    @Test
    void readsAListedMessageWithItsContentAndDefaultsTheStatusToProcessed() throws Exception {
        StreamFrame f = of("{\"item_hash\":\"abc\",\"type\":\"STORE\",\"sender\":\"0x1\",\"chain\":\"ETH\",\"time\":12.5,"
                + "\"content\":{\"ref\":\"r\"}}");
        assertThat(f.itemHash()).isEqualTo("abc");
        assertThat(f.type()).isEqualTo("STORE");
        assertThat(f.sender()).isEqualTo("0x1");
        assertThat(f.chain()).isEqualTo("ETH");
        assertThat(f.time()).isEqualTo(12.5);
        assertThat(f.status()).isEqualTo(MessageStatus.PROCESSED);
        assertThat(f.statusText()).isEqualTo("processed");
        assertThat(f.content().path("ref").asText()).isEqualTo("r");
    }

    @Test
    void readsTheContentFromItemContentWhenThereIsNoContentObject() throws Exception {
        StreamFrame f = of("{\"item_hash\":\"abc\",\"item_content\":\"{\\\"hashes\\\":[\\\"x\\\"]}\"}");
        assertThat(f.content().path("hashes").get(0).asText()).isEqualTo("x");
        assertThat(of("{\"item_hash\":\"abc\",\"item_content\":\"not json{\"}").content()).isNull();
    }

    @Test
    void readsTheSequenceTheCcnGaveTheChangeAndNothingElseAsOne() throws Exception {
        assertThat(of("{\"item_hash\":\"abc\",\"sequence\":42,\"time\":9e9}").sequence()).isEqualTo(42L);
        assertThat(of("{\"status\":\"forgotten\",\"message\":{\"item_hash\":\"abc\",\"sequence\":7}}").sequence()).isEqualTo(7L);
        assertThat(of("{\"item_hash\":\"abc\"}").sequence()).isNull();
        assertThat(of("{\"item_hash\":\"abc\",\"sequence\":\"42\"}").sequence()).isNull();
        assertThat(of("{\"item_hash\":\"abc\",\"sequence\":4.5}").sequence()).isNull();
        assertThat(of("{\"item_hash\":\"abc\",\"sequence\":1e30}").sequence()).isNull();
    }

    @Test
    void theWrappedFormsOuterStatusWins() throws Exception {
        StreamFrame f = of("{\"status\":\"removing\",\"message\":{\"item_hash\":\"abc\",\"status\":\"processed\"}}");
        assertThat(f.itemHash()).isEqualTo("abc");
        assertThat(f.status()).isEqualTo(MessageStatus.REMOVING);
    }

    @Test
    void missingOrOddFieldsGiveEmptyValuesNotErrors() throws Exception {
        StreamFrame empty = StreamFrame.of(null);
        assertThat(empty.hasHash()).isFalse();
        assertThat(empty.time()).isNull();
        assertThat(empty.content()).isNull();
        StreamFrame odd = of("{\"item_hash\":\"abc\",\"status\":\"exploded\",\"time\":\"soon\",\"content\":[1]}");
        assertThat(odd.status()).isNull();
        assertThat(odd.statusText()).isEqualTo("exploded");
        assertThat(odd.time()).isNull();
        assertThat(odd.content()).isNull();
    }
}
