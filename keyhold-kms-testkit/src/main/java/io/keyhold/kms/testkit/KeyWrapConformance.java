package io.keyhold.kms.testkit;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static io.keyhold.kms.testkit.KmsAssertions.failure;
import static io.keyhold.kms.testkit.KmsAssertions.keyBytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.WrappedKey;
import org.junit.jupiter.api.Test;

/**
 * {@link io.keyhold.kms.Kms#wrap}: wrapping a key the caller already holds, which is what moves a
 * cluster's keys onto another KMS key (an online re-key). Every provider owes it, so that any key
 * can be a re-key's target.
 */
abstract class KeyWrapConformance extends KeyLifecycleConformance {
    @Test
    void wrapsAKeyItDidNotMakeSoThatUnwrapGivesTheSameBytesBack() {
        String ref = admin().createKey();
        try (DataKey key = DataKey.generate()) {
            byte[] bytes = keyBytes(key);
            WrappedKey wrapped = await(kms().wrap(ref, key, ORDERS));
            assertThat(key.isDestroyed()).as("the caller's key after wrap").isFalse();
            assertThat(wrapped.kek()).isEqualTo(new KekRef(kms().kind(), ref, wrapped.kek().keyVersion()));
            if (kekRefCarriesKeyVersion()) {
                assertThat(wrapped.kek().keyVersion()).isEqualTo(await(kms().describe(ref)).currentVersion());
            }
            assertThat(KeyBytesScan.indexOf(wrapped.edek(), bytes)).as("position of the key's bytes in the wrapped key").isEqualTo(-1);
            try (DataKey back = await(kms().unwrap(wrapped.kek(), wrapped.edek(), ORDERS))) {
                assertThat(keyBytes(back)).isEqualTo(bytes);
            }
            assertDenied(kms().unwrap(wrapped.kek(), wrapped.edek(), EncryptionContext.forTopic("cluster-b", "orders")),
                    Reason.INVALID_CIPHERTEXT);
            byte[] damaged = wrapped.edek();
            damaged[damaged.length / 2] ^= 0x01;
            assertDenied(kms().unwrap(wrapped.kek(), damaged, ORDERS), Reason.INVALID_CIPHERTEXT);
        }
    }

    @Test
    void wrapUsesTheCurrentVersionAndWhatItWrappedBeforeARotationStillUnwraps() {
        String ref = admin().createKey();
        try (DataKey key = DataKey.generate()) {
            WrappedKey before = await(kms().wrap(ref, key, ORDERS));
            admin().rotate(ref);
            // as for generate: the version a describe reports after the rotation (a provider may cache it until then)
            String current = await(kms().describe(ref)).currentVersion();
            WrappedKey after = await(kms().wrap(ref, key, ORDERS));
            if (kekRefCarriesKeyVersion()) {
                assertThat(after.kek().keyVersion()).isEqualTo(current).isNotEqualTo(before.kek().keyVersion());
            }
            for (WrappedKey w : new WrappedKey[] {before, after}) {
                try (DataKey back = await(kms().unwrap(w.kek(), w.edek(), ORDERS))) {
                    assertThat(keyBytes(back)).as("unwrapped %s", w.kek()).isEqualTo(keyBytes(key));
                }
            }
        }
    }

    @Test
    void wrapUnderADisabledOrUnknownKeyIsDenied() {
        String ref = admin().createKey();
        try (DataKey key = DataKey.generate()) {
            admin().disable(ref);
            assertDenied(kms().wrap(ref, key, ORDERS), Reason.DISABLED);
            admin().enable(ref);
            assertDenied(kms().wrap(admin().unknownKeyRef(), key, ORDERS), Reason.NOT_FOUND);
            WrappedKey wrapped = await(kms().wrap(ref, key, ORDERS));
            try (DataKey back = await(kms().unwrap(wrapped.kek(), wrapped.edek(), ORDERS))) {
                assertThat(keyBytes(back)).isEqualTo(keyBytes(key));
            }
        }
    }

    @Test
    void wrapWithBadArgumentsFailsTheStageInsteadOfThrowing() {
        String ref = admin().createKey();
        try (DataKey key = DataKey.generate()) {
            assertThat(failure(raw().wrap(ref, null, ORDERS))).as("no key").isInstanceOf(IllegalArgumentException.class);
            assertThat(failure(raw().wrap(ref, key, null))).as("no context").isInstanceOf(IllegalArgumentException.class);
            assertThat(failure(raw().wrap(null, key, ORDERS))).as("no reference").isInstanceOf(IllegalArgumentException.class);
        }
    }
}
