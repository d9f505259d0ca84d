package io.keyhold.proxy.internal;

import io.keyhold.kms.KeyWatch;
import io.keyhold.kms.Kms;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.proxy.KeyholdProxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone proxy's own health check of its cluster's key: every interval a real generate and
 * unwrap round trip at the KMS ({@link Kms#checkAccess}), decided by the same {@link KeyWatch} as
 * the control plane's monitor, so a standalone proxy locks and unlocks exactly as an embedded
 * cluster does: at once when the KMS denies, after the grace period when it cannot be reached. Each
 * proxy process decides on its own, so several proxies in front of one cluster each lock within
 * one interval. Checks run on a thread of their own, never on an event loop.
 */
public final class ProxyKeyWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyKeyWatch.class);
    /** The shortest wait for one check, whatever the interval: a healthy KMS answers in milliseconds. */
    private static final Duration MIN_WAIT = Duration.ofSeconds(2);

    private final KeyholdProxy proxy;
    private final Kms kms;
    private final String keyRef;
    private final KeyWatch watch;
    private final Duration wait;
    private final ScheduledExecutorService timer;

    private ProxyKeyWatch(KeyholdProxy proxy, Kms kms, Duration interval, Duration grace, AuditSink audit, String process) {
        this.proxy = proxy;
        this.kms = kms;
        this.keyRef = proxy.config().kekId();
        this.wait = interval.compareTo(MIN_WAIT) > 0 ? interval : MIN_WAIT;
        this.watch = new KeyWatch(grace, Clock.systemUTC(), new Decisions(audit, process));
        String cluster = proxy.config().clusterId();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "keyhold-key-health-" + cluster);
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Checks {@code proxy}'s key in {@code kms} every {@code interval} until closed; events go to {@code audit}. */
    public static ProxyKeyWatch start(KeyholdProxy proxy, Kms kms, Duration interval, Duration grace, AuditSink audit,
                                      String process) {
        return new ProxyKeyWatch(proxy, kms, interval, grace, audit, process);
    }

    private void check() {
        try {
            RuntimeException undecided = watch.check(kms, keyRef, wait);
            if (undecided != null) {
                LOG.warn("cluster {}: checking its key failed: {}", proxy.config().clusterId(), undecided.toString());
            }
            proxy.reportKmsHealth(watch.status());
        } catch (RuntimeException e) {
            LOG.warn("cluster {}: key health check failed: {}", proxy.config().clusterId(), e.toString());
        }
    }

    public KeyWatch.Status status() {
        return watch.status();
    }

    private final class Decisions implements KeyWatch.Listener {
        private final AuditSink audit;
        private final String process;

        Decisions(AuditSink audit, String process) {
            this.audit = audit;
            this.process = process;
        }

        @Override
        public void unavailable(Instant since, String problem) {
            LOG.warn("cluster {}: its KMS cannot be reached ({}); serving from cached keys for at most {} s",
                    proxy.config().clusterId(), problem, watch.grace().toSeconds());
            record(AuditEventType.KMS_UNAVAILABLE, "The KMS cannot be reached: " + problem);
        }

        @Override
        public void available(Instant since) {
            LOG.info("cluster {}: its KMS answers again (unreachable since {})", proxy.config().clusterId(), since);
            record(AuditEventType.KMS_AVAILABLE, "The KMS answers again; it was unreachable since " + since + ".");
        }

        @Override
        public void lock(String reason, boolean outage) {
            LOG.warn("cluster {}: locking: {}", proxy.config().clusterId(), reason);
            proxy.lock();
            record(AuditEventType.CLUSTER_LOCKED, reason);
        }

        @Override
        public void unlock() {
            proxy.unlock();
            record(AuditEventType.CLUSTER_UNLOCKED, "Access to the key was restored.");
        }

        private void record(AuditEventType type, String message) {
            audit.record(AuditEvent.of(type, process).principal("system").cluster(proxy.config().clusterId()).key(keyRef)
                    .provider(kms.kind()).message(message).build());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
