package io.keyhold.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.server.internal.auth.SecretHasher;
import io.keyhold.server.internal.http.RateLimiter;
import io.keyhold.server.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SecurityPrimitivesTest {
    @Test
    void secretsAreSlowSaltedHashes() {
        String a = SecretHasher.hash("s3cret");
        String b = SecretHasher.hash("s3cret");
        assertThat(a).startsWith("pbkdf2-sha512$" + SecretHasher.ITERATIONS + "$").doesNotContain("s3cret").isNotEqualTo(b);
        assertThat(SecretHasher.verify("s3cret", a)).isTrue();
        assertThat(SecretHasher.verify("s3cret", b)).isTrue();
        assertThat(SecretHasher.verify("s3cres", a)).isFalse();
        assertThat(SecretHasher.verify("s3cret", "plain")).isFalse();
    }

    @Test
    void fixedWindowRateLimit() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        RateLimiter limiter = new RateLimiter(3, 60_000, clock);
        assertThat(limiter.acquire("a").remaining()).isEqualTo(2);
        assertThat(limiter.acquire("a").remaining()).isEqualTo(1);
        assertThat(limiter.acquire("a").allowed()).isTrue();
        RateLimiter.Decision denied = limiter.acquire("a");
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.resetSeconds()).isEqualTo(60);
        assertThat(limiter.acquire("b").allowed()).isTrue();
        clock.advance(Duration.ofSeconds(45));
        assertThat(limiter.acquire("a").resetSeconds()).isEqualTo(15);
        clock.advance(Duration.ofSeconds(15));
        assertThat(limiter.acquire("a").allowed()).isTrue();
        limiter.sweep();
    }
}
