package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.kms.KeyWatch;
import io.keyhold.proxy.internal.ProxyCounters;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The exact text a scraper receives: names, HELP/TYPE lines, grouping by family, label escaping. */
class PrometheusExporterTest {

    private static ProxyMetrics metrics(String cluster, ProxyCounters c, boolean locked, long encDeks, long decDeks,
                                        KeyWatch.Status kmsHealth) {
        return new ProxyMetrics(cluster, c, () -> locked, () -> encDeks, () -> decDeks, () -> kmsHealth);
    }

    @Test
    void writesEveryFamilyOnceWithOneSamplePerClusterInClusterOrderAndEscapedLabels() throws Exception {
        ProxyCounters a = new ProxyCounters();
        a.connectionsAccepted.add(3);
        a.recordsEncrypted.add(1000);
        a.recordsDecrypted.add(999);
        a.unencryptedRecordsRejected.add(4);
        a.unencryptedRecordsPassed.add(5);
        a.decryptionFailures.add(6);
        a.requestsRefusedLocked.add(7);
        a.keyTopicRequestsRefused.add(16);
        a.kmsFailures.add(8);
        a.connectionsClosedBadFrame.add(9);
        a.connectionsOpen.add(2);
        a.connectionsRefusedMax.add(10);
        a.connectionsRefusedPerAddress.add(11);
        a.connectionsClosedUnauthenticated.add(12);
        a.connectionsClosedFrameTimeout.add(13);
        a.connectionsClosedIdle.add(14);
        ProxyCounters b = new ProxyCounters();
        b.recordsEncrypted.add(Long.MAX_VALUE);
        // A cluster id with every character the format escapes in label values, plus non-ASCII left as is.
        String odd = "odd \"q\" \\ back\nline é";

        StringBuilder out = new StringBuilder();
        KeyWatch.Status outage = new KeyWatch.Status(KeyWatch.Condition.UNAVAILABLE, Instant.ofEpochSecond(1_700_000_000L),
                "503", 15, null);
        PrometheusExporter.write(List.of(metrics("orders", a, false, 2, 11, outage), metrics(odd, b, true, 0, 0, null)), out);

        String o = "cluster=\"odd \\\"q\\\" \\\\ back\\nline é\"";
        assertThat(out.toString()).isEqualTo(String.join("\n",
                "# HELP keyhold_proxy_connections_accepted_total Client connections accepted.",
                "# TYPE keyhold_proxy_connections_accepted_total counter",
                "keyhold_proxy_connections_accepted_total{" + o + "} 0",
                "keyhold_proxy_connections_accepted_total{cluster=\"orders\"} 3",
                "# HELP keyhold_proxy_records_encrypted_total Records encrypted on produce.",
                "# TYPE keyhold_proxy_records_encrypted_total counter",
                "keyhold_proxy_records_encrypted_total{" + o + "} 9223372036854775807",
                "keyhold_proxy_records_encrypted_total{cluster=\"orders\"} 1000",
                "# HELP keyhold_proxy_records_decrypted_total Records decrypted on fetch.",
                "# TYPE keyhold_proxy_records_decrypted_total counter",
                "keyhold_proxy_records_decrypted_total{" + o + "} 0",
                "keyhold_proxy_records_decrypted_total{cluster=\"orders\"} 999",
                "# HELP keyhold_proxy_unencrypted_records_rejected_total Fetched records without the encryption marker that failed"
                        + " their partition's fetch.",
                "# TYPE keyhold_proxy_unencrypted_records_rejected_total counter",
                "keyhold_proxy_unencrypted_records_rejected_total{" + o + "} 0",
                "keyhold_proxy_unencrypted_records_rejected_total{cluster=\"orders\"} 4",
                "# HELP keyhold_proxy_unencrypted_records_passed_total Fetched records without the encryption marker handed out"
                        + " under unencrypted-records: pass-through.",
                "# TYPE keyhold_proxy_unencrypted_records_passed_total counter",
                "keyhold_proxy_unencrypted_records_passed_total{" + o + "} 0",
                "keyhold_proxy_unencrypted_records_passed_total{cluster=\"orders\"} 5",
                "# HELP keyhold_proxy_decryption_failures_total Encrypted records that failed to decrypt (tampered, wrong topic,"
                        + " key refused).",
                "# TYPE keyhold_proxy_decryption_failures_total counter",
                "keyhold_proxy_decryption_failures_total{" + o + "} 0",
                "keyhold_proxy_decryption_failures_total{cluster=\"orders\"} 6",
                "# HELP keyhold_proxy_requests_refused_locked_total Produce and fetch requests refused because the cluster is locked.",
                "# TYPE keyhold_proxy_requests_refused_locked_total counter",
                "keyhold_proxy_requests_refused_locked_total{" + o + "} 0",
                "keyhold_proxy_requests_refused_locked_total{cluster=\"orders\"} 7",
                "# HELP keyhold_proxy_requests_refused_key_topic_total Admin requests refused because they name Keyhold's key topic"
                        + " __keyhold_keys.",
                "# TYPE keyhold_proxy_requests_refused_key_topic_total counter",
                "keyhold_proxy_requests_refused_key_topic_total{" + o + "} 0",
                "keyhold_proxy_requests_refused_key_topic_total{cluster=\"orders\"} 16",
                "# HELP keyhold_proxy_kms_failures_total Produce or fetch partitions that failed because the KMS refused or could"
                        + " not be reached.",
                "# TYPE keyhold_proxy_kms_failures_total counter",
                "keyhold_proxy_kms_failures_total{" + o + "} 0",
                "keyhold_proxy_kms_failures_total{cluster=\"orders\"} 8",
                "# HELP keyhold_proxy_kms_unavailable_checks_total Health checks of the cluster's key that found its KMS unavailable"
                        + " (network, throttling, 5xx, timeout).",
                "# TYPE keyhold_proxy_kms_unavailable_checks_total counter",
                "keyhold_proxy_kms_unavailable_checks_total{" + o + "} 0",
                "keyhold_proxy_kms_unavailable_checks_total{cluster=\"orders\"} 15",
                "# HELP keyhold_proxy_kms_unavailable_since_seconds When the current outage of the key's KMS began (Unix seconds);"
                        + " 0 while it answers.",
                "# TYPE keyhold_proxy_kms_unavailable_since_seconds gauge",
                "keyhold_proxy_kms_unavailable_since_seconds{" + o + "} 0",
                "keyhold_proxy_kms_unavailable_since_seconds{cluster=\"orders\"} 1700000000",
                "# HELP keyhold_proxy_connections_closed_bad_frame_total Client connections closed for a malformed or oversized frame.",
                "# TYPE keyhold_proxy_connections_closed_bad_frame_total counter",
                "keyhold_proxy_connections_closed_bad_frame_total{" + o + "} 0",
                "keyhold_proxy_connections_closed_bad_frame_total{cluster=\"orders\"} 9",
                "# HELP keyhold_proxy_connections_refused_total Client connections closed as soon as accepted, by the limit they"
                        + " were over.",
                "# TYPE keyhold_proxy_connections_refused_total counter",
                "keyhold_proxy_connections_refused_total{" + o + ",reason=\"max_connections\"} 0",
                "keyhold_proxy_connections_refused_total{" + o + ",reason=\"max_connections_per_address\"} 0",
                "keyhold_proxy_connections_refused_total{cluster=\"orders\",reason=\"max_connections\"} 10",
                "keyhold_proxy_connections_refused_total{cluster=\"orders\",reason=\"max_connections_per_address\"} 11",
                "# HELP keyhold_proxy_connections_closed_total Client connections the proxy closed, by reason (malformed frames:"
                        + " connections_closed_bad_frame_total).",
                "# TYPE keyhold_proxy_connections_closed_total counter",
                "keyhold_proxy_connections_closed_total{" + o + ",reason=\"unauthenticated_request\"} 0",
                "keyhold_proxy_connections_closed_total{" + o + ",reason=\"frame_timeout\"} 0",
                "keyhold_proxy_connections_closed_total{" + o + ",reason=\"idle_timeout\"} 0",
                "keyhold_proxy_connections_closed_total{cluster=\"orders\",reason=\"unauthenticated_request\"} 12",
                "keyhold_proxy_connections_closed_total{cluster=\"orders\",reason=\"frame_timeout\"} 13",
                "keyhold_proxy_connections_closed_total{cluster=\"orders\",reason=\"idle_timeout\"} 14",
                "# HELP keyhold_proxy_locked 1 while the cluster is locked (its key cannot be used), else 0.",
                "# TYPE keyhold_proxy_locked gauge",
                "keyhold_proxy_locked{" + o + "} 1",
                "keyhold_proxy_locked{cluster=\"orders\"} 0",
                "# HELP keyhold_proxy_connections_open Client connections open now.",
                "# TYPE keyhold_proxy_connections_open gauge",
                "keyhold_proxy_connections_open{" + o + "} 0",
                "keyhold_proxy_connections_open{cluster=\"orders\"} 2",
                "# HELP keyhold_proxy_deks Plaintext data encryption keys held in memory now, by cache (a count, never key material).",
                "# TYPE keyhold_proxy_deks gauge",
                "keyhold_proxy_deks{" + o + ",cache=\"encryption\"} 0",
                "keyhold_proxy_deks{" + o + ",cache=\"decryption\"} 0",
                "keyhold_proxy_deks{cluster=\"orders\",cache=\"encryption\"} 2",
                "keyhold_proxy_deks{cluster=\"orders\",cache=\"decryption\"} 11",
                ""));
    }

    @Test
    void noProxiesWriteNothing() throws Exception {
        StringBuilder out = new StringBuilder();
        PrometheusExporter.write(List.of(), out);
        assertThat(out).isEmpty();
    }

    @Test
    void contentTypeIsTheTextFormatVersion004() {
        assertThat(PrometheusExporter.CONTENT_TYPE).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
    }
}
