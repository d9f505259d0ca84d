package io.keyhold.server;

import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditSink;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The server process's audit trail, as every part of it sees it ({@link ServerConfig#audit()}): the
 * key validator and health monitor, the APIs, and the data plane. Parts start before the database
 * is open, so events recorded before {@link #attach} wait here (at most {@value #MAX_EARLY} of them)
 * and are handed over, in order, when the durable store attaches. Subscribers ({@link #subscribe},
 * e.g. the webhooks) see every event as it is recorded, whether a store is attached or not.
 */
public final class AuditTrail implements AuditSink {
    private static final int MAX_EARLY = 10_000;

    private final Deque<AuditEvent> early = new ArrayDeque<>();
    private volatile AuditSink target;
    private final List<AuditSink> subscribers = new CopyOnWriteArrayList<>();
    private long dropped;

    @Override
    public void record(AuditEvent event) {
        for (AuditSink s : subscribers) {
            s.record(event);
        }
        AuditSink t = target;
        if (t != null) {
            t.record(event);
            return;
        }
        synchronized (this) {
            if (target != null) {
                target.record(event);
            } else if (early.size() < MAX_EARLY) {
                early.add(event);
            } else {
                dropped++;
            }
        }
    }

    /** From now on events go to {@code durable}; the ones recorded so far go first. */
    public synchronized void attach(AuditSink durable) {
        while (!early.isEmpty()) {
            durable.record(early.poll());
        }
        target = durable;
    }

    /** {@code sink} also receives every event recorded from now on (it must not block, as any {@link AuditSink}). */
    public void subscribe(AuditSink sink) {
        subscribers.add(java.util.Objects.requireNonNull(sink, "sink"));
    }

    /** Undoes {@link #subscribe}. */
    public void unsubscribe(AuditSink sink) {
        subscribers.remove(sink);
    }

    /**
     * The durable store {@code durable} closes: events wait here again, for the next store (a server
     * restarted in the same process), instead of going to a store that can no longer write them.
     */
    public synchronized void detach(AuditSink durable) {
        if (target == durable) {
            target = null;
        }
    }

    /** Events lost because nothing attached before {@value #MAX_EARLY} were waiting. */
    public synchronized long dropped() {
        return dropped;
    }
}
