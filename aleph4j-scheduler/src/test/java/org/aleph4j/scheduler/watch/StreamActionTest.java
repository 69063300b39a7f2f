package org.aleph4j.scheduler.watch;

import org.aleph4j.message.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StreamActionTest {
    static final String A = "a".repeat(64);
    static final String B = "b".repeat(64);

    static List<StreamAction> of(String json) throws Exception {
        return StreamAction.of(Json.MAPPER.readTree(json));
    }

    static String program(String hash, boolean persistent, String replaces) {
        return "{\"type\":\"PROGRAM\",\"item_hash\":\"" + hash + "\",\"time\":10.5,\"content\":{\"address\":\"0x1\",\"time\":10.5,"
                + "\"resources\":{\"vcpus\":2,\"memory\":4096},\"runtime\":{\"ref\":\"" + B + "\"},"
                + (replaces == null ? "" : "\"replaces\":\"" + replaces + "\",")
                + "\"on\":{\"http\":true,\"persistent\":" + persistent + "}}}";
    }

    @Test
    void aProcessedPersistentProgramIsRegisteredWithItsResources() throws Exception {
        assertThat(of(program(A, true, null))).singleElement().isInstanceOfSatisfying(StreamAction.Add.class, add -> {
            assertThat(add.program().itemHash()).isEqualTo(A);
            assertThat(add.program().vcpus()).isEqualTo(2);
            assertThat(add.program().memoryMib()).isEqualTo(4096);
            assertThat(add.program().runtime()).isEqualTo(B);
            assertThat(add.program().createdMs()).isEqualTo(10_500);
        });
        assertThat(of(program(A, false, null))).isEmpty();
    }

    @Test
    void aReplacementRemovesTheReplacedProgramAndRegistersItselfOnlyWhenPersistent() throws Exception {
        assertThat(of(program(A, false, B))).containsExactly(new StreamAction.Remove(B, "replaced by " + A + " (unpersisted)"));
        List<StreamAction> persist = of(program(A, true, B));
        assertThat(persist).hasSize(2);
        assertThat(persist.get(0)).isEqualTo(new StreamAction.Remove(B, "replaced by " + A));
        assertThat(persist.get(1)).isInstanceOf(StreamAction.Add.class);
    }

    @Test
    void forgetsAndTerminalStatusFramesRemove() throws Exception {
        assertThat(of("{\"type\":\"FORGET\",\"item_hash\":\"" + B + "\",\"content\":{\"hashes\":[\"" + A + "\"]}}"))
                .containsExactly(new StreamAction.Remove(A, "forgotten by " + B));
        assertThat(of("{\"type\":\"PROGRAM\",\"item_hash\":\"" + A + "\",\"status\":\"removing\"}"))
                .singleElement().satisfies(a -> assertThat(((StreamAction.Remove) a).reason()).startsWith(StreamAction.REMOVING));
        assertThat(of("{\"type\":\"PROGRAM\",\"item_hash\":\"" + A + "\",\"status\":\"forgotten\"}"))
                .containsExactly(new StreamAction.Remove(A, "message forgotten at the CCN"));
        assertThat(of("{\"type\":\"PROGRAM\",\"item_hash\":\"" + A + "\",\"status\":\"pending\"}")).isEmpty();
    }
}
