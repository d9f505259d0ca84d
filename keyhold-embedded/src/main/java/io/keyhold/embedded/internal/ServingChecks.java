package io.keyhold.embedded.internal;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Probes cluster endpoints for readiness checks: in parallel (a few threads), within a deadline (an
 * endpoint that has not answered by then does not serve), and reusing a "serves" for a second, so that
 * load balancers and Kubernetes probing every second cost one short connection per cluster. A "does
 * not serve" is never reused: the first probe after a cluster comes up sees it.
 */
public final class ServingChecks implements AutoCloseable {
    private static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final int THREADS = 8;

    /** The endpoint served at that time. */
    private record Answer(InetSocketAddress endpoint, long atNanos) {
    }

    private final EndpointProbe probe;
    private final long deadlineNanos;
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
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
        Set<String> down = new TreeSet<>();
        Map<String, Future<Boolean>> asked = new HashMap<>();
        endpoints.forEach((id, endpoint) -> {
            Answer a = answers.get(id);
            if (a == null || !a.endpoint().equals(endpoint) || start - a.atNanos() >= FRESH_NANOS) {
                asked.put(id, pool.submit(() -> probe.serves(endpoint)));
            }
        });
        asked.forEach((id, answer) -> {
            boolean serves;
            try {
                serves = answer.get(Math.max(0, deadlineNanos - (System.nanoTime() - start)), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                answer.cancel(true);
                serves = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                serves = false;
            }
            if (serves) {
                answers.put(id, new Answer(endpoints.get(id), System.nanoTime()));
            } else {
                answers.remove(id);
                down.add(id);
            }
        });
        answers.values().removeIf(a -> start - a.atNanos() > 60 * FRESH_NANOS); // clusters deleted since
        return down;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
