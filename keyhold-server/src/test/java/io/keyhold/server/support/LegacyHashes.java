package io.keyhold.server.support;

/**
 * API secrets and the hashes that versions before HMAC-SHA-256 hashing stored for them
 * (PBKDF2-HMAC-SHA512, 210,000 iterations), produced by that code: what databases created by those
 * versions hold in {@code api_keys.secret_hash}.
 */
public final class LegacyHashes {
    public static final String BOOTSTRAP_SECRET = "legacyBootstrapSecret0123456789abcdefXYZ";
    public static final String BOOTSTRAP_HASH = "pbkdf2-sha512$210000$EDaOtBzemnIyVSNHVkHKCA$"
            + "K46GdaozKQTJeGavEmPvkG2C9EnkpiPguCM1F9V9H664J9nMjS1/zhZ52xg5m1kN1SDx5YbFmP+INMSi9RGchA";
    public static final String OTHER_SECRET = "second-org-secret-legacy-0123456789abcdef";
    public static final String OTHER_HASH = "pbkdf2-sha512$210000$azw0uAeTN+Ln4VWAI2VSSA$"
            + "89XHRX9tRwoCdDPGQoEGQeCYczpZivnz/ivkiXOq7KlI64+CgT4M9MFmUKNq83vxDb4RdymSmwwi4hVzCGrVHw";

    private LegacyHashes() {
    }
}
