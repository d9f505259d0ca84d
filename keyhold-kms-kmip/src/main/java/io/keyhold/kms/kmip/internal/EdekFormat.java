package io.keyhold.kms.kmip.internal;

import io.keyhold.kms.ContextBinding;
import io.keyhold.kms.KmsDeniedException;
import java.util.Arrays;

/**
 * A KMIP EDEK: a format byte (1), the 16-byte CBC IV, then the server's AES-CBC encryption (with
 * PKCS#5 padding, which every KMIP server's CBC has) of the 64-byte {@link ContextBinding} payload: 80
 * bytes, 97 in all. The object that encrypted it is
 * not in the EDEK: the record's KEK reference names it as its version.
 */
public final class EdekFormat {
    public static final int IV_LENGTH = 16;
    public static final int CIPHERTEXT_LENGTH = ContextBinding.PAYLOAD_LENGTH + 16;
    public static final int LENGTH = 1 + IV_LENGTH + CIPHERTEXT_LENGTH;
    private static final byte FORMAT = 1;

    private EdekFormat() {
    }

    public static byte[] of(byte[] iv, byte[] ciphertext) {
        if (iv.length != IV_LENGTH || ciphertext.length != CIPHERTEXT_LENGTH) {
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_KEY, "the KMIP server's Encrypt answered "
                    + ciphertext.length + " bytes for " + ContextBinding.PAYLOAD_LENGTH + ": not AES-CBC with PKCS#5 padding");
        }
        byte[] edek = new byte[LENGTH];
        edek[0] = FORMAT;
        System.arraycopy(iv, 0, edek, 1, IV_LENGTH);
        System.arraycopy(ciphertext, 0, edek, 1 + IV_LENGTH, ciphertext.length);
        return edek;
    }

    /** The IV of a well-formed EDEK; anything else is {@code INVALID_CIPHERTEXT}. */
    public static byte[] iv(byte[] edek) {
        check(edek);
        return Arrays.copyOfRange(edek, 1, 1 + IV_LENGTH);
    }

    public static byte[] ciphertext(byte[] edek) {
        check(edek);
        return Arrays.copyOfRange(edek, 1 + IV_LENGTH, LENGTH);
    }

    private static void check(byte[] edek) {
        if (edek.length != LENGTH || edek[0] != FORMAT) {
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, "not a KMIP data key of Keyhold ("
                    + edek.length + " bytes" + (edek.length > 0 ? ", format " + edek[0] : "") + ")");
        }
    }
}
