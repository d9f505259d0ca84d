package io.keyhold.crypto;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a DEK is for, bound to it when the KMS wraps it: a wrapped DEK unwraps only with the same
 * context. Keyhold's proxies use {@link #forTopic the cluster id and the topic}, so a DEK wrapped
 * for one cluster never unwraps for another, even under the same KMS key.
 *
 * <p>Providers pass the context to the KMS wherever the KMS can bind it (AWS {@code EncryptionContext},
 * Google {@code additional_authenticated_data}, the local KMS's AEAD associated data), and
 * otherwise bind it themselves. The pairs are not secret: they appear in KMS audit logs such as
 * AWS CloudTrail, which is where a customer sees which cluster used their key. Immutable.
 */
public final class EncryptionContext {
    /** The Keyhold cluster the DEK belongs to. */
    public static final String CLUSTER = "keyhold-cluster";
    /** The topic the DEK encrypts records of. */
    public static final String TOPIC = "keyhold-topic";
    /** What else a DEK may be for, when not records: e.g. {@code secrets-file}, {@code health-check}. */
    public static final String PURPOSE = "keyhold-purpose";

    private static final int MAX_BYTES = 4096;

    private final SortedMap<String, String> pairs;
    private final int hash;

    private EncryptionContext(SortedMap<String, String> pairs) {
        this.pairs = Collections.unmodifiableSortedMap(pairs);
        this.hash = pairs.hashCode();
    }

    /** A context of these pairs; keys and values non-empty, 4 KiB at most in all. */
    public static EncryptionContext of(Map<String, String> pairs) {
        TreeMap<String, String> copy = new TreeMap<>();
        int size = 0;
        for (Map.Entry<String, String> e : pairs.entrySet()) {
            String k = Objects.requireNonNull(e.getKey(), "context key");
            String v = Objects.requireNonNull(e.getValue(), "context value");
            if (k.isEmpty() || v.isEmpty()) {
                throw new IllegalArgumentException("encryption context keys and values must not be empty");
            }
            size += k.getBytes(StandardCharsets.UTF_8).length + v.getBytes(StandardCharsets.UTF_8).length;
            copy.put(k, v);
        }
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("an encryption context must have at least one pair");
        }
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException("encryption context is " + size + " bytes; at most " + MAX_BYTES);
        }
        return new EncryptionContext(copy);
    }

    /** The context of the DEKs a proxy uses for the records of {@code topic} in cluster {@code clusterId}. */
    public static EncryptionContext forTopic(String clusterId, String topic) {
        return of(Map.of(CLUSTER, clusterId, TOPIC, topic));
    }

    /** A context for a DEK that is not for records, e.g. {@code forPurpose("secrets-file")}. */
    public static EncryptionContext forPurpose(String purpose) {
        return of(Map.of(PURPOSE, purpose));
    }

    /** The pairs, sorted by key. */
    public SortedMap<String, String> pairs() {
        return pairs;
    }

    /**
     * A canonical encoding for KMSs that take bytes (Google's AAD, the local KMS): each pair as
     * length-prefixed UTF-8 key and value, in key order, so equal contexts give equal bytes and no
     * two different contexts collide.
     */
    public byte[] canonicalBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("keyhold.context.v1".getBytes(StandardCharsets.US_ASCII));
        for (Map.Entry<String, String> e : pairs.entrySet()) {
            writePart(out, e.getKey());
            writePart(out, e.getValue());
        }
        return out.toByteArray();
    }

    private static void writePart(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length >>> 24);
        out.write(b.length >>> 16);
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof EncryptionContext && hash == ((EncryptionContext) o).hash
                && pairs.equals(((EncryptionContext) o).pairs);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return "EncryptionContext" + pairs;
    }
}
