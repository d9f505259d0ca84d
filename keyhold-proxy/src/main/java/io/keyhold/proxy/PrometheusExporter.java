package io.keyhold.proxy;

import io.keyhold.proxy.internal.PrometheusText;
import java.io.IOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * Renders the metrics of any number of proxies in the Prometheus text format 0.0.4, as families
 * named {@code keyhold_proxy_*} with a {@code cluster} label (the proxy's cluster id). All proxies go
 * into one call because the format wants each family's samples together. The metric list is in
 * {@code docs/PROXY.md}.
 */
public final class PrometheusExporter {
    /** The HTTP {@code Content-Type} of what {@link #write} produces. */
    public static final String CONTENT_TYPE = PrometheusText.CONTENT_TYPE;

    private static final String PREFIX = "keyhold_proxy_";

    /** One series of a family: its value, and the value of the family's extra label (null when it has none). */
    private record Series(String labelValue, ToLongFunction<ProxyMetrics> value) {
    }

    private record Family(String name, String type, String help, String label, List<Series> series) {
        static Family counter(String name, String help, ToLongFunction<ProxyMetrics> value) {
            return new Family(PREFIX + name + "_total", "counter", help, null, List.of(new Series(null, value)));
        }

        static Family gauge(String name, String help, ToLongFunction<ProxyMetrics> value) {
            return new Family(PREFIX + name, "gauge", help, null, List.of(new Series(null, value)));
        }
    }

    private static final List<Family> FAMILIES = List.of(
            Family.counter("connections_accepted", "Client connections accepted.", ProxyMetrics::connectionsAccepted),
            Family.counter("records_encrypted", "Records encrypted on produce.", ProxyMetrics::recordsEncrypted),
            Family.counter("records_decrypted", "Records decrypted on fetch.", ProxyMetrics::recordsDecrypted),
            Family.counter("unencrypted_records_rejected",
                    "Fetched records without the encryption marker that failed their partition's fetch.",
                    ProxyMetrics::unencryptedRecordsRejected),
            Family.counter("unencrypted_records_passed",
                    "Fetched records without the encryption marker handed out under unencrypted-records: pass-through.",
                    ProxyMetrics::unencryptedRecordsPassed),
            Family.counter("decryption_failures", "Encrypted records that failed to decrypt (tampered, wrong topic, key refused).",
                    ProxyMetrics::decryptionFailures),
            Family.counter("requests_refused_locked", "Produce and fetch requests refused because the cluster is locked.",
                    ProxyMetrics::requestsRefusedLocked),
            Family.counter("requests_refused_key_topic", "Admin requests refused because they name Keyhold's key topic __keyhold_keys.",
                    ProxyMetrics::keyTopicRequestsRefused),
            Family.counter("kms_failures", "Produce or fetch partitions that failed because the KMS refused or could not be reached.",
                    ProxyMetrics::kmsFailures),
            Family.counter("kms_unavailable_checks",
                    "Health checks of the cluster's key that found its KMS unavailable (network, throttling, 5xx, timeout).",
                    ProxyMetrics::kmsUnavailableChecks),
            Family.gauge("kms_unavailable_since_seconds",
                    "When the current outage of the key's KMS began (Unix seconds); 0 while it answers.",
                    ProxyMetrics::kmsUnavailableSinceSeconds),
            Family.counter("connections_closed_bad_frame", "Client connections closed for a malformed or oversized frame.",
                    ProxyMetrics::connectionsClosedBadFrame),
            new Family(PREFIX + "connections_refused_total", "counter",
                    "Client connections closed as soon as accepted, by the limit they were over.", "reason",
                    List.of(new Series("max_connections", ProxyMetrics::connectionsRefusedMaxConnections),
                            new Series("max_connections_per_address", ProxyMetrics::connectionsRefusedPerAddress))),
            new Family(PREFIX + "connections_closed_total", "counter",
                    "Client connections the proxy closed, by reason (malformed frames: connections_closed_bad_frame_total).",
                    "reason", List.of(new Series("unauthenticated_request", ProxyMetrics::connectionsClosedUnauthenticated),
                            new Series("frame_timeout", ProxyMetrics::connectionsClosedFrameTimeout),
                            new Series("idle_timeout", ProxyMetrics::connectionsClosedIdle))),
            Family.gauge("locked", "1 while the cluster is locked (its key cannot be used), else 0.", m -> m.locked() ? 1 : 0),
            Family.gauge("connections_open", "Client connections open now.", ProxyMetrics::connectionsOpen),
            new Family(PREFIX + "deks", "gauge", "Plaintext data encryption keys held in memory now, by cache (a count, never key material).",
                    "cache", List.of(new Series("encryption", ProxyMetrics::encryptionDeks),
                    new Series("decryption", ProxyMetrics::decryptionDeks))));

    private PrometheusExporter() {
    }

    /**
     * Appends every family for {@code proxies} (in cluster id order, so scrapes are stable) to
     * {@code out}; nothing at all when there are no proxies.
     */
    public static void write(Collection<ProxyMetrics> proxies, Appendable out) throws IOException {
        if (proxies.isEmpty()) {
            return;
        }
        List<ProxyMetrics> sorted = proxies.stream().sorted(Comparator.comparing(ProxyMetrics::clusterId)).toList();
        PrometheusText text = new PrometheusText(out);
        for (Family f : FAMILIES) {
            text.family(f.name(), f.type(), f.help());
            for (ProxyMetrics m : sorted) {
                for (Series s : f.series()) {
                    long v = s.value().applyAsLong(m);
                    if (f.label() == null) {
                        text.sample(f.name(), v, "cluster", m.clusterId());
                    } else {
                        text.sample(f.name(), v, "cluster", m.clusterId(), f.label(), s.labelValue());
                    }
                }
            }
        }
    }
}
