package io.keyhold.server.internal.clusters;

import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this server is ready for traffic: the control plane has started, the database answers,
 * and every cluster that should be PROVISIONED serves Kafka clients at its endpoint (the
 * {@link ClusterRuntime} says which do not).
 *
 * <p>Checks run one at a time on one thread of their own and callers arriving meanwhile share the
 * running one, so probes every second never pile up HTTP threads, even while the database hangs; a
 * check that has not finished within the deadline answers "not ready".
 */
public final class ReadinessCheck implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReadinessCheck.class);

    /** How the database answered. */
    public enum Database { OK, UNREACHABLE, NO_ANSWER }

    /** A PROVISIONED cluster and whether its endpoint serves. */
    public record Cluster(ClusterRow row, boolean serving) {
    }

    /**
     * @param started  the control plane finished starting
     * @param clusters every PROVISIONED cluster, of every organization (empty unless the database answered)
     */
    public record Report(boolean started, Database database, List<Cluster> clusters) {
        public boolean ready() {
            return started && database == Database.OK && clusters.stream().allMatch(Cluster::serving);
        }
    }

    private final BooleanSupplier started;
    private final ClusterStore store;
    private final ClusterRuntime runtime;
    private final long deadlineMillis;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "keyhold-readiness");
        t.setDaemon(true);
        return t;
    });
    private CompletableFuture<Report> running; // guarded by this
    private boolean databaseDown; // only the check thread uses it: to log changes, not every probe

    public ReadinessCheck(BooleanSupplier started, ClusterStore store, ClusterRuntime runtime, Duration deadline) {
        this.started = started;
        this.store = store;
        this.runtime = runtime;
        this.deadlineMillis = deadline.toMillis();
    }

    public Report check() {
        if (!started.getAsBoolean()) {
            return new Report(false, Database.NO_ANSWER, List.of());
        }
        CompletableFuture<Report> check;
        synchronized (this) {
            if (running == null || running.isDone()) {
                running = CompletableFuture.supplyAsync(this::run, thread);
            }
            check = running;
        }
        try {
            return check.get(deadlineMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return new Report(true, Database.NO_ANSWER, List.of());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Report(true, Database.NO_ANSWER, List.of());
        }
    }

    private Report run() {
        List<ClusterRow> provisioned;
        try {
            provisioned = store.inPhase(ClusterPhase.PROVISIONED);
        } catch (RuntimeException e) {
            if (!databaseDown) {
                LOG.warn("not ready: the database does not answer: {}", e.toString());
            }
            databaseDown = true;
            return new Report(true, Database.UNREACHABLE, List.of());
        }
        if (databaseDown) {
            LOG.info("the database answers again");
        }
        databaseDown = false;
        Set<String> down = provisioned.isEmpty() ? Set.of() : runtime.notServing(provisioned.stream().map(ClusterRow::id).toList());
        return new Report(true, Database.OK, provisioned.stream().map(c -> new Cluster(c, !down.contains(c.id()))).toList());
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
