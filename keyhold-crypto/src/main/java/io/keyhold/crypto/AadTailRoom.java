package io.keyhold.crypto;

/**
 * Where a {@link EnvelopeEncryptor.Sealer} or {@link EnvelopeDecryptor.Opener} takes the next
 * envelope's AAD tail (a Kafka record's kind and key), for a caller that writes it there itself
 * instead of handing over a copy: up to the length it asked for, at {@link #tailOffset()} of the
 * array {@link #tailBuffer} returns, right behind the record AAD.
 */
public interface AadTailRoom {
    /** The array to write the tail into, with room for {@code maxTailLength} bytes; valid until the next call on its owner. */
    byte[] tailBuffer(int maxTailLength);

    /** Where in {@link #tailBuffer}'s array the tail starts. */
    int tailOffset();
}
