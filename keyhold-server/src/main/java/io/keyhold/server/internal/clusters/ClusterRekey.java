package io.keyhold.server.internal.clusters;

import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.kms.audit.ProcessName;
import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.auth.Principal;
import io.keyhold.server.internal.http.ApiException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a cluster to another customer key online ({@code PATCH} with a new {@code spec.byok}), in
 * this order:
 * <ol>
 *   <li>claim the new key (checked by the caller: VALID, unused, same cloud and region), so no
 *       other cluster can take it meanwhile;</li>
 *   <li>the data plane re-wraps what the old key wraps under the new one
 *       ({@link ClusterRuntime#rekey});</li>
 *   <li>only then, in one transaction, the cluster's key becomes the new one and the old key's
 *       release hold starts. A failure gives the claim back and leaves the cluster on its old key.</li>
 * </ol>
 * Audited as {@code CLUSTER_REKEYED}, with the outcome, whoever asked.
 */
final class ClusterRekey {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterRekey.class);

    private final ClusterStore store;
    private final ClusterRuntime runtime;
    private final AuditSink audit;
    private final Clock clock;
    private final Duration hold;
    private final Duration wait;

    /** @param wait how long the request waits for the data plane (the re-key goes on, and completes, after it) */
    ClusterRekey(ClusterStore store, ClusterRuntime runtime, AuditSink audit, Clock clock, Duration hold, Duration wait) {
        this.store = store;
        this.runtime = runtime;
        this.audit = audit;
        this.clock = clock;
        this.hold = hold;
        this.wait = wait;
    }

    /** Re-keys {@code row} onto {@code newKey} for {@code caller}; returns once the cluster is on it, or throws. */
    void rekey(Principal caller, ClusterRow row, ClusterRuntime.KeyBinding newKey) {
        if (!ClusterPhase.PROVISIONED.name().equals(row.phase())) {
            throw ApiException.conflict("cluster_not_ready", "Cluster Not Ready", "The cluster is " + row.phase()
                    + ": only a PROVISIONED cluster (serving, its key usable) can move to another key");
        }
        String oldKey = row.byokKeyId();
        if (!store.claimForRekey(row, newKey.byokId(), clock.millis())) {
            throw ApiException.conflict("key_in_use", "Key In Use", "The key '" + newKey.byokId()
                    + "' was claimed by another cluster, or stopped being VALID, while this request ran");
        }
        CompletableFuture<Void> done;
        try {
            done = runtime.rekey(row.id(), newKey, store).toCompletableFuture();
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        // Whenever the data plane finishes (even after this request stopped waiting), the record follows.
        CompletableFuture<Void> recorded = done.handle((ok, err) -> {
            long now = clock.millis();
            if (err != null) {
                store.releaseRekeyClaim(row.id(), newKey.byokId(), now);
                String why = reason(err);
                record(caller, row, newKey.byokId(), "error", "The cluster stays on key '" + oldKey + "': moving it to key '"
                        + newKey.byokId() + "' failed: " + why);
                throw new CompletionException(new RekeyFailed(why, err instanceof UnsupportedOperationException
                        || unwrap(err) instanceof UnsupportedOperationException || unwrap(err) instanceof IllegalStateException));
            }
            if (!store.switchKey(row.id(), oldKey, newKey.byokId(), now, hold.toMillis())) {
                store.releaseRekeyClaim(row.id(), newKey.byokId(), now);
                LOG.warn("cluster {}: re-keyed, but its record changed meanwhile (deleted?)", row.id());
                throw new CompletionException(new RekeyFailed("the cluster was deleted or changed while it was re-keyed", true));
            }
            record(caller, row, newKey.byokId(), "ok", "The cluster moved from key '" + oldKey + "' to key '" + newKey.byokId()
                    + "' without rewriting records. Key '" + oldKey + "' is held until "
                    + Instant.ofEpochMilli(now + hold.toMillis()) + "; it may be disabled or destroyed.");
            return null;
        });
        try {
            recorded.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RekeyFailed f) {
                throw f.refusal
                        ? ApiException.conflict("rekey_refused", "Re-key Refused", "The cluster stays on its key: " + f.getMessage())
                        : ApiException.conflict("rekey_failed", "Re-key Failed", "The cluster stays on its key: " + f.getMessage());
            }
            throw new IllegalStateException("re-key of cluster " + row.id() + " failed", e.getCause());
        } catch (TimeoutException e) {
            throw ApiException.conflict("rekey_in_progress", "Re-key In Progress", "The re-key did not finish within "
                    + wait.toSeconds() + " s; it goes on, and the cluster's key changes when it has succeeded (see the audit trail)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while re-keying cluster " + row.id());
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String reason(Throwable err) {
        Throwable t = unwrap(err);
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private void record(Principal caller, ClusterRow row, String newKey, String outcome, String message) {
        audit.record(AuditEvent.of(AuditEventType.CLUSTER_REKEYED, ProcessName.of("server")).principal(caller.apiKeyId())
                .organization(row.orgId()).cluster(row.id()).key(newKey).outcome(outcome).message(message).build());
    }

    /** Why a re-key did not happen; {@code refusal} when it could not have (not possible for this cluster), not a failure on the way. */
    private static final class RekeyFailed extends RuntimeException {
        final boolean refusal;

        RekeyFailed(String message, boolean refusal) {
            super(message, null, false, false);
            this.refusal = refusal;
        }
    }
}
