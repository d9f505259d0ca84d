package io.keyhold.kms.testkit;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;

/**
 * What the conformance tests use of the provider's test class: the connection under test, the admin
 * of the KMS behind it, and shared steps. {@link KmsConformanceSuite} implements it; the capability
 * interfaces ({@link DeletionConformance}, {@link AccessDenialConformance}, {@link OutageConformance})
 * extend it, so their tests run on any suite subclass that declares them. A provider states what its
 * admin can do by which of them its test class implements: a test is run, or it is not there, and
 * never skipped.
 */
public interface ConformanceContext {
    /** What records of topic {@code orders} in cluster {@code cluster-a} are wrapped with. */
    EncryptionContext ORDERS = EncryptionContext.forTopic("cluster-a", "orders");

    /** The connection under test, wrapped in {@link io.keyhold.kms.ResilientKms} as the server wraps it. */
    Kms kms();

    /** The provider's own connection, unwrapped. */
    Kms raw();

    /**
     * Drives the KMS that the connection talks to. Each capability interface narrows the type to
     * the admin it needs, so a test class declaring a capability its admin lacks does not compile.
     */
    KmsFakeAdmin admin();

    /** A new DEK under {@code keyRef} through {@link #kms()}; fails the test if the call fails. */
    GeneratedDek generate(String keyRef, EncryptionContext context);

    /** Asserts that {@code g} unwraps with {@code context} to the DEK it carries. */
    void assertUnwraps(GeneratedDek g, EncryptionContext context);
}
