package io.keyhold.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every copy of a DEK's bytes that the JCA provider asks for while a cipher is initialised is
 * zeroed before the encryption or decryption returns: the JDK's GCM keeps its encryption copy
 * until the cipher's next encryption, so without the wipe a retired DEK would live on in every
 * thread's cipher.
 */
class ProviderKeyViewTest {
    /** Watches what the provider is handed. */
    private static final class WatchedView extends ProviderKeyView {
        private static final long serialVersionUID = 1L;
        final transient List<byte[]> handedOut = new ArrayList<>();

        @Override
        public byte[] getEncoded() {
            byte[] copy = super.getEncoded();
            handedOut.add(copy);
            return copy;
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void theProvidersCopiesOfTheKeyAreZeroedOnceEncryptionAndDecryptionReturn() {
        WatchedView view = new WatchedView();
        AesGcm.ThreadCipher cipher = new AesGcm.ThreadCipher(view);
        try (DataKey key = DataKey.generate()) {
            byte[] iv = new byte[AesGcm.IV_LENGTH];
            byte[] aad = {1, 2, 3};
            byte[] pt = "the record".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            byte[] ct = new byte[pt.length + AesGcm.TAG_LENGTH];
            AesGcm.encrypt(cipher, key, iv, 0, aad, pt, 0, pt.length, ct, 0);
            assertThat(view.handedOut).as("the provider asked for the key").isNotEmpty();
            assertThat(view.handedOut).as("copies left after encrypting").allMatch(ProviderKeyViewTest::allZero);

            view.handedOut.clear();
            byte[] back = new byte[pt.length];
            AesGcm.decrypt(cipher, key, iv, 0, aad, ct, 0, ct.length, back, 0);
            assertThat(back).as("the wipe after init leaves the operation intact").isEqualTo(pt);
            assertThat(view.handedOut).isNotEmpty().allMatch(ProviderKeyViewTest::allZero);

            // The next message on the same cipher (a new IV) still uses the right key.
            iv[11] = 1;
            byte[] ct2 = new byte[ct.length];
            AesGcm.encrypt(cipher, key, iv, 0, aad, pt, 0, pt.length, ct2, 0);
            assertThat(AesGcm.decrypt(key, iv, 0, aad, ct2, 0, ct2.length)).isEqualTo(pt);
            assertThat(view.handedOut).allMatch(ProviderKeyViewTest::allZero);
        }
    }

    @Test
    void aDestroyedKeyIsRefusedAndLeavesNoCopy() {
        WatchedView view = new WatchedView();
        AesGcm.ThreadCipher cipher = new AesGcm.ThreadCipher(view);
        DataKey key = DataKey.generate();
        key.destroy();
        byte[] out = new byte[1 + AesGcm.TAG_LENGTH];
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AesGcm.encrypt(cipher, key, new byte[12], 0, new byte[0],
                new byte[1], 0, 1, out, 0)).hasMessageContaining("destroyed");
        assertThat(view.isDestroyed()).isTrue();
    }
}
