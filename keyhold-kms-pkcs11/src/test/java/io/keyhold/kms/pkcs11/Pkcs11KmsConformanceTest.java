package io.keyhold.kms.pkcs11;

import io.keyhold.kms.Kms;
import io.keyhold.kms.pkcs11.fake.SoftHsm;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;

/**
 * The conformance suite against a real SoftHSM2 token. Deletion is a capability (a customer
 * destroys the key objects); removed access and outages are not: a PKCS#11 token has no principals
 * to take permissions from (a key that may no longer decrypt is in {@link Pkcs11LifecycleTest}),
 * and an in-process library cannot be made to hang or answer 503.
 */
class Pkcs11KmsConformanceTest extends KmsConformanceSuite implements DeletionConformance {

    @Override
    protected Kms connect() {
        return SoftHsm.shared().connect();
    }

    @Override
    public SoftHsm admin() {
        return SoftHsm.shared();
    }
}
