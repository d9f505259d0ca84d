package io.keyhold.kms.testkit;

/**
 * What {@link KmsConformanceSuite} does to the KMS behind the connection under test, the way a
 * customer would: create keys, disable, enable and rotate them. A provider implements it on its
 * wire-level fake (the fake's own state, changed directly) or on the real service (its management
 * API). What only some admins can do (delete keys, take Keyhold's access away, cause outages) is in
 * the nested interfaces, each the admin type of one capability interface of the suite.
 *
 * <p>Every method acts at once and synchronously: when it returns, the next KMS call sees the change.
 * Key references are the strings the provider's {@link io.keyhold.kms.Kms} takes (an AWS key or
 * alias ARN, a local key name, ...).
 */
public interface KmsFakeAdmin {

    /** A new enabled key that wraps and unwraps; returns the reference to give the {@code Kms}. */
    String createKey();

    /** A well-formed reference to a key that does not exist. */
    String unknownKeyRef();

    void disable(String keyRef);

    void enable(String keyRef);

    /**
     * Makes the key wrap under new key material from now on (a new version, or for a reference that
     * is an alias: the alias moved to a new key); what was wrapped before must still unwrap.
     */
    void rotate(String keyRef);

    /** An admin that can delete keys, for {@link DeletionConformance}. */
    interface CanDelete extends KmsFakeAdmin {
        /** Schedules the key for deletion (or deletes it, where the KMS has no waiting period). */
        void scheduleDeletion(String keyRef);
    }

    /** An admin that can take Keyhold's permissions on a key away, for {@link AccessDenialConformance}. */
    interface CanDenyAccess extends KmsFakeAdmin {
        /** Keyhold's principal loses every permission on the key. */
        void denyAccess(String keyRef);

        /** Keyhold's principal may still generate (wrap) with the key but no longer unwrap. */
        void denyUnwrap(String keyRef);

        /** Undoes {@link #denyAccess} and {@link #denyUnwrap}. */
        void allowAccess(String keyRef);
    }

    /** An admin that can make the whole service misbehave, for {@link OutageConformance}. */
    interface CanCauseOutages extends KmsFakeAdmin {
        /** How the service misbehaves until {@link Outage#NONE} is set again. */
        enum Outage {
            /** Normal service. */
            NONE,
            /** Requests are accepted and never answered (until the outage ends). */
            HANG,
            /** Every request is answered with HTTP 503, or the service's equivalent. */
            ERROR_503
        }

        /** Sets how the whole service behaves from now on. */
        void outage(Outage mode);
    }
}
