package io.keyhold.proxy;

/**
 * What a fetch does with a record that lacks Keyhold's encryption marker. On a cluster whose
 * records all go through the proxy, such a record was written behind the proxy's back (directly to
 * a broker), so by default it is treated as an anomaly.
 */
public enum UnencryptedRecordPolicy {
    /** Fail the partition's fetch with {@code CORRUPT_MESSAGE} and count it in {@link ProxyMetrics}. */
    REJECT,
    /** Hand the record to the consumer as it is stored (still counted). For migrating existing topics. */
    PASS_THROUGH
}
