package io.keyhold.crypto;

/**
 * An envelope's DEK is wrapped under a KEK the decryptor's {@link KekPolicy} does not allow. The
 * KMS was not asked; nothing was unwrapped.
 */
public final class ForeignKekException extends CryptoException {
    private static final long serialVersionUID = 1L;

    private final transient KekRef kek;

    ForeignKekException(KekRef kek, String message) {
        super(message);
        this.kek = kek;
    }

    /** The KEK the envelope names (not a secret: provider kind, key id, version). */
    public KekRef kek() {
        return kek;
    }
}
