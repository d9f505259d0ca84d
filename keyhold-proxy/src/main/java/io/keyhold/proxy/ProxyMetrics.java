package io.keyhold.proxy;

import java.util.LinkedHashMap;
import java.util.Map;
import io.keyhold.proxy.internal.ProxyCounters;

/**
 * Counters of one proxy. Never holds key material or record contents; safe to export as they are.
 */
public final class ProxyMetrics {
    private final ProxyCounters c;

    ProxyMetrics(ProxyCounters counters) {
        this.c = counters;
    }

    public long connectionsAccepted() {
        return c.connectionsAccepted.sum();
    }

    public long recordsEncrypted() {
        return c.recordsEncrypted.sum();
    }

    public long recordsDecrypted() {
        return c.recordsDecrypted.sum();
    }

    /** Fetched records without the encryption marker that failed their partition's fetch. */
    public long unencryptedRecordsRejected() {
        return c.unencryptedRecordsRejected.sum();
    }

    /** Fetched records without the encryption marker handed out under {@link UnencryptedRecordPolicy#PASS_THROUGH}. */
    public long unencryptedRecordsPassed() {
        return c.unencryptedRecordsPassed.sum();
    }

    /** Encrypted records that failed to decrypt (tampered, wrong topic, under another cluster's key, key refused). */
    public long decryptionFailures() {
        return c.decryptionFailures.sum();
    }

    /** Produce and fetch requests answered with an error because the cluster is locked. */
    public long requestsRefusedLocked() {
        return c.requestsRefusedLocked.sum();
    }

    /** Produce or fetch partitions that failed because the KMS refused or could not be reached. */
    public long kmsFailures() {
        return c.kmsFailures.sum();
    }

    /** Client connections closed because they sent a malformed or oversized frame. */
    public long connectionsClosedBadFrame() {
        return c.connectionsClosedBadFrame.sum();
    }

    /** All counters by name, for exporters and logs. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("connections_accepted", connectionsAccepted());
        m.put("records_encrypted", recordsEncrypted());
        m.put("records_decrypted", recordsDecrypted());
        m.put("unencrypted_records_rejected", unencryptedRecordsRejected());
        m.put("unencrypted_records_passed", unencryptedRecordsPassed());
        m.put("decryption_failures", decryptionFailures());
        m.put("requests_refused_locked", requestsRefusedLocked());
        m.put("kms_failures", kmsFailures());
        m.put("connections_closed_bad_frame", connectionsClosedBadFrame());
        return m;
    }
}
