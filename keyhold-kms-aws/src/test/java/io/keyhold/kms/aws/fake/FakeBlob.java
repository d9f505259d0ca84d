package io.keyhold.kms.aws.fake;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The fake's ciphertext blob, laid out like AWS's in what matters to Keyhold: it names its key and
 * the key material (backing key) that sealed it, so Decrypt needs no key id and rotated-away
 * material still decrypts; the encryption context is authenticated, not stored; and its size is
 * AWS's (a constant overhead plus the plaintext). AWS does not document its format; this one is
 * the fake's own:
 *
 * <pre>
 * offset  size  field
 *  0       5    format 01 02 02 00 78 (AWS blobs also start with a 5-byte version header)
 *  5      47    constant framing: stands in for the fixed DER/CMS framing of AWS's blob
 * 52      32    key material id (its hex is DescribeKey's CurrentKeyMaterialId)
 * 84      16    key id (the UUID of the KMS key)
 * 100     16    nonce: the per-blob AES-256 key is HMAC-SHA256(material, nonce), as AWS derives one per call
 * 116     12    AES-GCM IV
 * 128      n    ciphertext of the n-byte plaintext
 * 128+n   16    GCM tag; the associated data is bytes 0..115 and the canonical encryption context
 * </pre>
 * 144 + n bytes: 176 for a 32-byte DEK.
 */
final class FakeBlob {
    private static final byte[] HEADER = {0x01, 0x02, 0x02, 0x00, 0x78};
    private static final byte[] FRAMING = Arrays.copyOf("keyhold fake KMS ciphertext v1 AES-256-GCM".getBytes(StandardCharsets.US_ASCII), 47);
    private static final int MATERIAL_AT = HEADER.length + FRAMING.length;
    private static final int KEY_AT = MATERIAL_AT + 32;
    private static final int NONCE_AT = KEY_AT + 16;
    private static final int IV_AT = NONCE_AT + 16;
    private static final int BODY_AT = IV_AT + 12;
    static final int OVERHEAD = BODY_AT + 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a blob names, before it is opened. */
    record Header(UUID keyId, byte[] materialId) {
    }

    private FakeBlob() {
    }

    static byte[] seal(UUID keyId, FakeKey.Material material, byte[] plaintext, Map<String, String> context) {
        ByteBuffer b = ByteBuffer.allocate(OVERHEAD + plaintext.length);
        b.put(HEADER).put(FRAMING).put(material.id()).putLong(keyId.getMostSignificantBits()).putLong(keyId.getLeastSignificantBits());
        byte[] nonce = random(16);
        byte[] iv = random(12);
        b.put(nonce).put(iv);
        byte[] blob = b.array();
        try {
            Cipher c = cipher(Cipher.ENCRYPT_MODE, material, nonce, iv);
            c.updateAAD(blob, 0, IV_AT);
            c.updateAAD(canonical(context));
            c.doFinal(plaintext, 0, plaintext.length, blob, BODY_AT);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return blob;
    }

    /** The key and material a blob names; a blob that is not one fails InvalidCiphertext. */
    static Header header(byte[] blob) {
        if (blob.length <= OVERHEAD || !Arrays.equals(blob, 0, MATERIAL_AT, concat(HEADER, FRAMING), 0, MATERIAL_AT)) {
            throw FakeKmsError.invalidCiphertext();
        }
        ByteBuffer b = ByteBuffer.wrap(blob, KEY_AT, 16);
        return new Header(new UUID(b.getLong(), b.getLong()), Arrays.copyOfRange(blob, MATERIAL_AT, KEY_AT));
    }

    static byte[] open(byte[] blob, FakeKey.Material material, Map<String, String> context) {
        try {
            Cipher c = cipher(Cipher.DECRYPT_MODE, material, Arrays.copyOfRange(blob, NONCE_AT, IV_AT), Arrays.copyOfRange(blob, IV_AT, BODY_AT));
            c.updateAAD(blob, 0, IV_AT);
            c.updateAAD(canonical(context));
            return c.doFinal(blob, BODY_AT, blob.length - BODY_AT);
        } catch (AEADBadTagException e) {
            throw FakeKmsError.invalidCiphertext();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Cipher cipher(int mode, FakeKey.Material material, byte[] nonce, byte[] iv) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(material.secret(), "HmacSHA256"));
        byte[] derived = mac.doFinal(nonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(mode, new SecretKeySpec(derived, "AES"), new GCMParameterSpec(128, iv));
        Arrays.fill(derived, (byte) 0);
        return c;
    }

    /** Sorted pairs, each string length-prefixed: equal contexts give equal bytes, and no two different ones collide. */
    private static byte[] canonical(Map<String, String> context) {
        SortedMap<String, String> sorted = new TreeMap<>(context);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sorted.forEach((k, v) -> {
            write(out, k);
            write(out, v);
        });
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
        out.writeBytes(b);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
