package io.keyhold.kms.testkit;

/**
 * An admin that changes keys through the provider's real management API (a live run's admin, tested
 * over the wire against the provider's fake) and hands what that API cannot cause, taking Keyhold's
 * access away and outages, to the fake behind its endpoint, so that every capability's tests run.
 *
 * @param <F> the provider's wire-level fake
 */
public interface FaultsAtTheFake<F extends KmsFakeAdmin.CanDenyAccess & KmsFakeAdmin.CanCauseOutages>
        extends KmsFakeAdmin.CanDenyAccess, KmsFakeAdmin.CanCauseOutages {

    /** The fake behind the admin's endpoint. */
    F fake();

    @Override
    default void denyAccess(String keyRef) {
        fake().denyAccess(keyRef);
    }

    @Override
    default void denyUnwrap(String keyRef) {
        fake().denyUnwrap(keyRef);
    }

    @Override
    default void allowAccess(String keyRef) {
        fake().allowAccess(keyRef);
    }

    @Override
    default void outage(Outage mode) {
        fake().outage(mode);
    }
}
