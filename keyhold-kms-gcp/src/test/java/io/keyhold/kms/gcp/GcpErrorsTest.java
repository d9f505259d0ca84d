package io.keyhold.kms.gcp;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.assertUnavailable;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static io.keyhold.kms.testkit.KmsAssertions.failure;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.gcp.fake.FakeGcpKms.Mode;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How Cloud KMS's status codes map to denied (lock) and unavailable (retry), each with its reason. */
class GcpErrorsTest extends FakeGcpTestBase {
    private static final Duration WITHIN = Duration.ofSeconds(20);

    @Test
    void permissionDeniedIsAccessDeniedAndNamesThePermission() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        fake.deny(key, "cloudkms.cryptoKeyVersions.useToEncrypt");
        KmsDeniedException e = assertDenied(kms.generate(key, ORDERS), Reason.ACCESS_DENIED);
        assertThat(e).hasMessageContaining("PERMISSION_DENIED").hasMessageContaining("cloudkms.cryptoKeyVersions.useToEncrypt")
                .hasMessageContaining("Cloud KMS Encrypt of " + key);
        assertUnwraps(g); // decrypting is another permission
        fake.deny(key, "cloudkms.cryptoKeys.get");
        assertDenied(kms.describe(key), Reason.ACCESS_DENIED);
    }

    @Test
    void notFoundIsNotFound() {
        assertThat(assertDenied(kms.describe(fake.unknownKeyRef()), Reason.NOT_FOUND)).hasMessageContaining("NOT_FOUND");
    }

    @Test
    void failedPreconditionIsDeniedByTheVersionsState() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        fake.disable(key);
        assertThat(assertDenied(kms.generate(key, ORDERS), Reason.DISABLED)).hasMessageContaining("FAILED_PRECONDITION")
                .hasMessageContaining(key + "/cryptoKeyVersions/1 is not enabled");
        fake.enable(key);
        fake.scheduleDeletion(key);
        assertThat(await(kms.describe(key)).state()).isEqualTo(KeyState.PENDING_DELETION);
        assertThat(await(kms.describe(key)).deletionDate()).isNotNull();
        assertDenied(kms.generate(key, ORDERS), Reason.PENDING_DELETION);
        assertDenied(kms.unwrap(g.kek(), g.edek(), ORDERS), Reason.PENDING_DELETION);
        fake.destroyVersion(key, 1);
        assertThat(await(kms.describe(key)).state()).isEqualTo(KeyState.DESTROYED);
        assertDenied(kms.unwrap(g.kek(), g.edek(), ORDERS), Reason.DESTROYED);
    }

    @Test
    void damagedCiphertextOrOtherAadIsInvalidCiphertextNotALock() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        byte[] damaged = g.edek();
        damaged[damaged.length - 3] ^= 0x10;
        assertThat(assertDenied(kms.unwrap(g.kek(), damaged, ORDERS), Reason.INVALID_CIPHERTEXT)).hasMessageContaining("INVALID_ARGUMENT");
        assertDenied(kms.unwrap(g.kek(), g.edek(), EncryptionContext.forTopic("cluster-b", "orders")), Reason.INVALID_CIPHERTEXT);
        assertDenied(kms.unwrap(g.kek(), new byte[] {1, 2, 3}, ORDERS), Reason.INVALID_CIPHERTEXT);
    }

    @Test
    void transientStatusesAreUnavailableWithTheirReasons() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        assertReason(Mode.UNAVAILABLE, KmsUnavailableException.Reason.NETWORK, g);
        assertReason(Mode.DEADLINE_EXCEEDED, KmsUnavailableException.Reason.TIMEOUT, g);
        assertReason(Mode.RESOURCE_EXHAUSTED, KmsUnavailableException.Reason.THROTTLED, g);
        assertReason(Mode.INTERNAL, KmsUnavailableException.Reason.INTERNAL, g);
        fake.misbehave(Mode.NONE);
        assertUnwraps(g);
    }

    private void assertReason(Mode mode, KmsUnavailableException.Reason reason, GeneratedDek g) {
        fake.misbehave(mode);
        KmsUnavailableException e = assertUnavailable(kms.unwrap(g.kek(), g.edek(), ORDERS), WITHIN);
        assertThat(e.reason()).as(mode.name()).isEqualTo(reason);
        assertThat(e).hasMessageContaining(mode.name());
    }

    @Test
    void aClosedConnectionFailsItsStagesAndAVersionNameIsRefusedNamingTheKey() {
        String key = fake.createKey();
        assertThat(failure(kms.describe(key + "/cryptoKeyVersions/1"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names a key version: give Keyhold the key, " + key);
        assertThat(failure(kms.describe("arn:aws:kms:us-east-1:111122223333:key/x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a Cloud KMS key name");
        kms.close();
        assertThat(failure(kms.generate(key, ORDERS))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
