package org.aleph4j.crn.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;
import org.aleph4j.crn.CrnException;
import org.junit.jupiter.api.Test;

class GuestCacheTest {
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    final InstantSource clock = () -> now.get();
    final GuestCache cache = new GuestCache(new GuestCache.Limits(100, 3, 250, 400, Duration.ofDays(7)), clock);

    static int status(Runnable r) {
        try {
            r.run();
            return 200;
        } catch (CrnException e) {
            return e.status();
        }
    }

    @Test
    void programsHaveSeparateNamespaces() {
        cache.put("a", "k", "1".getBytes());
        assertThat(cache.get("b", "k")).isNull();
        cache.put("b", "k", "2".getBytes());
        assertThat(new String(cache.get("a", "k"))).isEqualTo("1");
        assertThat(cache.delete("b", "k")).isEqualTo(1);
        assertThat(cache.delete("b", "k")).isZero();
        assertThat(new String(cache.get("a", "k"))).isEqualTo("1");
    }

    @Test
    void entriesExpireAfterTheirTtlAndFreeTheirBytes() {
        cache.put("a", "k", new byte[50]);
        assertThat(cache.bytes()).isEqualTo(51);
        now.set(now.get().plus(Duration.ofDays(7)));
        assertThat(cache.get("a", "k")).isNull();
        assertThat(cache.bytes()).isZero();
    }

    @Test
    void valueKeyCountProgramAndNodeBoundsAreRefused() {
        assertThat(status(() -> cache.put("a", "big", new byte[101]))).isEqualTo(413);
        cache.put("a", "k1", new byte[100]);
        cache.put("a", "k2", new byte[100]);
        assertThat(status(() -> cache.put("a", "k3", new byte[100]))).isEqualTo(413); // 250 bytes a program
        cache.put("a", "k3", new byte[1]);
        assertThat(status(() -> cache.put("a", "k4", new byte[1]))).isEqualTo(413); // 3 keys
        cache.put("a", "k1", new byte[10]); // replacing counts the difference
        cache.put("b", "k1", new byte[100]);
        cache.put("b", "k2", new byte[100]);
        assertThat(status(() -> cache.put("c", "k1", new byte[100]))).isEqualTo(507); // 400 bytes a node
        assertThat(cache.bytes()).isLessThanOrEqualTo(400);
    }

    @Test
    void keysAndPatternsAreUpstreamsWordCharactersOnly() {
        for (String bad : new String[] {"", "a:b", "../x", "a b", "é", "k".repeat(257)}) {
            assertThat(status(() -> cache.put("a", bad, new byte[1]))).as(bad).isEqualTo(400);
        }
        cache.put("a", "user_1", new byte[1]);
        cache.put("a", "user_2", new byte[1]);
        cache.put("a", "other", new byte[1]);
        assertThat(cache.keys("a", "user_?")).containsExactly("user_1", "user_2");
        assertThat(cache.keys("a", "*")).hasSize(3);
        assertThat(cache.keys("a", "u-^*")).isEmpty();
        assertThatThrownBy(() -> cache.keys("a", "[a]")).isInstanceOf(CrnException.class);
        assertThatThrownBy(() -> cache.keys("a", ".*")).isInstanceOf(CrnException.class);
    }
}
