package io.keyhold.proxy;

/**
 * What a fetch does with a record that lacks Keyhold's encryption marker. On a cluster whose
 * records all go through the proxy, such a record was written behind the proxy's back (directly to
 * a broker), so by default it is treated as an anomaly. Since record format 2 that includes a
 * tombstone without headers: the proxy seals every tombstone, so a bare one could delete any key
 * of a compacted topic without the key's owner.
 */
public enum UnencryptedRecordPolicy {
    /** Fail the partition's fetch with {@code CORRUPT_MESSAGE} and count it in {@link ProxyMetrics}. */
    REJECT,
    /**
     * As {@link #REJECT}, except that tombstones without headers are handed out as stored (counted as
     * passed): format 1 proxies stored those bare, so a compacted topic written before the upgrade
     * holds some until its {@code delete.retention.ms} has passed. For that transition only.
     */
    REJECT_EXCEPT_BARE_TOMBSTONES,
    /** Hand the record to the consumer as it is stored (still counted). For migrating existing topics. */
    PASS_THROUGH;

    /** Whether a fetched record without the marker fails its partition; {@code bareTombstone}: null value, no headers. */
    public boolean refuses(boolean bareTombstone) {
        return this == REJECT || (this == REJECT_EXCEPT_BARE_TOMBSTONES && !bareTombstone);
    }
}
