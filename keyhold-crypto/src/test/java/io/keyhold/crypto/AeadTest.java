package io.keyhold.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AeadTest {
    @Test
    void sealsAndOpensAndRejectsTamperingWrongKeyAndWrongAad() {
        try (DataKey key = DataKey.generate(); DataKey other = DataKey.generate()) {
            byte[] sealed = Aead.seal(key, "v".getBytes(), Aad.of("ctx"));
            assertThat(sealed).hasSize(1 + Aead.OVERHEAD);
            assertThat(Aead.open(key, sealed, Aad.of("ctx"))).containsExactly('v');
            assertThatThrownBy(() -> Aead.open(other, sealed, Aad.of("ctx"))).isInstanceOf(CryptoException.class);
            assertThatThrownBy(() -> Aead.open(key, sealed, Aad.of("ctx2"))).isInstanceOf(CryptoException.class);
            for (int i = 0; i < sealed.length; i++) {
                byte[] t = sealed.clone();
                t[i] ^= 1;
                assertThatThrownBy(() -> Aead.open(key, t, Aad.of("ctx"))).isInstanceOf(CryptoException.class);
            }
            assertThatThrownBy(() -> Aead.open(key, new byte[5], Aad.of("ctx"))).isInstanceOf(CryptoException.class);
        }
    }

    @Test
    void aDestroyedKeyRefusesUse() {
        DataKey key = DataKey.generate();
        key.destroy();
        assertThatThrownBy(() -> Aead.seal(key, new byte[1], Aad.of("x"))).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> key.withKeyBytes(b -> b)).isInstanceOf(IllegalStateException.class);
    }
}
