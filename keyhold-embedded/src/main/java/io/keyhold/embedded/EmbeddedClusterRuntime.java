package io.keyhold.embedded;

import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane's {@link ClusterRuntime}: every Dedicated cluster gets an encrypting proxy in
 * this JVM in front of a real Kafka, a KRaft broker of its own or a registered existing cluster
 * ({@link EmbeddedClusters}). Calls return at once; the work for one cluster runs in call order, and
 * different clusters start and stop in parallel (after a restart every cluster comes back at once,
 * not one after the other). Provisioning ends with a phase report.
 */
public final class EmbeddedClusterRuntime implements ClusterRuntime, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedClusterRuntime.class);
    /** Broker starts are partly waiting (disk, the controller), so a few at once finish sooner than one by one. */
    private static final int PARALLEL_STARTS = Math.max(4, Runtime.getRuntime().availableProcessors());

    private final EmbeddedClusters clusters;
    private final ExecutorService work;
    /** Per cluster, the last work queued for it: the next waits for it. Guarded by {@code this}. */
    private final Map<String, CompletableFuture<Void>> queued = new HashMap<>();

    public EmbeddedClusterRuntime(EmbeddedClusters clusters) {
        this.clusters = clusters;
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(PARALLEL_STARTS, PARALLEL_STARTS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "keyhold-cluster-runtime-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        this.work = pool;
    }

    /** Starts, in the background and in parallel, every cluster that has data on this machine (after a restart). */
    public void restoreAll() {
        List<String> known;
        try {
            known = clusters.known();
        } catch (IOException e) {
            LOG.error("cannot list the clusters on this machine: {}", e.toString());
            return;
        }
        for (String id : known) {
            inOrder(id, () -> {
                try {
                    clusters.start(id, null, null);
                } catch (Exception e) {
                    LOG.error("cluster {}: cannot restart: {}", id, e.toString());
                }
            });
        }
    }

    /** Runs {@code task} after the work already queued for the cluster, on the runtime's threads. */
    private synchronized void inOrder(String clusterId, Runnable task) {
        CompletableFuture<Void> previous = queued.getOrDefault(clusterId, CompletableFuture.completedFuture(null));
        // Whatever became of the previous work (an Error escaped it), this one still runs.
        CompletableFuture<Void> next = previous.exceptionally(e -> null).thenRunAsync(task, work);
        queued.put(clusterId, next);
        next.whenComplete((v, e) -> forget(clusterId, next));
    }

    private synchronized void forget(String clusterId, CompletableFuture<Void> done) {
        queued.remove(clusterId, done);
    }

    @Override
    public void provision(Cluster cluster, StatusSink sink) {
        inOrder(cluster.id(), () -> {
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
        inOrder(clusterId, () -> {
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
    public java.util.concurrent.CompletionStage<Void> rekey(String clusterId, KeyBinding newKey, StatusSink sink) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        inOrder(clusterId, () -> {
            try {
                clusters.rekey(clusterId, newKey.kmsKind(), newKey.kmsKeyId());
                done.complete(null);
            } catch (Exception e) {
                LOG.warn("cluster {}: re-key refused or failed, it stays on its key: {}", clusterId, e.toString());
                done.completeExceptionally(e);
            } catch (Error e) {
                done.completeExceptionally(e);
                throw e;
            }
        });
        return done;
    }

    @Override
    public void kmsHealth(String clusterId, io.keyhold.kms.KeyWatch.Status status) {
        clusters.reportKmsHealth(clusterId, status);
    }

    @Override
    public void writeMetrics(Appendable out, java.util.function.Predicate<String> include) throws IOException {
        clusters.writeMetrics(out, include);
    }

    @Override
    public Set<String> notServing(Collection<String> clusterIds) {
        return clusters.notServing(clusterIds);
    }

    @Override
    public EndpointSecurity endpointSecurity() {
        return clusters.endpointSecurity();
    }

    /** Stops every cluster; their data stays for the next start. */
    @Override
    public void close() throws InterruptedException {
        work.shutdown();
        work.awaitTermination(60, TimeUnit.SECONDS);
        clusters.close();
    }
}
