package io.keyhold.kms;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link ResilientKms} bounds each KMS call: a timeout per attempt, at most {@code maxAttempts}
 * attempts for retriable errors, exponential backoff with full jitter between them.
 */
public record RetryPolicy(Duration callTimeout, int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
    /** 10 s per attempt, 4 attempts, backoff from 100 ms up to 2 s. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(Duration.ofSeconds(10), 4, Duration.ofMillis(100), Duration.ofSeconds(2));

    public RetryPolicy {
        Objects.requireNonNull(callTimeout, "callTimeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (callTimeout.isZero() || callTimeout.isNegative()) {
            throw new IllegalArgumentException("callTimeout must be positive");
        }
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new IllegalArgumentException("maxAttempts must be 1..20, got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= initialBackoff <= maxBackoff");
        }
    }

    /** The longest sleep before attempt {@code attempt} (1-based; attempt 2 is the first retry). */
    Duration backoffCeiling(int attempt) {
        long base = initialBackoff.toNanos();
        long ceiling = base << Math.min(attempt - 2, 30);
        if (ceiling < 0 || ceiling > maxBackoff.toNanos()) {
            ceiling = maxBackoff.toNanos();
        }
        return Duration.ofNanos(ceiling);
    }
}
