package io.keyhold.kms.testkit;

/**
 * What {@link KmsConformanceSuite} does to the KMS behind the connection under test, the way a
 * customer or an outage would: create keys, disable, rotate, delete them, take Keyhold's access
 * away, make the service hang or fail. A provider implements it on its wire-level fake (the fake's
 * own state, changed directly) or on the real service (its management API).
 *
 * <p>Every method acts at once and synchronously: when it returns, the next KMS call sees the change.
 * Key references are the strings the provider's {@link io.keyhold.kms.Kms} takes (an AWS key or
 * alias ARN, a local key name, ...).
 */
public interface KmsFakeAdmin {

    /** What an admin can do beyond the basics; the suite skips tests whose capability is missing. */
    enum Capability {
        /** {@link #denyAccess} / {@link #allowAccess}. */
        DENY_ACCESS,
        /** {@link #denyUnwrap}: the principal keeps generate but loses unwrap. */
        DENY_UNWRAP,
        /** {@link #outage}. */
        OUTAGE,
        /** {@link #scheduleDeletion}. */
        DELETE
    }

    /** How the service misbehaves until {@link Outage#NONE} is set again. */
    enum Outage {
        /** Normal service. */
        NONE,
        /** Requests are accepted and never answered (until the outage ends). */
        HANG,
        /** Every request is answered with HTTP 503, or the service's equivalent. */
        ERROR_503
    }

    /** Whether this admin can do {@code capability}; all by default. */
    default boolean supports(Capability capability) {
        return true;
    }

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

    /** Schedules the key for deletion (or deletes it, where the KMS has no waiting period). */
    void scheduleDeletion(String keyRef);

    /** Keyhold's principal loses every permission on the key. */
    void denyAccess(String keyRef);

    /** Undoes {@link #denyAccess} and {@link #denyUnwrap}. */
    void allowAccess(String keyRef);

    /** Keyhold's principal may still generate (wrap) with the key but no longer unwrap. */
    void denyUnwrap(String keyRef);

    /** Sets how the whole service behaves from now on. */
    void outage(Outage mode);
}
