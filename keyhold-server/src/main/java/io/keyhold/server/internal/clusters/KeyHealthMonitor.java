package io.keyhold.server.internal.clusters;

import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.keys.KeyStore;
import io.keyhold.server.internal.keys.KeyValidator;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the keys that encrypt clusters. Every interval it asks each key's KMS whether the key can
 * still be used: a refusal (disabled, revoked, deleted) marks the key INVALID with the reason and
 * locks its cluster through the {@link ClusterRuntime}; when access comes back the key is VALID
 * again and the cluster unlocks. A KMS that cannot be reached changes nothing: the data plane keeps
 * serving from its cached DEKs for a bounded time, as the design says.
 */
public final class KeyHealthMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(KeyHealthMonitor.class);

    private final Sql sql;
    private final KeyStore keys;
    private final KmsRegistry kms;
    private final ClusterRuntime runtime;
    private final ClusterStore clusters;
    private final Clock clock;
    /** The key version each cluster's key had at the last check (only the job's one thread touches it). */
    private final java.util.Map<String, String> versions = new java.util.HashMap<>();

    private record Watched(String keyId, String kind, String kmsRef, String phase, String clusterId, String clusterPhase,
                           String clusterMessage) {
    }

    public KeyHealthMonitor(Sql sql, KeyStore keys, KmsRegistry kms, ClusterRuntime runtime, ClusterStore clusters, Clock clock) {
        this.sql = sql;
        this.keys = keys;
        this.kms = kms;
        this.runtime = runtime;
        this.clusters = clusters;
        this.clock = clock;
    }

    /** Checks every key in use, once: the periodic background job (see {@code BackgroundJobs}). */
    public void checkAll() {
        try {
            List<Watched> watched = sql.query("SELECT k.id, k.kind, k.kms_ref, k.validation_phase, c.id, c.phase, c.phase_message "
                            + "FROM byok_keys k JOIN clusters c ON c.byok_key_id = k.id",
                    rs -> new Watched(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                            rs.getString(7)));
            watched.forEach(this::check);
        } catch (RuntimeException e) {
            LOG.warn("key health check failed: {}", e.toString());
        }
    }

    private void check(Watched w) {
        String kind = KeyValidator.kmsKind(w.kind());
        try {
            KmsCalls.await(kms.get(kind).checkAccess(w.kmsRef()));
        } catch (KmsDeniedException e) {
            String reason = KeyValidator.deniedMessage(e);
            if (!"INVALID".equals(w.phase())) {
                keys.setValidation(w.keyId(), "INVALID", reason, null, clock.millis());
            }
            if (!ClusterPhase.LOCKED.name().equals(w.clusterPhase())) {
                LOG.warn("locking cluster {}: its key {} can no longer be used: {}", w.clusterId(), w.keyId(), reason);
                runtime.lock(w.clusterId(), reason, clusters);
            }
            return;
        } catch (KmsUnavailableException | IllegalArgumentException e) {
            return;
        } catch (RuntimeException e) {
            LOG.warn("checking key {} failed: {}", w.keyId(), e.toString());
            return;
        }
        noticeNewVersion(w, kind);
        if ("INVALID".equals(w.phase())) {
            keys.setValidation(w.keyId(), "VALID", "Access to the key was restored.", null, clock.millis());
        }
        // a cluster being deleted stays locked: its record goes in a moment, and nobody may read it meanwhile
        if (ClusterPhase.LOCKED.name().equals(w.clusterPhase()) && !ClusterDeletion.LOCK_REASON.equals(w.clusterMessage())) {
            LOG.info("unlocking cluster {}: its key {} is usable again", w.clusterId(), w.keyId());
            runtime.unlock(w.clusterId(), clusters);
        }
    }

    /**
     * A key rotated in the customer's KMS (a new version, an alias moved to another key) shows as a
     * new {@code currentVersion}: tell the runtime, within this interval, so that new records get
     * DEKs under the new version. The first version seen after a start is only remembered.
     */
    private void noticeNewVersion(Watched w, String kind) {
        String version;
        try {
            version = KmsCalls.await(kms.get(kind).describe(w.kmsRef())).currentVersion();
        } catch (RuntimeException e) {
            return; // the next interval tries again; access itself was just proven
        }
        String before = versions.put(w.clusterId(), version);
        if (before != null && !before.equals(version)) {
            LOG.info("cluster {}: its key {} has a new version ({}); new DEKs will be wrapped under it", w.clusterId(), w.keyId(),
                    version);
            runtime.keyVersionChanged(w.clusterId());
        }
    }
}
