package io.keyhold.kms.gcp.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import java.util.zip.CRC32C;

/**
 * CRC32C integrity fields, as Cloud KMS defines them: an {@code int64} holding the unsigned
 * 32-bit CRC32C (Castagnoli) of a field's bytes. Keyhold sends them on every request and checks
 * them on every response, as Google recommends, and treats a mismatch as damage in transit: retry.
 */
public final class Crc32c {
    private Crc32c() {
    }

    public static long of(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data, 0, data.length);
        return crc.getValue();
    }

    public static long of(ByteString data) {
        CRC32C crc = new CRC32C();
        crc.update(data.asReadOnlyByteBuffer());
        return crc.getValue();
    }

    public static Int64Value field(ByteString data) {
        return Int64Value.of(of(data));
    }

    /** Whether {@code checksum} is present and is the CRC32C of {@code data}. */
    public static boolean matches(boolean present, Int64Value checksum, ByteString data) {
        return present && checksum.getValue() == of(data);
    }
}
