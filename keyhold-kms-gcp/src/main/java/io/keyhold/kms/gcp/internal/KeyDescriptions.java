package io.keyhold.kms.gcp.internal;

import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.protobuf.Timestamp;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import java.time.Instant;

/** A GetCryptoKey answer as the SPI's {@link KeyInfo}: the key as its primary version lets Keyhold use it. */
public final class KeyDescriptions {
    public static final String SYMMETRIC = "GOOGLE_SYMMETRIC_ENCRYPTION";

    private KeyDescriptions() {
    }

    /**
     * {@code keyId} is the key's name; {@code state} the primary version's; {@code algorithm} the
     * primary version's (else the version template's); {@code region} the key ring's location;
     * {@code currentVersion} the primary version's id ({@code "3"}), which new DEKs name in their
     * KEK reference. A key without a primary version (not an ENCRYPT_DECRYPT key, or one made
     * without versions) is {@code DISABLED}: it cannot encrypt.
     */
    public static KeyInfo info(KeyName ref, CryptoKey key) {
        KeyName name = key.getName().isEmpty() ? ref : KeyName.parse(key.getName());
        boolean hasPrimary = key.hasPrimary() && !key.getPrimary().getName().isEmpty();
        CryptoKeyVersion primary = key.getPrimary();
        String version = hasPrimary ? nullToEmpty(name.versionId(primary.getName())) : "";
        String algorithm = hasPrimary ? primary.getAlgorithm().name()
                : key.hasVersionTemplate() ? key.getVersionTemplate().getAlgorithm().name() : key.getPurpose().name();
        KeyState state = hasPrimary ? state(primary.getState()) : KeyState.DISABLED;
        Instant deletion = hasPrimary && primary.getState() == CryptoKeyVersionState.DESTROY_SCHEDULED && primary.hasDestroyTime()
                ? instant(primary.getDestroyTime()) : null;
        return new KeyInfo(name.name(), state, algorithm, name.location(), version, key.getPurpose() == CryptoKeyPurpose.ENCRYPT_DECRYPT,
                key.hasCreateTime() ? instant(key.getCreateTime()) : null, deletion);
    }

    /**
     * A version's state in the SPI's terms. {@code PENDING_GENERATION} (a new HSM version, for
     * seconds) passes as enabled; import and generation failures and pending imports refuse every
     * use until the customer acts: disabled.
     */
    public static KeyState state(CryptoKeyVersionState s) {
        switch (s) {
            case ENABLED:
            case PENDING_GENERATION:
                return KeyState.ENABLED;
            case DESTROY_SCHEDULED:
                return KeyState.PENDING_DELETION;
            case DESTROYED:
            case PENDING_EXTERNAL_DESTRUCTION:
            case EXTERNAL_DESTRUCTION_FAILED:
                return KeyState.DESTROYED;
            default:
                return KeyState.DISABLED;
        }
    }

    private static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
