package io.keyhold.embedded;

import io.keyhold.kms.Kms;

/** Where a cluster's KMS connection and key come from (the control plane knows; the runtime asks). */
@FunctionalInterface
public interface ClusterKeys {
    /** The KMS and KEK id a cluster's proxy encrypts with; the runtime does not close the {@link Kms}. */
    record ClusterKey(Kms kms, String kekId) {
    }

    /** What a cluster's record says its key is: a KMS provider kind and the key's reference in that KMS. */
    record Binding(String kmsKind, String kmsKeyId) {
    }

    /**
     * @param kmsKind  the KMS provider kind the cluster was created with (null: automatic encryption,
     *                 as recorded before automatic keys were recorded)
     * @param kmsKeyId the key's id inside that KMS (null: likewise)
     */
    ClusterKey keyFor(String clusterId, String kmsKind, String kmsKeyId);

    /**
     * Makes (if need be) the key a new cluster of {@code organizationId} with automatic encryption is
     * encrypted under, and says what to record for it, so that restarts use that key whatever
     * changes later. The default records nothing: {@link #keyFor} with nulls decides at every start.
     */
    default Binding automaticKey(String organizationId, String clusterId) {
        return null;
    }
}
