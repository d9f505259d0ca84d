package io.keyhold.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.server.internal.http.RateLimiter;
import io.keyhold.server.support.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecurityPrimitivesTest {
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

    @Test
    void acquireAllTakesFromEveryBudgetOrFromNone() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        RateLimiter limiter = new RateLimiter(2, 60_000, clock);
        assertThat(limiter.acquireAll(List.of("a", "b")).remaining()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(30));
        assertThat(limiter.acquireAll(List.of("b", "c")).remaining()).isZero(); // b's budget is the smaller one
        RateLimiter.Decision denied = limiter.acquireAll(List.of("c", "b"));
        assertThat(denied.allowed()).isFalse();
        assertThat(denied.resetSeconds()).as("the wait is that of b, the budget that refused").isEqualTo(30);
        assertThat(limiter.acquire("c").allowed()).as("c lost nothing to the refused acquireAll").isTrue();
        limiter.release("b");
        assertThat(limiter.acquire("b").allowed()).isTrue();
    }
}
