package io.keyhold.kms.testkit;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static io.keyhold.kms.testkit.KmsAssertions.failure;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsDeniedException.Reason;
import org.junit.jupiter.api.Test;

/**
 * The key's life as every provider's admin can change it (identity, disabling, rotation): whether
 * Keyhold sees it, "denied" with the right reason where it must lock. Part of {@link KmsConformanceSuite};
 * deletion, access denial and outages are in the capability interfaces.
 */
abstract class KeyLifecycleConformance extends ConformanceBase {

    @Test
    void describeResolvesTheReferenceToAStableIdentityAndItsCurrentVersion() {
        String ref = admin().createKey();
        KeyInfo first = await(kms().describe(ref));
        KeyInfo again = await(kms().describe(ref));
        assertThat(first.state()).isEqualTo(KeyState.ENABLED);
        assertThat(first.keyId()).isNotBlank().isEqualTo(again.keyId());
        assertThat(first.currentVersion()).isEqualTo(again.currentVersion());
        assertThat(first.algorithm()).isNotBlank();
        assertThat(first.region()).isNotBlank();
        assertThat(await(kms().describe(admin().createKey())).keyId()).as("another key's identity").isNotEqualTo(first.keyId());
        if (kekRefCarriesKeyVersion()) {
            GeneratedDek g = generate(ref, ORDERS);
            g.dek().destroy();
            assertThat(g.kek().keyVersion()).isEqualTo(first.currentVersion());
        }
    }

    @Test
    void anUnknownKeyIsNotFound() {
        String ref = admin().unknownKeyRef();
        assertDenied(kms().describe(ref), Reason.NOT_FOUND);
        assertDenied(kms().generate(ref, ORDERS), Reason.NOT_FOUND);
    }

    @Test
    void aDisabledKeyIsDeniedUntilEnabledAgain() {
        String ref = admin().createKey();
        GeneratedDek before = generate(ref, ORDERS);
        admin().disable(ref);
        assertThat(await(kms().describe(ref)).state()).isEqualTo(KeyState.DISABLED);
        assertDenied(kms().generate(ref, ORDERS), Reason.DISABLED);
        assertDenied(kms().unwrap(before.kek(), before.edek(), ORDERS), Reason.DISABLED);
        assertDenied(kms().checkAccess(ref), Reason.DISABLED);
        admin().enable(ref);
        assertUnwraps(before, ORDERS);
        assertUnwraps(generate(ref, ORDERS), ORDERS);
    }

    @Test
    void rotationIsVisibleAndOldDeksStillUnwrap() {
        String ref = admin().createKey();
        String v1 = await(kms().describe(ref)).currentVersion();
        GeneratedDek old = generate(ref, ORDERS);
        admin().rotate(ref);
        String v2 = await(kms().describe(ref)).currentVersion();
        assertThat(v2).as("current version after rotation").isNotEqualTo(v1);
        GeneratedDek fresh = generate(ref, ORDERS);
        assertUnwraps(old, ORDERS);
        assertUnwraps(fresh, ORDERS);
        if (kekRefCarriesKeyVersion()) {
            assertThat(old.kek().keyVersion()).isEqualTo(v1);
            assertThat(fresh.kek().keyVersion()).isEqualTo(v2);
        }
    }

    /**
     * Rotation through the connection keeps the key's identity and everything wrapped before. Whether
     * the current version shows it depends on the reference (an AWS alias's version is its target
     * key, which rotating the material does not change): providers test that themselves.
     */
    @Test
    void rotateThroughTheConnectionKeepsTheKeyAndOldDeks() {
        String ref = admin().createKey();
        KeyInfo before = await(kms().describe(ref));
        if (!before.rotatable()) {
            assertThat(failure(kms().rotate(ref))).isInstanceOf(UnsupportedOperationException.class);
            return;
        }
        GeneratedDek old = generate(ref, ORDERS);
        KeyInfo after = await(kms().rotate(ref));
        assertThat(after.keyId()).isEqualTo(before.keyId());
        assertThat(after.state()).isEqualTo(KeyState.ENABLED);
        assertUnwraps(old, ORDERS);
        assertUnwraps(generate(ref, ORDERS), ORDERS);
    }
}
