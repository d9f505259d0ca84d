package io.keyhold.kms.kmip.internal;

import io.keyhold.crypto.Aad;
import io.keyhold.crypto.Aead;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.kms.KmsDeniedException;
import java.util.Arrays;
import java.util.Base64;

/**
 * A KMIP EDEK wrapped by Keyhold itself under a key object fetched with Get (KMIP 1.1 servers): a
 * format byte (2), then AES-256-GCM under the object's key of the 32-byte DEK, with the object's
 * unique identifier and the encryption context as AAD ({@link Aead}: IV 12, tag 16): 61 bytes. The
 * format byte tells it from an {@link EdekFormat} one (format 1, wrapped by the server).
 */
public final class LocalEdekFormat {
    public static final byte FORMAT = 2;
    public static final int LENGTH = 1 + Aead.OVERHEAD + DataKey.LENGTH;
    /** Fixed, or existing EDEKs stop unwrapping. */
    private static final String LABEL = "keyhold-kmip/v2/dek";

    private LocalEdekFormat() {
    }

    public static boolean isLocal(byte[] edek) {
        return edek.length > 0 && edek[0] == FORMAT;
    }

    public static byte[] wrap(DataKey kek, String uid, DataKey dek, EncryptionContext context) {
        byte[] sealed = dek.withKeyBytes(b -> Aead.seal(kek, b, aad(uid, context)));
        byte[] edek = new byte[1 + sealed.length];
        edek[0] = FORMAT;
        System.arraycopy(sealed, 0, edek, 1, sealed.length);
        return edek;
    }

    /** The DEK; {@code INVALID_CIPHERTEXT} when the EDEK was not wrapped by this object for this context, or was modified. */
    public static DataKey unwrap(DataKey kek, String uid, byte[] edek, EncryptionContext context) {
        if (edek.length != LENGTH || edek[0] != FORMAT) {
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, "not a KMIP data key of Keyhold ("
                    + edek.length + " bytes" + (edek.length > 0 ? ", format " + edek[0] : "") + ")");
        }
        try {
            return DataKey.fromBytesWipingSource(Aead.open(kek, Arrays.copyOfRange(edek, 1, edek.length), aad(uid, context)));
        } catch (CryptoException | IllegalArgumentException e) {
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, "the data key was not wrapped by KMIP object '"
                    + uid + "' for this encryption context (or was modified)");
        }
    }

    private static Aad aad(String uid, EncryptionContext context) {
        return Aad.ofParts(LABEL, uid, Base64.getEncoder().encodeToString(context.canonicalBytes()));
    }
}
