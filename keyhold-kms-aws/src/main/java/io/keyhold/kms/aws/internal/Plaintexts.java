package io.keyhold.kms.aws.internal;

import io.keyhold.crypto.DataKey;
import io.keyhold.kms.KmsDeniedException;
import java.util.Arrays;
import software.amazon.awssdk.core.SdkBytes;

/**
 * Takes a plaintext DEK out of an SDK response: the bytes move into a {@link DataKey} and the
 * SDK's own array is wiped (read without a copy, so no other copy stays on the heap from here; the
 * HTTP body and JSON text the SDK parsed it from are beyond reach and left to the garbage collector).
 */
public final class Plaintexts {
    private Plaintexts() {
    }

    public static DataKey take(SdkBytes plaintext, String op, KeyArn key) {
        if (plaintext == null) {
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_KEY, "AWS KMS " + op + " of " + key + " returned no plaintext");
        }
        byte[] raw = plaintext.asByteArrayUnsafe();
        if (raw.length != DataKey.LENGTH) {
            int n = raw.length;
            Arrays.fill(raw, (byte) 0);
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, "AWS KMS " + op + " of " + key
                    + " returned " + n + " bytes, not a " + DataKey.LENGTH + "-byte data key");
        }
        return DataKey.fromBytesWipingSource(raw);
    }
}
