package io.keyhold.proxy.internal;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many client connections one proxy holds, in all and per client address, over all its
 * listeners (the bootstrap port and every broker port). A connection over either limit is closed
 * as soon as it is accepted, before anything is read from it, as a broker does with
 * {@code max.connections} and {@code max.connections.per.ip}. Thread-safe.
 */
final class ConnectionLimits {
    /** Why a connection was refused; the label of {@code keyhold_proxy_connections_refused_total}. */
    enum Refusal {
        MAX_CONNECTIONS("max_connections"),
        MAX_CONNECTIONS_PER_ADDRESS("max_connections_per_address");

        final String label;

        Refusal(String label) {
            this.label = label;
        }
    }

    private final int max;
    private final int maxPerAddress;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();

    ConnectionLimits(int max, int maxPerAddress) {
        this.max = max;
        this.maxPerAddress = maxPerAddress;
    }

    /**
     * Counts a new connection from {@code address} unless a limit is reached; returns null when it
     * was counted (give it back with {@link #release}), else why not.
     */
    Refusal tryAcquire(InetAddress address) {
        if (total.incrementAndGet() > max) {
            total.decrementAndGet();
            return Refusal.MAX_CONNECTIONS;
        }
        boolean[] refused = new boolean[1];
        perAddress.compute(address, (a, n) -> {
            int count = n == null ? 0 : n;
            if (count >= maxPerAddress) {
                refused[0] = true;
                return n;
            }
            return count + 1;
        });
        if (refused[0]) {
            total.decrementAndGet();
            return Refusal.MAX_CONNECTIONS_PER_ADDRESS;
        }
        return null;
    }

    /** A connection counted by {@link #tryAcquire} closed. */
    void release(InetAddress address) {
        perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
        total.decrementAndGet();
    }
}
