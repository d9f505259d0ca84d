package io.keyhold.kms.pkcs11;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.assertUnwraps;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.pkcs11.fake.SoftHsm;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the customer can do to a key on their HSM, and what Keyhold makes of it (docs/kms/pkcs11.md). */
class Pkcs11LifecycleTest {
    private static final EncryptionContext ORDERS = EncryptionContext.forTopic("lkc-1", "orders");
    private final SoftHsm hsm = SoftHsm.shared();
    private final Kms kms = hsm.connect();

    @AfterEach
    void close() {
        kms.close();
    }

    @Test
    void aKeyThatMayNoLongerDecryptFailsTheAccessCheckWhileItStillEncrypts() {
        String ref = hsm.createKey();
        await(kms.checkAccess(ref));
        hsm.denyDecrypt(ref);
        await(kms.generate(ref, ORDERS)).dek().destroy();
        assertDenied(kms.checkAccess(ref), Reason.ACCESS_DENIED);
        hsm.enable(ref);
        await(kms.checkAccess(ref));
    }

    @Test
    void aTokenThatRefusesThePinIsAccessDenied() {
        try (Kms wrongPin = Pkcs11Kms.open(hsm.configWithPin("not-the-pin"))) {
            String ref = new Pkcs11KeyRef(SoftHsm.LOCKED_TOKEN, "any").ref();
            assertDenied(wrongPin.describe(ref), Reason.ACCESS_DENIED);
            assertDenied(wrongPin.generate(ref, ORDERS), Reason.ACCESS_DENIED);
        }
    }

    @Test
    void aTokenThatIsNotThereIsNotFound() {
        String ref = new Pkcs11KeyRef("no-such-token", "orders").ref();
        assertDenied(kms.describe(ref), Reason.NOT_FOUND);
        assertDenied(kms.generate(ref, ORDERS), Reason.NOT_FOUND);
    }

    @Test
    void rotationAddsAVersionedObjectAndARemovedOldVersionIsDestroyedWhileTheKeyServes() {
        String ref = hsm.createKey();
        GeneratedDek v1 = await(kms.generate(ref, ORDERS));
        assertThat(v1.kek().keyVersion()).isEqualTo("1");
        assertThat(v1.edek()).hasSize(60); // IV, sealed DEK, tag
        KeyInfo rotated = await(kms.rotate(ref));
        assertThat(rotated.currentVersion()).isEqualTo("2");
        Pkcs11KeyRef key = Pkcs11KeyRef.parse(ref);
        assertThat(hsm.token().key(key.label() + ".v2")).isNotNull();
        GeneratedDek v2 = await(kms.generate(ref, ORDERS));
        assertThat(v2.kek().keyVersion()).isEqualTo("2");
        assertSameBytes(v1);
        // the customer removes version 1 from the token: what it sealed is gone, the key still serves
        hsm.token().inSession(session -> {
            hsm.token().cryptoki().destroy(session, hsm.token().cryptoki().findSecretKeys(session, key.label())[0]);
            return null;
        });
        assertDenied(kms.unwrap(v1.kek(), v1.edek(), ORDERS), Reason.DESTROYED);
        assertSameBytes(v2);
    }

    private void assertSameBytes(GeneratedDek g) {
        assertUnwraps(kms, g, ORDERS);
    }
}
