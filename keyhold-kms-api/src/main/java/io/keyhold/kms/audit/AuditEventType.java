package io.keyhold.kms.audit;

/** What an {@link AuditEvent} records. The names are part of the audit API ({@code event_type} filter). */
public enum AuditEventType {
    /** Keyhold called a KMS (generate, unwrap, describe, rotate, check access). */
    KMS_CALL,
    /** A key object passed validation. */
    KEY_VALIDATED,
    /** A key object failed validation, or its KMS denied a health check. */
    KEY_INVALIDATED,
    /** A key got a new version, by Keyhold's rotate or noticed in the customer's KMS. */
    KEY_ROTATED,
    /** The key's KMS could not be reached (network, throttling, 5xx, timeout) for a cluster using it. */
    KMS_UNAVAILABLE,
    /** The key's KMS answers again after being unavailable. */
    KMS_AVAILABLE,
    /** A cluster stopped serving because its key can no longer be used. */
    CLUSTER_LOCKED,
    /** A locked cluster serves again. */
    CLUSTER_UNLOCKED,
    /** The DEKs a data plane held for a cluster were wiped. */
    DEK_PURGED,
    /** A cluster's key object was changed to another KMS key (re-key). */
    CLUSTER_REKEYED,
    /** A cluster was deleted (after being locked; its data destroyed or left as ciphertext). */
    CLUSTER_DELETED,
    /** A key object was deleted (its KMS key is held for the release period). */
    KEY_DELETED,
    /** A KMS key's release hold ended: it may back a new key object. */
    KEY_RELEASED,
    /** A key was destroyed for good in the local KMS (crypto-shredding). */
    KEY_DESTROYED,
    /** An API key was created. */
    API_KEY_CREATED,
    /** An API key was deleted. */
    API_KEY_DELETED,
    /** A role binding was created. */
    ROLE_BINDING_CREATED,
    /** A role binding was deleted. */
    ROLE_BINDING_DELETED
}
