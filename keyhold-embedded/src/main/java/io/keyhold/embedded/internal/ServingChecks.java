package io.keyhold.embedded.internal;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Probes cluster endpoints for readiness checks: in parallel (a few threads) and within a deadline (an
 * endpoint that has not answered by then does not serve, this time). An endpoint found serving is not
 * probed again for a second, so that load balancers and Kubernetes probing every second cost one
 * short connection per cluster; one that does not serve is probed on every check, so the first check
 * after a cluster comes up sees it. A probe still running at the deadline is not abandoned: the next
 * check waits for it rather than starting another, and uses its answer (on a starved machine a probe
 * can take longer than one check may wait).
 */
public final class ServingChecks implements AutoCloseable {
    private static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int THREADS = 8;

    /** A probe of one endpoint: when it found the endpoint serving, or null when it did not. */
    private record Probe(InetSocketAddress endpoint, CompletableFuture<Long> servedAtNanos) {
        boolean running() {
            return !servedAtNanos.isDone();
        }

        boolean servedRecently(long now) {
            Long at = servedAtNanos.getNow(null);
            return at != null && now - at < FRESH_NANOS;
        }
    }

    private final EndpointProbe probe;
    private final long deadlineNanos;
    private final Map<String, Probe> last = new ConcurrentHashMap<>();
    private final ThreadPoolExecutor pool;

    public ServingChecks(EndpointProbe probe, Duration deadline) {
        this.probe = probe;
        this.deadlineNanos = deadline.toNanos();
        this.pool = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "keyhold-cluster-readiness");
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
    }

    /** The ids whose endpoint (id to address) does not serve Kafka clients now. */
    public Set<String> notServing(Map<String, InetSocketAddress> endpoints) {
        long start = System.nanoTime();
        Map<String, Probe> asked = new HashMap<>();
        endpoints.forEach((id, endpoint) -> {
            Probe p = last.get(id);
            boolean reusable = p != null && p.endpoint().equals(endpoint) && (p.running() || p.servedRecently(start));
            asked.put(id, reusable ? p : probe(id, endpoint));
        });
        Set<String> down = new TreeSet<>();
        asked.forEach((id, p) -> {
            try {
                if (p.servedAtNanos().get(Math.max(0, deadlineNanos - (System.nanoTime() - start)), TimeUnit.NANOSECONDS) == null) {
                    down.add(id);
                }
            } catch (TimeoutException | ExecutionException e) {
                down.add(id);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                down.add(id);
            }
        });
        last.keySet().retainAll(endpoints.keySet()); // forget clusters no longer asked about (deleted, locked)
        return down;
    }

    private Probe probe(String id, InetSocketAddress endpoint) {
        Probe p = new Probe(endpoint, CompletableFuture.supplyAsync(() -> probe.serves(endpoint) ? System.nanoTime() : null, pool));
        last.put(id, p);
        return p;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
