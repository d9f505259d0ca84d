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
    }

    @Test
    void sweepForgetsEndedWindowsOnlyAndAForgottenCallerStartsAfresh() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        RateLimiter limiter = new RateLimiter(2, 60_000, clock);
        for (int i = 0; i < 100; i++) {
            limiter.acquire("gone-" + i);
        }
        clock.advance(Duration.ofSeconds(30));
        limiter.acquire("recent");
        limiter.acquire("recent");
        assertThat(limiter.trackedCallers()).isEqualTo(101);
        clock.advance(Duration.ofSeconds(30)); // the first hundred windows end; "recent" has 30 s left
        limiter.sweep();
        assertThat(limiter.trackedCallers()).as("ended windows dropped, the current one kept").isEqualTo(1);
        RateLimiter.Decision stillSpent = limiter.acquire("recent");
        assertThat(stillSpent.allowed()).as("a sweep never refills a current window").isFalse();
        assertThat(stillSpent.resetSeconds()).isEqualTo(30);
        assertThat(limiter.acquire("gone-0").remaining()).as("a swept caller starts a new window").isEqualTo(1);
        clock.advance(Duration.ofSeconds(30));
        limiter.sweep();
        assertThat(limiter.trackedCallers()).as("gone-0's new window is 30 s old").isEqualTo(1);
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
