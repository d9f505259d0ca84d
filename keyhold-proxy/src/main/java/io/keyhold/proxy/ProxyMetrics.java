package io.keyhold.proxy;

import io.keyhold.kms.KeyWatch;
import io.keyhold.proxy.internal.ProxyCounters;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Counters and gauges of one proxy. Never holds key material or record contents (the DEK gauges
 * are counts); safe to export as they are, e.g. with {@link PrometheusExporter}.
 */
public final class ProxyMetrics {
    private final String clusterId;
    private final ProxyCounters c;
    private final BooleanSupplier locked;
    private final LongSupplier encryptionDeks;
    private final LongSupplier decryptionDeks;
    private final Supplier<KeyWatch.Status> kmsHealth;

    ProxyMetrics(String clusterId, ProxyCounters counters, BooleanSupplier locked, LongSupplier encryptionDeks,
                 LongSupplier decryptionDeks) {
        this(clusterId, counters, locked, encryptionDeks, decryptionDeks, () -> null);
    }

    ProxyMetrics(String clusterId, ProxyCounters counters, BooleanSupplier locked, LongSupplier encryptionDeks,
                 LongSupplier decryptionDeks, Supplier<KeyWatch.Status> kmsHealth) {
        this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
        this.c = counters;
        this.locked = locked;
        this.encryptionDeks = encryptionDeks;
        this.decryptionDeks = decryptionDeks;
        this.kmsHealth = kmsHealth;
    }

    /** The cluster these metrics belong to ({@link ProxyConfig#clusterId()}). */
    public String clusterId() {
        return clusterId;
    }

    /** Whether the cluster is locked right now (produce and fetch refused). */
    public boolean locked() {
        return locked.getAsBoolean();
    }

    /** Client connections open right now. */
    public long connectionsOpen() {
        return c.connectionsOpen.sum();
    }

    /** Plaintext DEKs held for encryption right now (a count; never the keys). */
    public long encryptionDeks() {
        return encryptionDeks.getAsLong();
    }

    /** Unwrapped DEKs held for decryption right now (a count; never the keys). */
    public long decryptionDeks() {
        return decryptionDeks.getAsLong();
    }

    /** Health checks of the cluster's key that found its KMS unavailable (a counter; 0 before the first check). */
    public long kmsUnavailableChecks() {
        KeyWatch.Status s = kmsHealth.get();
        return s == null ? 0 : s.unavailableChecks();
    }

    /** When the current KMS outage began, in Unix seconds; 0 while the KMS answers. */
    public long kmsUnavailableSinceSeconds() {
        KeyWatch.Status s = kmsHealth.get();
        return s == null || s.unavailableSince() == null ? 0 : s.unavailableSince().getEpochSecond();
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

    /** Admin requests (delete topics or records, configs, partitions) refused because they name Keyhold's key topic. */
    public long keyTopicRequestsRefused() {
        return c.keyTopicRequestsRefused.sum();
    }

    /** Produce or fetch partitions that failed because the KMS refused or could not be reached. */
    public long kmsFailures() {
        return c.kmsFailures.sum();
    }

    /** Requests and responses that waited, parked off the event loop, for the KMS to supply a DEK. */
    public long requestsWaitedForKms() {
        return c.requestsWaitedForKms.sum();
    }

    /** Client connections closed because they sent a malformed or oversized frame. */
    public long connectionsClosedBadFrame() {
        return c.connectionsClosedBadFrame.sum();
    }

    /** Client connections closed for a request other than ApiVersions and SASL before the broker authenticated them. */
    public long connectionsClosedUnauthenticated() {
        return c.connectionsClosedUnauthenticated.sum();
    }

    /** Client connections closed because a frame they began was not complete within the frame timeout. */
    public long connectionsClosedFrameTimeout() {
        return c.connectionsClosedFrameTimeout.sum();
    }

    /** Client connections closed after the idle timeout. */
    public long connectionsClosedIdle() {
        return c.connectionsClosedIdle.sum();
    }

    /** Client connections refused at once: the proxy held {@code max-connections}. */
    public long connectionsRefusedMaxConnections() {
        return c.connectionsRefusedMax.sum();
    }

    /** Client connections refused at once: their address held {@code max-connections-per-address}. */
    public long connectionsRefusedPerAddress() {
        return c.connectionsRefusedPerAddress.sum();
    }

    /** All counters (not the gauges) by name, for logs. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("connections_accepted", connectionsAccepted());
        m.put("records_encrypted", recordsEncrypted());
        m.put("records_decrypted", recordsDecrypted());
        m.put("unencrypted_records_rejected", unencryptedRecordsRejected());
        m.put("unencrypted_records_passed", unencryptedRecordsPassed());
        m.put("decryption_failures", decryptionFailures());
        m.put("requests_refused_locked", requestsRefusedLocked());
        m.put("requests_refused_key_topic", keyTopicRequestsRefused());
        m.put("kms_failures", kmsFailures());
        m.put("requests_waited_for_kms", requestsWaitedForKms());
        m.put("kms_unavailable_checks", kmsUnavailableChecks());
        m.put("connections_closed_bad_frame", connectionsClosedBadFrame());
        m.put("connections_closed_unauthenticated", connectionsClosedUnauthenticated());
        m.put("connections_closed_frame_timeout", connectionsClosedFrameTimeout());
        m.put("connections_closed_idle", connectionsClosedIdle());
        m.put("connections_refused_max_connections", connectionsRefusedMaxConnections());
        m.put("connections_refused_max_connections_per_address", connectionsRefusedPerAddress());
        return m;
    }
}
