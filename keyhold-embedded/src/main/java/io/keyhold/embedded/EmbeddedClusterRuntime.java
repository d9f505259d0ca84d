package io.keyhold.embedded;

import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's {@link ClusterRuntime}: every Dedicated cluster gets an encrypting proxy in
 * this JVM in front of a real Kafka, a KRaft broker of its own or a registered existing cluster
 * ({@link EmbeddedClusters}). Calls return at once; the work runs on one thread, in call order,
 * and ends with a phase report.
 */
public final class EmbeddedClusterRuntime implements ClusterRuntime, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedClusterRuntime.class);

    private final EmbeddedClusters clusters;
    private final ExecutorService work = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "keyhold-cluster-runtime");
        t.setDaemon(true);
        return t;
    });

    public EmbeddedClusterRuntime(EmbeddedClusters clusters) {
        this.clusters = clusters;
    }

    /** Starts, in the background, every cluster that has data on this machine (after a restart). */
    public void restoreAll() {
        work.execute(() -> {
            try {
                for (String id : clusters.known()) {
                    try {
                        clusters.start(id, null, null);
                    } catch (Exception e) {
                        LOG.error("cluster {}: cannot restart: {}", id, e.toString());
                    }
                }
            } catch (Exception e) {
                LOG.error("cannot list the clusters on this machine: {}", e.toString());
            }
        });
    }

    @Override
    public void provision(Cluster cluster, StatusSink sink) {
        work.execute(() -> {
            try {
                KeyBinding key = cluster.key();
                String endpoint = clusters.start(cluster.id(), new EmbeddedClusters.Placement(cluster.cloud(), cluster.region()),
                        cluster.organizationId(), key == null ? null : key.kmsKind(), key == null ? null : key.kmsKeyId());
                sink.report(cluster.id(), ClusterPhase.PROVISIONED, null, endpoint);
            } catch (Exception e) {
                LOG.error("cluster {}: cannot start: {}", cluster.id(), e.toString());
                sink.report(cluster.id(), ClusterPhase.FAILED, "Keyhold could not start the cluster: " + e.getMessage(), null);
            }
        });
    }

    @Override
    public void deprovision(String clusterId) {
        work.execute(() -> {
            try {
                clusters.delete(clusterId);
            } catch (Exception e) {
                LOG.error("cluster {}: cannot delete it: {}", clusterId, e.toString());
            }
        });
    }

    @Override
    public void lock(String clusterId, String reason, StatusSink sink) {
        // Locking must not wait behind a slow start: it only flips the proxy and wipes DEKs.
        clusters.lock(clusterId);
        sink.report(clusterId, ClusterPhase.LOCKED, reason, clusters.endpoint(clusterId).orElse(null));
    }

    @Override
    public void unlock(String clusterId, StatusSink sink) {
        clusters.unlock(clusterId);
        sink.report(clusterId, ClusterPhase.PROVISIONED, null, clusters.endpoint(clusterId).orElse(null));
    }

    @Override
    public void keyVersionChanged(String clusterId) {
        clusters.retireEncryptionDeks(clusterId);
    }

    @Override
    public void writeMetrics(Appendable out, java.util.function.Predicate<String> include) throws java.io.IOException {
        clusters.writeMetrics(out, include);
    }

    /** Stops every cluster; their data stays for the next start. */
    @Override
    public void close() throws InterruptedException {
        work.shutdown();
        work.awaitTermination(60, TimeUnit.SECONDS);
        clusters.close();
    }
}
