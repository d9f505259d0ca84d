package io.keyhold.crypto;

import java.util.Base64;

/**
 * Envelope version 2: the compact layout of one record whose DEK is derived from a cluster key (see
 * {@code docs/FORMAT.md}, "Envelope version 2"). Every field has a fixed size, so nothing is length-prefixed:
 *
 * <pre>
 *   'K' 'H' 02          magic, version (the cipher is implied: AES-256-GCM, one record)
 *   CK id      8 bytes  the cluster key (raw; its text id is the base64url of these bytes)
 *   DEK id    12 bytes  the DEK's random id (HKDF info with the DEK's context)
 *   u32 counter         the DEK's use number: IV = DEK id[0, 8) || counter
 *   ciphertext, tag (16)
 * </pre>
 *
 * The first 23 bytes are the header: as in version 1, its SHA-256 starts the associated data, so the
 * CK id and DEK id (everything that selects the key) are authenticated, and the counter is
 * authenticated as part of the IV. The DEK id is 96 random bits, as many as version 1's 64-bit id
 * and 32-bit random IV prefix together: two DEKs of one topic collide (same key, same IVs) with
 * probability about n^2 / 2^97 for n DEKs, under 2^-32 up to 2^32 DEKs per topic and cluster key.
 */
final class CompactEnvelope {
    static final int CK_ID_AT = 3;
    static final int DEK_ID_AT = CK_ID_AT + ClusterKey.ID_LENGTH;
    static final int HEADER_LENGTH = DEK_ID_AT + ClusterKey.COMPACT_DEK_ID_LENGTH;
    static final int STORED_IV_LENGTH = 4;
    /** How many bytes of the DEK id start the IV: the rest of the IV is the stored counter. */
    static final int IV_PREFIX_LENGTH = AesGcm.IV_LENGTH - STORED_IV_LENGTH;
    /** The counter is a u32, which the rotation policy's ceiling of 2^32 uses per DEK never overflows. */
    static final long MAX_COUNTER = 0xFFFF_FFFFL;

    private CompactEnvelope() {
    }

    /** Whether a DEK from {@code kek} with this wrapped form (its id) is written in the compact layout. */
    static boolean fits(KekRef kek, byte[] edek) {
        return ClusterKey.PROVIDER.equals(kek.provider()) && kek.keyVersion().isEmpty()
                && edek.length == ClusterKey.COMPACT_DEK_ID_LENGTH;
    }

    /** The 23-byte header of a DEK for which {@link #fits} holds. */
    static byte[] encodeHeader(KekRef kek, byte[] dekId) {
        byte[] ck = Base64.getUrlDecoder().decode(ClusterKey.checkId(kek.keyId()));
        byte[] h = new byte[HEADER_LENGTH];
        h[0] = EnvelopeFormat.MAGIC_0;
        h[1] = EnvelopeFormat.MAGIC_1;
        h[2] = EnvelopeFormat.VERSION_2_COMPACT;
        System.arraycopy(ck, 0, h, CK_ID_AT, ck.length);
        System.arraycopy(dekId, 0, h, DEK_ID_AT, dekId.length);
        return h;
    }

    /** Parses a compact header at {@code buf[off]} (magic and version already checked by the caller). */
    static EnvelopeFormat.Header parseHeader(byte[] buf, int off, int len) {
        if (len < HEADER_LENGTH) {
            throw new CryptoException("truncated envelope header");
        }
        byte[] ck = java.util.Arrays.copyOfRange(buf, off + CK_ID_AT, off + DEK_ID_AT);
        KekRef kek = new KekRef(ClusterKey.PROVIDER, Base64.getUrlEncoder().withoutPadding().encodeToString(ck), "");
        return new EnvelopeFormat.Header(EnvelopeFormat.CIPHER_AES256_GCM, kek, DEK_ID_AT, ClusterKey.COMPACT_DEK_ID_LENGTH,
                HEADER_LENGTH);
    }

    /** Writes the stored part of use {@code use}'s IV (the u32 counter) at {@code out[off]}. */
    static void putCounter(long use, byte[] out, int off) {
        if (use < 0 || use > MAX_COUNTER) {
            // Unreachable under DekRotationPolicy's ceiling; refusing beats ever repeating an IV.
            throw new IllegalStateException("DEK use " + use + " does not fit the compact IV counter");
        }
        Bytes.putInt(out, off, (int) use);
    }

    /** The full IV of use {@code use} of the DEK with header {@code header}, into {@code iv[0, 12)}. */
    static void iv(byte[] header, long use, byte[] iv) {
        System.arraycopy(header, DEK_ID_AT, iv, 0, IV_PREFIX_LENGTH);
        putCounter(use, iv, IV_PREFIX_LENGTH);
    }

    /** The full IV of the compact envelope at {@code buf[off]}, into {@code iv[0, 12)}. */
    static void iv(byte[] buf, int off, byte[] iv) {
        System.arraycopy(buf, off + DEK_ID_AT, iv, 0, IV_PREFIX_LENGTH);
        System.arraycopy(buf, off + HEADER_LENGTH, iv, IV_PREFIX_LENGTH, STORED_IV_LENGTH);
    }
}
