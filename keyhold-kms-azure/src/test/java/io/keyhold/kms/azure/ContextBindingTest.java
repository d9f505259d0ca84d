package io.keyhold.kms.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.azure.internal.ContextBinding;
import io.keyhold.kms.testkit.KmsAssertions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ContextBindingTest {
    private static final EncryptionContext A = EncryptionContext.forTopic("cluster-a", "orders");

    @Test
    void thePayloadIsTheDekAndATagThatOnlyItsContextOpens() {
        try (DataKey dek = DataKey.generate()) {
            byte[] payload = ContextBinding.payload(dek, A);
            assertThat(payload).hasSize(64);
            assertThat(Arrays.copyOf(payload, 32)).isEqualTo(KmsAssertions.keyBytes(dek));
            byte[] other = payload.clone();
            assertThatThrownBy(() -> ContextBinding.open(other, EncryptionContext.forTopic("cluster-b", "orders"), "t"))
                    .isInstanceOfSatisfying(KmsDeniedException.class, e -> assertThat(e.reason()).isEqualTo(KmsDeniedException.Reason.INVALID_CIPHERTEXT));
            assertThat(other).as("wiped").containsOnly(0);
            try (DataKey back = ContextBinding.open(payload, A, "t")) {
                assertThat(KmsAssertions.keyBytes(back)).isEqualTo(KmsAssertions.keyBytes(dek));
            }
            assertThatThrownBy(() -> ContextBinding.open(new byte[32], A, "t")).isInstanceOf(KmsDeniedException.class);
        }
    }
}
