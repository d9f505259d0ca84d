package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.ClusterRuntimeProvider;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control plane's runtime hook as `keyhold server` installs it: phases reported, clusters really run. */
class EmbeddedClusterRuntimeTest {
    @TempDir
    Path dataDir;

    record Report(String clusterId, ClusterPhase phase, String message, String endpoint) {
    }

    @Test
    void serverFindsTheRuntimeAndClustersGoFromProvisioningToProvisionedLockedAndDeleted() throws Exception {
        assertThat(ClusterRuntimeProvider.installed()).get().isInstanceOf(EmbeddedRuntimeProvider.class);
        Path passphrase = dataDir.resolve("passphrase.txt");
        Files.writeString(passphrase, "runtime test passphrase");
        try (LocalKms kms = LocalKms.open(LocalKmsOptions.of(dataDir, "runtime test passphrase".toCharArray()))) {
            kms.create("customer-key");
        }
        ServerConfig config = ServerConfigLoader.load(Map.of("data-dir", dataDir.toString(),
                "kms.local.passphrase-file", passphrase.toString()), Map.of(), null).build();
        LinkedBlockingQueue<Report> reports = new LinkedBlockingQueue<>();
        ClusterRuntime.StatusSink sink = (id, phase, message, endpoint) -> reports.add(new Report(id, phase, message, endpoint));

        ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(config);
        try {
            runtime.provision(new ClusterRuntime.Cluster("lkc-byok", "org", "env", "orders", "local", "local",
                    new ClusterRuntime.KeyBinding("cck-1", "local", "customer-key")), sink);
            runtime.provision(new ClusterRuntime.Cluster("lkc-auto", "org", "env", "audit", "local", "local", null), sink);
            Report byok = next(reports);
            Report auto = next(reports);
            assertThat(List.of(byok.phase(), auto.phase())).as(byok + " / " + auto).containsOnly(ClusterPhase.PROVISIONED);
            assertThat(byok.endpoint()).startsWith("127.0.0.1:").isNotEqualTo(auto.endpoint());

            String value = "runtime-" + java.util.UUID.randomUUID();
            EmbeddedClustersTest.produce(byok.endpoint(), "t", value);
            assertThat(EmbeddedClustersTest.consume(byok.endpoint(), "t", 1)).containsExactly(value);
            EmbeddedClustersTest.produce(auto.endpoint(), "t", value);
            assertThat(EmbeddedClustersTest.consume(auto.endpoint(), "t", 1)).containsExactly(value);
            assertThat(EmbeddedClustersTest.filesContaining(dataDir.resolve("clusters"), value)).isEmpty();

            runtime.lock("lkc-byok", "key disabled", sink);
            assertThat(next(reports)).isEqualTo(new Report("lkc-byok", ClusterPhase.LOCKED, "key disabled", byok.endpoint()));
            runtime.unlock("lkc-byok", sink);
            assertThat(next(reports)).isEqualTo(new Report("lkc-byok", ClusterPhase.PROVISIONED, null, byok.endpoint()));

            runtime.deprovision("lkc-auto");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (Files.exists(dataDir.resolve("clusters/lkc-auto")) && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(dataDir.resolve("clusters/lkc-auto")).doesNotExist();
            assertThat(dataDir.resolve("clusters/lkc-byok/cluster.properties")).exists();
        } finally {
            ((AutoCloseable) runtime).close();
        }
    }

    private static Report next(LinkedBlockingQueue<Report> reports) throws InterruptedException {
        Report r = reports.poll(60, TimeUnit.SECONDS);
        assertThat(r).as("no phase report within 60 s").isNotNull();
        return r;
    }
}
