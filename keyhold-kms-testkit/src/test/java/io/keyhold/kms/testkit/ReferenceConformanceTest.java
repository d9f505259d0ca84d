package io.keyhold.kms.testkit;

import io.keyhold.kms.Kms;
import java.util.Set;

/**
 * The suite passes on a provider that keeps the contract. It implements every capability interface
 * ({@link SuiteCatchesFlawsTest} checks), so every test of the kit runs here.
 */
class ReferenceConformanceTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    private ReferenceKeys keys;

    /** The flaws the KMS under test has: none here. */
    Set<Flaw> flaws() {
        return Set.of();
    }

    @Override
    protected Kms connect() {
        keys = new ReferenceKeys(flaws());
        return new ReferenceKms(keys);
    }

    @Override
    public ReferenceAdmin admin() {
        return new ReferenceAdmin(keys);
    }
}
