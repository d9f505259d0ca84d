package io.keyhold.kms.testkit;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import org.junit.jupiter.api.Test;

/**
 * The conformance tests of a provider whose admin can delete keys: a key scheduled for deletion is
 * denied, never unavailable. Implement it on your {@link KmsConformanceSuite} subclass, whose
 * {@code admin()} then returns a {@link KmsFakeAdmin.CanDelete}.
 */
public interface DeletionConformance extends ConformanceContext {

    @Override
    KmsFakeAdmin.CanDelete admin();

    @Test
    default void aKeyScheduledForDeletionIsDenied() {
        String ref = admin().createKey();
        GeneratedDek before = generate(ref, ORDERS);
        admin().scheduleDeletion(ref);
        Reason[] gone = {Reason.NOT_FOUND, Reason.PENDING_DELETION, Reason.DESTROYED};
        try {
            KeyInfo info = await(kms().describe(ref));
            assertThat(info.state()).isIn(KeyState.PENDING_DELETION, KeyState.DESTROYED);
        } catch (KmsDeniedException e) {
            assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
        }
        assertDenied(kms().generate(ref, ORDERS), gone);
        assertDenied(kms().unwrap(before.kek(), before.edek(), ORDERS), gone);
    }
}
