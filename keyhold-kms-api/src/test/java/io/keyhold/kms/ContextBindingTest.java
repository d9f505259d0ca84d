package io.keyhold.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ContextBindingTest {
    private static final EncryptionContext A = EncryptionContext.forTopic("cluster-a", "orders");
    private static final ContextBinding BINDING = new ContextBinding("keyhold test edek v1");

    @Test
    void thePayloadIsTheDekAndATagThatOnlyItsContextOpens() {
        try (DataKey dek = DataKey.generate()) {
            byte[] payload = BINDING.payload(dek, A);
            assertThat(payload).hasSize(64);
            assertThat(Arrays.copyOf(payload, 32)).isEqualTo(bytes(dek));
            byte[] other = payload.clone();
            assertThatThrownBy(() -> BINDING.open(other, EncryptionContext.forTopic("cluster-b", "orders"), "t"))
                    .isInstanceOfSatisfying(KmsDeniedException.class, e -> assertThat(e.reason()).isEqualTo(KmsDeniedException.Reason.INVALID_CIPHERTEXT));
            assertThat(other).as("wiped").containsOnly(0);
            try (DataKey back = BINDING.open(payload, A, "t")) {
                assertThat(bytes(back)).isEqualTo(bytes(dek));
            }
            assertThatThrownBy(() -> BINDING.open(new byte[32], A, "t")).isInstanceOf(KmsDeniedException.class);
        }
    }

    @Test
    void anotherLabelDoesNotOpenThePayload() {
        try (DataKey dek = DataKey.generate()) {
            byte[] payload = BINDING.payload(dek, A);
            assertThatThrownBy(() -> new ContextBinding("keyhold other edek v1").open(payload, A, "t"))
                    .isInstanceOfSatisfying(KmsDeniedException.class, e -> assertThat(e.reason()).isEqualTo(KmsDeniedException.Reason.INVALID_CIPHERTEXT));
        }
    }

    private static byte[] bytes(DataKey key) {
        return key.withKeyBytes(byte[]::clone);
    }
}
