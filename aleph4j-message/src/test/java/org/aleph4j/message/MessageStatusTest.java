package org.aleph4j.message;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class MessageStatusTest {
    @Test
    void valuesAreUpstreamsLowercaseStringsAndParseBack() {
        assertThat(Arrays.stream(MessageStatus.values()).map(MessageStatus::value))
                .containsExactly("pending", "processed", "rejected", "forgotten", "removing", "removed");
        for (MessageStatus s : MessageStatus.values()) assertThat(MessageStatus.parse(s.value())).contains(s);
    }

    @Test
    void unknownBlankOrDifferentlyCasedStatusesDoNotParse() {
        for (String bad : new String[] {null, "", " ", "PROCESSED", "Processed", "processed ", "deleted"}) {
            assertThat(MessageStatus.parse(bad)).as(String.valueOf(bad)).isEqualTo(Optional.empty());
        }
    }

    @Test
    void serialisesAsItsValueInJson() {
        assertThat(Json.write(MessageStatus.REMOVING)).isEqualTo("\"removing\"");
    }

    @Test
    void predicatesGroupTheStatusesAsTheNodesUseThem() {
        assertThat(EnumSet.allOf(MessageStatus.class).stream().filter(MessageStatus::gone))
                .containsExactlyInAnyOrder(MessageStatus.FORGOTTEN, MessageStatus.REMOVING, MessageStatus.REMOVED);
        assertThat(EnumSet.allOf(MessageStatus.class).stream().filter(MessageStatus::terminal))
                .containsExactlyInAnyOrder(MessageStatus.REJECTED, MessageStatus.FORGOTTEN, MessageStatus.REMOVED);
        assertThat(EnumSet.allOf(MessageStatus.class).stream().filter(MessageStatus::unusable))
                .containsExactlyInAnyOrder(MessageStatus.REJECTED, MessageStatus.FORGOTTEN, MessageStatus.REMOVING,
                        MessageStatus.REMOVED);
        assertThat(EnumSet.allOf(MessageStatus.class).stream().filter(MessageStatus::visible))
                .containsExactlyInAnyOrder(MessageStatus.PROCESSED, MessageStatus.REMOVING);
        assertThat(MessageStatus.PROCESSED.is("processed")).isTrue();
        assertThat(MessageStatus.PROCESSED.is(null)).isFalse();
    }
}
