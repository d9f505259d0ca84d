package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.embedded.internal.ClusterRecord;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.local.LocalKeyScope;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clusters with automatic encryption, as {@code keyhold server} runs them: the key Keyhold makes
 * for one lives in its organization's part of the local KMS, where that organization's users can
 * not list or change it, and is recorded with the cluster; a cluster recorded by an earlier release
 * keeps its unscoped key. Both survive a restart with their data readable.
 */
class AutomaticKeysTest {
    private static final String PASSPHRASE = "automatic keys test passphrase";

    @TempDir
    Path dataDir;

    @Test
    void automaticKeysAreTheOrganizationsAndRecordedAndEarlierClustersKeepTheirs() throws Exception {
        Path passphrase = dataDir.resolve("passphrase.txt");
        Files.writeString(passphrase, PASSPHRASE);
        ServerConfig config = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(),
                "kms.local.passphrase-file", passphrase.toString()), Map.of(), null).build();
        int ports = freeRangeStart();
        Map<String, String> env = Map.of("KEYHOLD_CLUSTER_PORTS", ports + "-" + (ports + 40));
        String org = UUID.randomUUID().toString();
        String value = "auto-" + UUID.randomUUID();

        LinkedBlockingQueue<String> reports = new LinkedBlockingQueue<>();
        ClusterRuntime.StatusSink sink = (id, phase, message, endpoint) -> reports.add(phase == ClusterPhase.PROVISIONED ? endpoint
                : phase + ": " + message);
        String scopedEndpoint;
        String legacyEndpoint;
        ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(config, env);
        try {
            runtime.provision(new ClusterRuntime.Cluster("lkc-new", org, "env", "audit", "LOCAL", "local", null), sink);
            scopedEndpoint = next(reports);
            // a cluster as an earlier release recorded it: no organization known, nothing recorded about its key
            runtime.provision(new ClusterRuntime.Cluster("lkc-old", null, "env", "old", "LOCAL", "local", null), sink);
            legacyEndpoint = next(reports);
            EmbeddedClustersTest.produce(scopedEndpoint, "t", value);
            EmbeddedClustersTest.produce(legacyEndpoint, "t", value);
        } finally {
            ((AutoCloseable) runtime).close();
        }
        config.kms().close();

        String scopedKey = LocalKeyScope.automaticKeyName(org, "lkc-new");
        assertThat(ClusterRecord.load(dataDir.resolve("clusters/lkc-new")).getProperty(ClusterRecord.KMS_KEY)).isEqualTo(scopedKey);
        assertThat(ClusterRecord.load(dataDir.resolve("clusters/lkc-old")).getProperty(ClusterRecord.KMS_KEY)).isNull();
        try (LocalKms store = LocalKms.open(LocalKmsOptions.of(dataDir, PASSPHRASE.toCharArray()))) {
            assertThat(store.list()).extracting(KeyInfo::keyId)
                    .containsExactlyInAnyOrder(scopedKey, LocalKeyScope.unscopedAutomaticKeyName("lkc-old"));
            // the organization's view of the store has no automatic keys, and can not reach them
            assertThat(new LocalKeyScope(store, org, true).list()).isEmpty();
            assertThat(new LocalKeyScope(store, org, true).storeName("keyhold-auto-lkc-new")).isEmpty();
        }

        // after a restart both come back on the same keys: the data written before is readable
        ServerConfig again = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(),
                "kms.local.passphrase-file", passphrase.toString()), Map.of(), null).build();
        ClusterRuntime restarted = new EmbeddedRuntimeProvider().create(again, env);
        try {
            assertThat(EmbeddedClustersTest.consume(scopedEndpoint, "t", 1)).containsExactly(value);
            assertThat(EmbeddedClustersTest.consume(legacyEndpoint, "t", 1)).containsExactly(value);
        } finally {
            ((AutoCloseable) restarted).close();
            again.kms().close();
        }
        try (LocalKms store = LocalKms.open(LocalKmsOptions.of(dataDir, PASSPHRASE.toCharArray()))) {
            assertThat(store.list()).hasSize(2);
        }
    }

    private static String next(LinkedBlockingQueue<String> reports) throws InterruptedException {
        String r = reports.poll(90, TimeUnit.SECONDS);
        assertThat(r).as("no phase report within 90 s").isNotNull();
        assertThat(r).as("provisioning").startsWith("127.0.0.1:");
        return r;
    }

    private static int freeRangeStart() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            int p = s.getLocalPort();
            return p > 60000 ? 40000 : p + 1; // a neighbourhood of a free port; the runtime skips busy ones
        }
    }
}
