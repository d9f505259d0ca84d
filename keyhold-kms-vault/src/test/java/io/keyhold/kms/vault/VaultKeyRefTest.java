package io.keyhold.kms.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VaultKeyRefTest {
    @Test
    void referencesAreTheKeysPathUnderItsMount() {
        assertThat(VaultKeyRef.parse("transit/keys/orders")).isEqualTo(new VaultKeyRef("transit", "orders"));
        VaultKeyRef nested = VaultKeyRef.parse("kafka/transit/keys/orders");
        assertThat(nested.mount()).isEqualTo("kafka/transit");
        assertThat(nested.path("encrypt")).isEqualTo("kafka/transit/encrypt/orders");
        assertThat(nested.ref()).isEqualTo("kafka/transit/keys/orders");
    }

    @Test
    void malformedReferencesAreRefused() {
        for (String bad : new String[] {"orders", "transit/orders", "/transit/keys/orders", "transit/keys/", "transit/keys/a/b",
                "../keys/orders", "tran sit/keys/orders", "transit//x/keys/orders"}) {
            assertThatThrownBy(() -> VaultKeyRef.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
