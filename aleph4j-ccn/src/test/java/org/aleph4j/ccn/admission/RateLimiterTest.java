package org.aleph4j.ccn.admission;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final RateLimiter limiter = new RateLimiter(6, nanos::get);

    @Test
    void aBurstOfTheRateIsAllowedThenTheNextWaitsForOneRefill() {
        for (int i = 0; i < 6; i++) assertThat(limiter.tryAcquire("a").allowed()).isTrue();
        RateLimiter.Decision refused = limiter.tryAcquire("a");
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterSeconds()).isEqualTo(10);
        assertThat(limiter.tryAcquire("b").allowed()).isTrue();

        nanos.addAndGet(9_000_000_000L);
        assertThat(limiter.tryAcquire("a").retryAfterSeconds()).isEqualTo(1);
        nanos.addAndGet(1_000_000_000L);
        assertThat(limiter.tryAcquire("a").allowed()).isTrue();
        assertThat(limiter.tryAcquire("a").allowed()).isFalse();
    }

    @Test
    void idleKeysAreForgottenOnceTheirBucketIsFull() {
        for (int i = 0; i <= 10_001; i++) limiter.tryAcquire("k" + i);
        nanos.addAndGet(60_000_000_000L);
        limiter.tryAcquire("fresh");
        assertThat(limiter.trackedKeys()).isLessThanOrEqualTo(1);
    }

    @Test
    void ipv6AddressesCountByTheirSlash64AndLiteralsAreNotResolved() throws Exception {
        assertThat(AddressKey.of(InetAddress.getByName("2001:db8:1:2::1")))
                .isEqualTo(AddressKey.of(InetAddress.getByName("2001:db8:1:2:ffff::9")));
        assertThat(AddressKey.of(InetAddress.getByName("2001:db8:1:3::1")))
                .isNotEqualTo(AddressKey.of(InetAddress.getByName("2001:db8:1:2::1")));
        assertThat(AddressKey.ofLiteral("127.0.0.1")).isEqualTo("127.0.0.1");
        assertThat(AddressKey.ofLiteral("[::1]")).isEqualTo("0000:0000:0000:0000::/64");
        assertThat(AddressKey.ofLiteral("example.com")).isEqualTo("example.com");
    }
}
