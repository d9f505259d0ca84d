package io.keyhold.crypto;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A cluster key as stored: which cluster and id, the KEK that wrapped it and the KMS's ciphertext
 * (never the key itself). Stored as the value of a record of Keyhold's internal key topic, whose
 * record key is {@link #storageKey()}. Encoding (big-endian, see {@code docs/FORMAT.md}):
 *
 * <pre>
 *   'K' 'H' u8 1 (version) u8 3 (wrapped cluster key)
 *   u16 n, cluster id | u8 11, CK id | u8 n, KEK provider | u16 n, KEK key id | u8 n, KEK version
 *   u16 n, EDEK | i64 created (epoch ms)
 * </pre>
 */
public record WrappedClusterKey(String clusterId, String id, KekRef kek, byte[] edek, long createdMillis) {
    static final byte VERSION = 1;
    static final byte KIND = 3;

    public WrappedClusterKey {
        Objects.requireNonNull(clusterId, "clusterId");
        ClusterKey.checkId(id);
        Objects.requireNonNull(kek, "kek");
        edek = edek.clone();
        if (edek.length == 0 || edek.length > 65535) {
            throw new IllegalArgumentException("wrapped cluster key must be 1..65535 bytes");
        }
    }

    @Override
    public byte[] edek() {
        return edek.clone();
    }

    /** The record key in the key topic: one per (cluster, CK), so compaction keeps each CK's newest wrapping. */
    public String storageKey() {
        return clusterId + "/" + id;
    }

    public byte[] encode() {
        byte[] c = clusterId.getBytes(StandardCharsets.UTF_8);
        byte[] i = id.getBytes(StandardCharsets.US_ASCII);
        byte[] p = kek.provider().getBytes(StandardCharsets.UTF_8);
        byte[] k = kek.keyId().getBytes(StandardCharsets.UTF_8);
        byte[] v = kek.keyVersion().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + 2 + c.length + 1 + i.length + 1 + p.length + 2 + k.length + 1 + v.length
                + 2 + edek.length + 8);
        b.put((byte) 'K').put((byte) 'H').put(VERSION).put(KIND);
        b.putShort((short) c.length).put(c);
        b.put((byte) i.length).put(i);
        b.put((byte) p.length).put(p);
        b.putShort((short) k.length).put(k);
        b.put((byte) v.length).put(v);
        b.putShort((short) edek.length).put(edek);
        b.putLong(createdMillis);
        return b.array();
    }

    /** @throws CryptoException when {@code bytes} is not a wrapped cluster key of this version */
    public static WrappedClusterKey decode(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (b.get() != 'K' || b.get() != 'H' || b.get() != VERSION || b.get() != KIND) {
                throw new CryptoException("not a wrapped cluster key of version 1");
            }
            String cluster = string(b, b.getShort() & 0xffff);
            String id = string(b, b.get() & 0xff);
            String provider = string(b, b.get() & 0xff);
            String keyId = string(b, b.getShort() & 0xffff);
            String version = string(b, b.get() & 0xff);
            byte[] edek = new byte[b.getShort() & 0xffff];
            b.get(edek);
            long created = b.getLong();
            if (b.hasRemaining()) {
                throw new CryptoException("wrapped cluster key has trailing bytes");
            }
            return new WrappedClusterKey(cluster, id, new KekRef(provider, keyId, version), edek, created);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new CryptoException("malformed wrapped cluster key");
        }
    }

    private static String string(ByteBuffer b, int n) {
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }
}
