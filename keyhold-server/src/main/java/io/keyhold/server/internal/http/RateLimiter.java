package io.keyhold.server.internal.http;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fixed-window rate limiting per caller (API key, or client address before authentication).
 * Simple and predictable: {@code limit} requests per window, the window restarting when it ends.
 */
public final class RateLimiter {
    private final int limit;
    private final long windowMillis;
    private final Clock clock;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();

    /** What a request learned about its caller's budget. */
    public record Decision(boolean allowed, int limit, int remaining, long resetSeconds) {
    }

    private static final class Window {
        final long start;
        int used;

        Window(long start) {
            this.start = start;
        }
    }

    public RateLimiter(int limit, long windowMillis, Clock clock) {
        this.limit = limit;
        this.windowMillis = windowMillis;
        this.clock = clock;
    }

    public Decision acquire(String caller) {
        long now = clock.millis();
        Window w = windows.compute(caller, (k, old) -> old == null || now - old.start >= windowMillis ? new Window(now) : old);
        synchronized (w) {
            long reset = Math.max(1, (w.start + windowMillis - now + 999) / 1000);
            if (w.used >= limit) {
                return new Decision(false, limit, 0, reset);
            }
            w.used++;
            return new Decision(true, limit, limit - w.used, reset);
        }
        // Windows of idle callers are dropped by sweep(), called periodically.
    }

    /** Drops ended windows so that the map does not grow with every caller ever seen. */
    public void sweep() {
        long now = clock.millis();
        windows.values().removeIf(w -> now - w.start >= windowMillis);
    }
}
