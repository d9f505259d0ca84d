package io.keyhold.kms.testkit;

import io.keyhold.kms.Kms;
import java.util.Set;

/** The suite passes on a provider that keeps the contract. */
class ReferenceConformanceTest extends KmsConformanceSuite {
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
    protected KmsFakeAdmin admin() {
        return new ReferenceAdmin(keys);
    }
}
