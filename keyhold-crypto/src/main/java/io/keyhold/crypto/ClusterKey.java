package io.keyhold.crypto;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A cluster key (CK): a 256-bit key per Keyhold cluster, wrapped by the customer's KMS key, from which
 * the cluster's record DEKs are derived without further KMS calls (like S3 Bucket Keys). See
 * {@code docs/FORMAT.md}, "Cluster keys".
 *
 * <p>DEK = HKDF-SHA256 (RFC 5869) with IKM = the CK, salt = {@value #SALT}, info = the DEK's encryption
 * context in its canonical encoding followed by the 8-byte DEK id. A DEK is therefore bound to its
 * cluster key, its context (cluster and topic) and its id; the id is random, so DEKs of one topic
 * rotate as before (a fresh id, no KMS call).
 */
public final class ClusterKey implements AutoCloseable {
    /** {@link KekRef#provider()} of the DEKs derived from cluster keys (key id = the CK's id). */
    public static final String PROVIDER = "ck";
    public static final int ID_LENGTH = 8;
    /** The DEK id length of envelope version 1 under a cluster key (read only: new DEKs get compact ids). */
    public static final int DEK_ID_LENGTH = 8;
    /** The DEK id length of new DEKs, written in the compact envelope layout (see {@code CompactEnvelope}). */
    public static final int COMPACT_DEK_ID_LENGTH = 12;
    static final String SALT = "keyhold.cluster-key.v1";
    /** The encryption context a CK is wrapped under at the KMS: bound to its cluster and its id. */
    public static final String PURPOSE = "cluster-key";
    public static final String ID_PAIR = "keyhold-cluster-key";

    private final String id;
    private final DataKey key;

    /** Takes ownership of {@code key}; {@code id} is the CK's text id ({@link #idText}). */
    public ClusterKey(String id, DataKey key) {
        this.id = checkId(id);
        this.key = Objects.requireNonNull(key, "key");
    }

    /** A fresh random id, as text: base64url of 8 random bytes, unpadded (11 characters). */
    public static String newId() {
        byte[] b = new byte[ID_LENGTH];
        Random.RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String checkId(String id) {
        Objects.requireNonNull(id, "id");
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(id);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a cluster key id");
        }
        if (raw.length != ID_LENGTH || id.length() != 11) {
            throw new IllegalArgumentException("not a cluster key id");
        }
        return id;
    }

    /** The context the KMS wraps cluster key {@code id} of cluster {@code clusterId} under. */
    public static EncryptionContext wrappingContext(String clusterId, String id) {
        return EncryptionContext.of(Map.of(EncryptionContext.CLUSTER, clusterId, EncryptionContext.PURPOSE, PURPOSE,
                ID_PAIR, checkId(id)));
    }

    public String id() {
        return id;
    }

    /** The KEK reference a derived DEK's envelope carries: this CK, named by id. */
    public KekRef kekRef() {
        return new KekRef(PROVIDER, id, "");
    }

    /**
     * The DEK with id {@code dekId} (12 bytes, or 8 in envelopes written before the compact layout) for
     * {@code context}; the caller owns it. The two lengths never yield the same HKDF info: the
     * canonical context ends where a fixed-size id of its envelope's layout begins.
     */
    public DataKey derive(EncryptionContext context, byte[] dekId) {
        if (dekId.length != DEK_ID_LENGTH && dekId.length != COMPACT_DEK_ID_LENGTH) {
            throw new CryptoException("a derived DEK's id is " + COMPACT_DEK_ID_LENGTH + " or " + DEK_ID_LENGTH
                    + " bytes, got " + dekId.length);
        }
        byte[] ctx = context.canonicalBytes();
        byte[] info = Arrays.copyOf(ctx, ctx.length + dekId.length);
        System.arraycopy(dekId, 0, info, ctx.length, dekId.length);
        byte[] okm = key.withKeyBytes(ikm -> hkdfSha256(ikm, SALT.getBytes(java.nio.charset.StandardCharsets.US_ASCII), info));
        return DataKey.fromBytesWipingSource(okm);
    }

    /** HKDF-SHA256 for one 32-byte output block (RFC 5869: extract, then T(1) = HMAC(PRK, info || 0x01)). */
    static byte[] hkdfSha256(byte[] ikm, byte[] salt, byte[] info) {
        byte[] prk = null;
        try {
            Mac extract = Mac.getInstance("HmacSHA256");
            extract.init(new SecretKeySpec(salt, "HmacSHA256"));
            prk = extract.doFinal(ikm);
            Mac expand = Mac.getInstance("HmacSHA256");
            expand.init(new SecretKeySpec(prk, "HmacSHA256"));
            expand.update(info);
            expand.update((byte) 1);
            return expand.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK offers no HmacSHA256", e);
        } finally {
            if (prk != null) {
                Arrays.fill(prk, (byte) 0);
            }
        }
    }

    public boolean isDestroyed() {
        return key.isDestroyed();
    }

    /** Wipes the key; DEKs derived from it earlier are separate keys with their own lifetimes. */
    @Override
    public void close() {
        key.destroy();
    }

    @Override
    public String toString() {
        return "ClusterKey[" + id + "]";
    }

    /** One random source for ids. */
    private static final class Random {
        static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
    }
}
