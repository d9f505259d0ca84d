package io.keyhold.kms.gcp.fake;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The fake's ciphertext: its own layout, sized like Cloud KMS's (113 bytes for a 32-byte
 * plaintext, what real symmetric ciphertexts of a 256-bit data key measure). Two protobuf-style
 * length-delimited fields, as Google's ciphertexts begin ({@code 0a 24 ...}, {@code 12 49 ...}):
 * <ol>
 *   <li>field 1 (36 bytes): {@code 00} and the 35-byte tag naming the key version</li>
 *   <li>field 2 (41 + n bytes): {@code 00}, a 12-byte salt (the AES-256 key is
 *       HMAC-SHA256(version secret, salt)), a 12-byte IV, the AES-GCM ciphertext and its 16-byte tag,
 *       with field 1 and the request's additional authenticated data as GCM's associated data</li>
 * </ol>
 */
final class FakeCiphertext {
    static final int TAG_BYTES = 35;
    private static final int SALT = 12;
    private static final int IV = 12;
    private static final int GCM_TAG = 16;
    private static final int HEADER = 2 + 1 + TAG_BYTES;

    /** What a ciphertext names, and its plaintext once opened. */
    record Opened(FakeCryptoKey.Version version, byte[] plaintext) {
    }

    /** The ciphertext's size for an n-byte plaintext. */
    static int size(int n) {
        int body = 1 + SALT + IV + n + GCM_TAG;
        return HEADER + 1 + varintSize(body) + body;
    }

    static byte[] seal(FakeCryptoKey.Version v, byte[] plaintext, byte[] aad) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x0a);
        out.write(1 + TAG_BYTES);
        out.write(0);
        out.writeBytes(v.tag);
        byte[] header = out.toByteArray();
        byte[] salt = random(SALT);
        byte[] iv = random(IV);
        byte[] sealed = gcm(Cipher.ENCRYPT_MODE, v.secret, salt, iv, header, aad, plaintext);
        int body = 1 + SALT + IV + sealed.length;
        out.write(0x12);
        writeVarint(out, body);
        out.write(0);
        out.writeBytes(salt);
        out.writeBytes(iv);
        out.writeBytes(sealed);
        return out.toByteArray();
    }

    /** The version the ciphertext names among {@code key}'s, or null when the layout is broken or the tag is not the key's. */
    static FakeCryptoKey.Version version(FakeCryptoKey key, byte[] c) {
        if (c.length < HEADER + 2 || c[0] != 0x0a || c[1] != 1 + TAG_BYTES || c[2] != 0 || c[HEADER] != 0x12) {
            return null;
        }
        return key.byTag(Arrays.copyOfRange(c, 3, HEADER));
    }

    /** The plaintext, or null when the ciphertext is damaged or the additional authenticated data differs. */
    static byte[] open(FakeCryptoKey.Version v, byte[] c, byte[] aad) {
        int at = HEADER + 1;
        int body = 0;
        int shift = 0;
        while (at < c.length && shift < 28) {
            int b = c[at++] & 0xff;
            body |= (b & 0x7f) << shift;
            shift += 7;
            if ((b & 0x80) == 0) {
                break;
            }
        }
        if (body != c.length - at || body < 1 + SALT + IV + GCM_TAG || c[at] != 0) {
            return null;
        }
        byte[] salt = Arrays.copyOfRange(c, at + 1, at + 1 + SALT);
        byte[] iv = Arrays.copyOfRange(c, at + 1 + SALT, at + 1 + SALT + IV);
        try {
            return gcm(Cipher.DECRYPT_MODE, v.secret, salt, iv, Arrays.copyOf(c, HEADER), aad, Arrays.copyOfRange(c, at + 1 + SALT + IV, c.length));
        } catch (IllegalStateException e) {
            return null;
        }
    }

    private static byte[] gcm(int mode, byte[] secret, byte[] salt, byte[] iv, byte[] header, byte[] aad, byte[] data) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(secret, "HmacSHA256"));
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(hmac.doFinal(salt), "AES"), new GCMParameterSpec(GCM_TAG * 8, iv));
            c.updateAAD(header);
            c.updateAAD(aad);
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the fake's AES-GCM failed", e);
        }
    }

    private static void writeVarint(ByteArrayOutputStream out, int v) {
        while ((v & ~0x7f) != 0) {
            out.write((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.write(v);
    }

    private static int varintSize(int v) {
        int n = 1;
        while ((v & ~0x7f) != 0) {
            v >>>= 7;
            n++;
        }
        return n;
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        FakeCryptoKey.RANDOM.nextBytes(b);
        return b;
    }

    private FakeCiphertext() {
    }
}
