package io.keyhold.embedded;

import io.keyhold.kms.Kms;

/** Where a cluster's KMS connection and key come from (the control plane knows; the runtime asks). */
@FunctionalInterface
public interface ClusterKeys {
    /** The KMS and KEK id a cluster's proxy encrypts with; the runtime does not close the {@link Kms}. */
    record ClusterKey(Kms kms, String kekId) {
    }

    /**
     * @param kmsKind  the KMS provider kind the cluster was created with (null: automatic encryption)
     * @param kmsKeyId the key's id inside that KMS (null: automatic encryption)
     */
    ClusterKey keyFor(String clusterId, String kmsKind, String kmsKeyId);
}
