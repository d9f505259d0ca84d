package io.keyhold.kms.testkit;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KmsDeniedException.Reason;
import org.junit.jupiter.api.Test;

/**
 * The conformance tests of a provider whose admin can take Keyhold's permissions on a key away (a
 * KMS with principals and policies): removed access is {@code ACCESS_DENIED}, not unavailable, and
 * {@code checkAccess} notices a missing unwrap permission. Implement it on your
 * {@link KmsConformanceSuite} subclass, whose {@code admin()} then returns a {@link KmsFakeAdmin.CanDenyAccess}.
 */
public interface AccessDenialConformance extends ConformanceContext {

    @Override
    KmsFakeAdmin.CanDenyAccess admin();

    @Test
    default void removedAccessIsDeniedAccessDeniedUntilGivenBack() {
        String ref = admin().createKey();
        GeneratedDek before = generate(ref, ORDERS);
        admin().denyAccess(ref);
        assertDenied(kms().describe(ref), Reason.ACCESS_DENIED);
        assertDenied(kms().generate(ref, ORDERS), Reason.ACCESS_DENIED);
        assertDenied(kms().unwrap(before.kek(), before.edek(), ORDERS), Reason.ACCESS_DENIED);
        admin().allowAccess(ref);
        assertUnwraps(before, ORDERS);
    }

    @Test
    default void checkAccessFailsWhenOnlyTheUnwrapPermissionIsRemoved() {
        String ref = admin().createKey();
        await(kms().checkAccess(ref));
        admin().denyUnwrap(ref);
        generate(ref, ORDERS).dek().destroy(); // generating still works: what fails below is the unwrap
        assertDenied(kms().checkAccess(ref), Reason.ACCESS_DENIED);
        admin().allowAccess(ref);
        await(kms().checkAccess(ref));
    }
}
