package io.keyhold.server.internal.http;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fixed-window rate limiting per caller (an API key, a client address, ...). Simple and predictable:
 * {@code limit} units per window, the window starting at a caller's first unit and restarting when it
 * ends. One lock for everything: each operation is a few map lookups.
 */
public final class RateLimiter {
    private final int limit;
    private final long windowMillis;
    private final Clock clock;
    private final Map<String, Window> windows = new HashMap<>();

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

    /** Takes one unit from {@code caller}'s budget, if any is left. */
    public synchronized Decision acquire(String caller) {
        return acquireAll(List.of(caller));
    }

    /**
     * Takes one unit from each caller's budget, or none at all when any of them is spent; the
     * decision then tells the longest wait. The remaining budget is the smallest one.
     */
    public synchronized Decision acquireAll(List<String> callers) {
        long now = clock.millis();
        long reset = 1;
        long wait = 0;
        int remaining = limit;
        for (String caller : callers) {
            Window w = current(caller, now);
            long secondsLeft = Math.max(1, (w.start + windowMillis - now + 999) / 1000);
            if (w.used >= limit) {
                wait = Math.max(wait, secondsLeft);
            } else {
                reset = Math.max(reset, secondsLeft);
                remaining = Math.min(remaining, limit - w.used - 1);
            }
        }
        if (wait > 0) {
            return new Decision(false, limit, 0, wait);
        }
        callers.forEach(c -> windows.get(c).used++);
        return new Decision(true, limit, remaining, reset);
    }

    /** Gives back a unit taken in the current window: the request turned out not to count. */
    public synchronized void release(String caller) {
        Window w = windows.get(caller);
        if (w != null && w.used > 0) {
            w.used--;
        }
    }

    private Window current(String caller, long now) {
        return windows.compute(caller, (k, old) -> old == null || now - old.start >= windowMillis ? new Window(now) : old);
    }

    /** How many callers have a window held in memory (what {@link #sweep()} bounds). */
    public synchronized int trackedCallers() {
        return windows.size();
    }

    /** Drops ended windows so that the map does not grow with every caller ever seen; called periodically. */
    public synchronized void sweep() {
        long now = clock.millis();
        windows.values().removeIf(w -> now - w.start >= windowMillis);
    }
}
