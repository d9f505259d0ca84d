package io.keyhold.kms;

import java.time.Instant;
import java.util.Objects;

/**
 * A key as its KMS describes it.
 *
 * @param keyId          the key's stable identity in its KMS: what a reference resolves to (an AWS
 *                       alias becomes its target key's ARN; an Azure key URL stays versionless).
 *                       Two references with the same identity are the same key
 * @param state          lifecycle state
 * @param algorithm      e.g. {@code AES-256-GCM}, {@code SYMMETRIC_DEFAULT}
 * @param region         where the key lives ({@code local} for the embedded KMS), or {@link #UNKNOWN_REGION}
 *                       when the KMS does not say (Azure Key Vault's data plane)
 * @param currentVersion the version new DEKs are wrapped under ("" when the KMS has no versions); a
 *                       change means the key rotated, or the alias moved
 * @param rotatable      whether {@link Kms#rotate} works for this key
 * @param createdAt      creation time, or null when unknown
 * @param deletionDate   when a key scheduled for deletion will be destroyed, or null
 */
public record KeyInfo(String keyId, KeyState state, String algorithm, String region, String currentVersion,
                      boolean rotatable, Instant createdAt, Instant deletionDate) {
    /** The region of a key whose KMS does not report where it lives: nothing can be compared with it. */
    public static final String UNKNOWN_REGION = "unknown";

    public KeyInfo {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(currentVersion, "currentVersion");
    }
}
