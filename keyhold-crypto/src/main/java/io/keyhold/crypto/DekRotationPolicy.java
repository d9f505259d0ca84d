package io.keyhold.crypto;

import java.time.Duration;
import java.util.Objects;

/**
 * When an encryption DEK is retired and a new one generated: after {@code maxEncryptions} uses or
 * {@code maxAge}, whichever comes first.
 *
 * <p>AES-GCM with 96-bit IVs must not exceed 2^32 encryptions under one key (NIST SP 800-38D), so
 * larger values are refused.
 */
public record DekRotationPolicy(long maxEncryptions, Duration maxAge) {
    /** The hard ceiling on encryptions per DEK. */
    public static final long MAX_ENCRYPTIONS_LIMIT = 1L << 32;

    /** Keyhold's default: 2^24 encryptions or one hour. */
    public static final DekRotationPolicy DEFAULT = new DekRotationPolicy(1L << 24, Duration.ofHours(1));

    public DekRotationPolicy {
        Objects.requireNonNull(maxAge, "maxAge");
        if (maxEncryptions < 1 || maxEncryptions > MAX_ENCRYPTIONS_LIMIT) {
            throw new IllegalArgumentException("maxEncryptions must be 1.." + MAX_ENCRYPTIONS_LIMIT + " (2^32), got " + maxEncryptions);
        }
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maxAge must be positive, got " + maxAge);
        }
    }
}
