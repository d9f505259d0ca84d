package io.keyhold.crypto;

import java.util.Arrays;
import javax.crypto.SecretKey;

/**
 * How a {@link DataKey} is shown to the JCA provider, one thread's worth: each {@link #getEncoded()}
 * hands out a fresh copy of the key bytes (never the same array twice: the JDK's GCM keeps the last
 * array it was given and zeroes it on the next init, which must never hit a copy still in use), and
 * {@link #wipeCopies()} zeroes every copy handed out since the last wipe. {@link AesGcm} wipes right
 * after {@code Cipher.init}, so no copy outlives the call that needed it: the JDK's own GCM keeps its
 * encryption copy until the next encryption on that cipher, which could be long after the DEK was
 * destroyed. What the provider derives from the bytes (its key schedule) is out of reach; see
 * {@code docs/SECURITY.md}.
 *
 * <p>Not thread-safe: one per thread, like the cipher it serves. Not final only so that a test can
 * watch the copies it hands out.
 */
class ProviderKeyView implements SecretKey {
    private static final long serialVersionUID = 1L;

    private transient DataKey key;
    /** Copies handed out since the last wipe; one per init in practice, grown if a provider asks more. */
    private transient byte[][] copies = new byte[2][];
    private transient int count;

    /** Shows {@code dataKey} until the next {@link #wipeCopies()}. */
    final ProviderKeyView showing(DataKey dataKey) {
        this.key = dataKey;
        return this;
    }

    @Override
    public String getAlgorithm() {
        return "AES";
    }

    @Override
    public String getFormat() {
        return "RAW";
    }

    @Override
    public byte[] getEncoded() {
        if (key == null) {
            throw new IllegalStateException("no data key is being shown");
        }
        byte[] copy = key.copyForProvider();
        if (count == copies.length) {
            copies = Arrays.copyOf(copies, count * 2);
        }
        copies[count++] = copy;
        return copy;
    }

    /** Zeroes every copy handed out since the last call and forgets the key shown. */
    final void wipeCopies() {
        for (int i = 0; i < count; i++) {
            Arrays.fill(copies[i], (byte) 0);
            copies[i] = null;
        }
        count = 0;
        key = null;
    }

    @Override
    public boolean isDestroyed() {
        return key == null || key.isDestroyed();
    }
}
