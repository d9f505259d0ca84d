package io.keyhold.crypto;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.concurrent.CompletionStage;

/**
 * Record DEKs from the cluster's keys instead of the KMS: a new DEK is derived from the current cluster
 * key under a fresh random id ({@link ClusterKey#derive}); its envelope names the CK (KEK provider
 * {@value ClusterKey#PROVIDER}, key id = CK id) and carries the 12-byte DEK id where a KMS's EDEK
 * would be, in the compact layout (envelope version 2; version 1 envelopes with 8-byte ids are still read). Opening an envelope derives the DEK again from the CK it names. Envelopes under any
 * other KEK (records written before cluster keys) go to {@code kms}, as before.
 */
public final class ClusterKeyDeks implements DekSource, DekUnwrapper {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Where cluster keys come from; both stages complete off the caller's thread or at once, never blocking it. */
    public interface Keyring {
        /** The CK new DEKs are derived from (exceptionally: the KMS's refusal, the key topic unreachable). */
        CompletionStage<ClusterKey> current();

        /** The CK with this id; exceptionally with a {@link CryptoException} when this cluster has none. */
        CompletionStage<ClusterKey> byId(String id);

        /** A keyring of one CK, which the caller keeps owning (benchmarks, tests): any other id is unknown. */
        static Keyring of(ClusterKey key) {
            Objects.requireNonNull(key, "key");
            return new Keyring() {
                @Override
                public CompletionStage<ClusterKey> current() {
                    return java.util.concurrent.CompletableFuture.completedFuture(key);
                }

                @Override
                public CompletionStage<ClusterKey> byId(String id) {
                    return key.id().equals(id) ? java.util.concurrent.CompletableFuture.completedFuture(key)
                            : java.util.concurrent.CompletableFuture.failedFuture(new CryptoException("no cluster key '" + id + "'"));
                }
            };
        }
    }

    private final Keyring keyring;
    private final DekUnwrapper kms;

    public ClusterKeyDeks(Keyring keyring, DekUnwrapper kms) {
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.kms = Objects.requireNonNull(kms, "kms");
    }

    /** {@code kekId} (the cluster's KMS key) is not used: the current CK is wrapped under it. */
    @Override
    public CompletionStage<GeneratedDek> generate(String kekId, EncryptionContext context) {
        return keyring.current().thenApply(ck -> {
            // A 12-byte id: the envelope is written in the compact layout (CompactEnvelope).
            byte[] dekId = new byte[ClusterKey.COMPACT_DEK_ID_LENGTH];
            RANDOM.nextBytes(dekId);
            return new GeneratedDek(ck.derive(context, dekId), ck.kekRef(), dekId);
        });
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
        if (!ClusterKey.PROVIDER.equals(kek.provider())) {
            return kms.unwrap(kek, edek, context);
        }
        try {
            ClusterKey.checkId(kek.keyId());
        } catch (IllegalArgumentException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(new CryptoException("the envelope names no valid cluster key"));
        }
        byte[] dekId = edek.clone();
        return keyring.byId(kek.keyId()).thenApply(ck -> ck.derive(context, dekId));
    }
}
