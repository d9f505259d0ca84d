package io.keyhold.server.internal.clusters;

import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.kms.audit.ProcessName;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes a cluster safely, in this order, each step audited:
 * <ol>
 *   <li>lock it: the runtime refuses produce and fetch and wipes its DEKs, and confirms by reporting
 *       LOCKED ({@code CLUSTER_LOCKED}, reason {@value #LOCK_REASON}; {@code DEK_PURGED}). From here on
 *       a client connected through the proxy gets errors, not data;</li>
 *   <li>remove its record and start its key's release hold, in one transaction;</li>
 *   <li>deprovision it: the data plane stops it and destroys its data (brokers on this machine) or
 *       leaves its topics as ciphertext (a registered Kafka) ({@code CLUSTER_DELETED}).</li>
 * </ol>
 * The health monitor never unlocks a cluster locked for deletion, even in the moment before its
 * record is gone.
 */
final class ClusterDeletion {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterDeletion.class);
    /** The lock reason, and phase message, of a cluster being deleted. */
    static final String LOCK_REASON = "cluster deleted";

    private final ClusterStore store;
    private final ClusterRuntime runtime;
    private final AuditSink audit;
    private final Clock clock;
    private final Duration hold;
    private final Duration lockWait;

    ClusterDeletion(ClusterStore store, ClusterRuntime runtime, AuditSink audit, Clock clock, Duration hold, Duration lockWait) {
        this.store = store;
        this.runtime = runtime;
        this.audit = audit;
        this.clock = clock;
        this.hold = hold;
        this.lockWait = lockWait;
    }

    /** Deletes {@code row} on behalf of {@code caller}; false when another request deleted it first. */
    boolean delete(Principal caller, ClusterRow row) {
        String id = row.id();
        boolean confirmed = lock(id);
        record(caller, row, AuditEventType.CLUSTER_LOCKED, confirmed ? "ok" : "error", confirmed ? LOCK_REASON
                : LOCK_REASON + "; the data plane did not confirm the lock within " + lockWait.toSeconds()
                + " s: it stops the cluster, and drops its DEKs, when it deprovisions it");
        if (confirmed) {
            record(caller, row, AuditEventType.DEK_PURGED, "ok", "The data plane wiped the cluster's DEKs before the cluster was deleted.");
        }
        long now = clock.millis();
        if (!store.delete(id, now, hold.toMillis())) {
            return false;
        }
        try {
            runtime.deprovision(id);
        } catch (RuntimeException e) {
            LOG.warn("cluster runtime failed to deprovision {}: {}", id, e.toString());
        }
        String held = row.byokKeyId() == null ? "" : " Its key is held until " + Instant.ofEpochMilli(now + hold.toMillis())
                + ": no other cluster can use it before then.";
        record(caller, row, AuditEventType.CLUSTER_DELETED, "ok", "The cluster was deleted: its data is destroyed (brokers run by "
                + "Keyhold) or left as ciphertext (a registered Kafka)." + held);
        return true;
    }

    /** Locks the cluster and waits until the runtime reports it LOCKED; false when it did not within {@link #lockWait}. */
    private boolean lock(String id) {
        CompletableFuture<Void> locked = new CompletableFuture<>();
        ClusterRuntime.StatusSink sink = (clusterId, phase, message, endpoint) -> {
            store.report(clusterId, phase, message, endpoint);
            if (clusterId.equals(id) && phase == ClusterPhase.LOCKED) {
                locked.complete(null);
            }
        };
        try {
            runtime.lock(id, LOCK_REASON, sink);
            locked.get(lockWait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            LOG.warn("cluster {}: the lock before deletion was not confirmed: {}", id, e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void record(Principal caller, ClusterRow row, AuditEventType type, String outcome, String message) {
        audit.record(AuditEvent.of(type, ProcessName.of("server")).principal(caller.apiKeyId()).organization(row.orgId()).cluster(row.id())
                .key(row.byokKeyId()).outcome(outcome).message(message).build());
    }
}
