package io.keyhold.kms.aws.internal;

import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import software.amazon.awssdk.services.kms.model.KeyManagerType;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.MultiRegionKeyType;
import software.amazon.awssdk.services.kms.model.OriginType;

/** A DescribeKey answer as the SPI's {@link KeyInfo}. */
public final class KeyDescriptions {
    public static final String SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";

    private KeyDescriptions() {
    }

    /**
     * {@code keyId} is the key's ARN (an alias resolves to its target's). {@code currentVersion} is,
     * for an alias, the target key's ARN (what {@code generate} puts in the KEK reference, so a moved
     * alias shows as a new version); for a key ARN, AWS's {@code CurrentKeyMaterialId}, which changes
     * when the key material rotates ("" where AWS gives none).
     */
    public static KeyInfo info(KeyArn ref, KeyMetadata m) {
        String version = ref.alias() ? m.arn() : nullToEmpty(m.currentKeyMaterialId());
        return new KeyInfo(m.arn(), state(m.keyState()), nullToEmpty(m.keySpecAsString()), KeyArn.parse(m.arn()).region(), version, rotatable(m),
                m.creationDate(), m.deletionDate());
    }

    /**
     * AWS's key states in the SPI's terms. {@code Unavailable} (its custom key store is disconnected)
     * and {@code PendingImport} (imported material missing or expired) refuse every use until the
     * customer acts: disabled. {@code Creating} and {@code Updating} pass: enabled.
     */
    public static KeyState state(software.amazon.awssdk.services.kms.model.KeyState s) {
        if (s == null) {
            return KeyState.DISABLED;
        }
        switch (s) {
            case ENABLED:
            case CREATING:
            case UPDATING:
                return KeyState.ENABLED;
            case PENDING_DELETION:
            case PENDING_REPLICA_DELETION:
                return KeyState.PENDING_DELETION;
            default:
                return KeyState.DISABLED;
        }
    }

    /** What RotateKeyOnDemand accepts: a customer-managed symmetric key with AWS-made material, and for multi-Region keys the primary. */
    static boolean rotatable(KeyMetadata m) {
        boolean multiRegionReplica = Boolean.TRUE.equals(m.multiRegion()) && m.multiRegionConfiguration() != null
                && m.multiRegionConfiguration().multiRegionKeyType() != MultiRegionKeyType.PRIMARY;
        return SYMMETRIC_DEFAULT.equals(m.keySpecAsString()) && m.origin() == OriginType.AWS_KMS && m.customKeyStoreId() == null
                && m.keyManager() == KeyManagerType.CUSTOMER && !multiRegionReplica;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
