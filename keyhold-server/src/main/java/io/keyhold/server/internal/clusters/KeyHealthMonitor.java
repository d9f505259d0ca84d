package io.keyhold.server.internal.clusters;

import io.keyhold.kms.KeyWatch;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.ProcessName;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.server.ClusterPhase;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.keys.KeyRotation;
import io.keyhold.server.internal.keys.KeyStore;
import io.keyhold.server.internal.keys.KeyValidator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the keys that encrypt clusters. Every interval it proves each key still works with a
 * real generate and unwrap round trip at its KMS, and hands the answer to the cluster's
 * {@link KeyWatch}, which decides: a refusal (disabled, revoked, deleted, a permission removed)
 * marks the key INVALID and locks the cluster through the {@link ClusterRuntime} at once; a KMS that
 * cannot be reached is recorded as an outage (status, metrics, audit trail) while the data plane
 * keeps serving from its cached DEKs, and locks the cluster only once the outage has lasted
 * {@code kms-unavailable-grace}; access back unlocks. Lifecycle events go to the audit trail with
 * principal {@code system}.
 */
public final class KeyHealthMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(KeyHealthMonitor.class);
    private static final String PROCESS = ProcessName.of("server");
    /** The shortest wait for one round of checks, whatever the interval: a healthy KMS answers in milliseconds. */
    private static final Duration MIN_WAIT = Duration.ofSeconds(2);
    private static final String ACCESS_RESTORED = "Access to the key was restored.";

    private final Sql sql;
    private final KeyStore keys;
    private final KmsRegistry kms;
    private final ClusterRuntime runtime;
    private final ClusterStore clusters;
    private final Clock clock;
    private final Duration grace;
    private final AuditSink audit;
    /** How long one round waits, in all, for the KMS: the interval, at least {@link #MIN_WAIT}. */
    private final Duration wait;
    /** Each watched cluster's decisions, by cluster id (only this monitor's thread touches it). */
    private final Map<String, Watch> watches = new HashMap<>();
    private final KeyRotation rotation;
    private record Watched(String keyId, String kind, String kmsRef, String phase, String clusterId, String clusterPhase,
                           String orgId, String phaseMessage, Long unavailableSince, String version) {
    }

    /** A cluster's watch and the key it was made for (a cluster re-keyed gets a new one). */
    private record Watch(String keyId, KeyWatch watch) {
    }

    public KeyHealthMonitor(Sql sql, KeyStore keys, KmsRegistry kms, ClusterRuntime runtime, ClusterStore clusters, Clock clock,
                            Duration interval, Duration grace, AuditSink audit, KeyRotation rotation) {
        this.sql = sql;
        this.keys = keys;
        this.kms = kms;
        this.runtime = runtime;
        this.clusters = clusters;
        this.clock = clock;
        this.wait = interval.compareTo(MIN_WAIT) > 0 ? interval : MIN_WAIT;
        this.grace = grace;
        this.audit = audit;
        this.rotation = rotation;
    }

    /** Checks every key in use, once: the periodic background job (see {@code BackgroundJobs}). */
    public void checkAll() {
        try {
            List<Watched> watched = new ArrayList<>(sql.query("SELECT k.id, k.kind, k.kms_ref, k.validation_phase, c.id, c.phase, c.org_id, "
                            + "c.phase_message, c.kms_unavailable_since, k.current_version FROM byok_keys k JOIN clusters c ON c.byok_key_id = k.id",
                    rs -> new Watched(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7), rs.getString(8), rs.getObject(9) == null ? null : rs.getLong(9), rs.getString(10))));
            // Every cluster's check starts at once and they share one deadline: a KMS that hangs costs one wait, not one per cluster.
            List<CompletionStage<Void>> checks = new ArrayList<>();
            // a cluster being deleted stays locked: its record goes in a moment, and nobody may read it meanwhile
            watched.removeIf(w -> ClusterPhase.LOCKED.name().equals(w.clusterPhase())
                    && ClusterDeletion.LOCK_REASON.equals(w.phaseMessage()));
            for (Watched w : watched) {
                checks.add(startCheck(w));
            }
            long deadline = System.nanoTime() + wait.toNanos();
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < watched.size(); i++) {
                seen.add(watched.get(i).clusterId());
                check(watched.get(i), checks.get(i), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            watches.keySet().retainAll(seen);
        } catch (RuntimeException e) {
            LOG.warn("key health check failed: {}", e.toString());
        }
    }

    private CompletionStage<Void> startCheck(Watched w) {
        try {
            return kms.get(KeyValidator.kmsKind(w.kind())).checkAccess(w.kmsRef());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e); // the kind is not configured in this server
        }
    }

    private void check(Watched w, CompletionStage<Void> stage, Duration left) {
        RuntimeException failure = null;
        try {
            KmsCalls.await(stage, left);
        } catch (RuntimeException e) {
            failure = e;
        }
        if (failure instanceof KmsDeniedException denied && !"INVALID".equals(w.phase())) {
            String message = KeyValidator.deniedMessage(denied);
            keys.setValidation(w.keyId(), "INVALID", message, null, clock.millis());
            recordPhaseChange(w, "INVALID", message);
        }
        KeyWatch watch = watchOf(w);
        RuntimeException undecided = watch.observe(failure);
        if (undecided != null) {
            if (!(undecided instanceof IllegalArgumentException)) {
                LOG.warn("checking key {} failed: {}", w.keyId(), undecided.toString());
            }
            return;
        }
        runtime.kmsHealth(w.clusterId(), watch.status());
        if (failure == null) {
            noticeNewVersion(w);
            if ("INVALID".equals(w.phase())) {
                keys.setValidation(w.keyId(), "VALID", ACCESS_RESTORED, null, clock.millis());
                recordPhaseChange(w, "VALID", ACCESS_RESTORED);
            }
        }
    }

    /**
     * The cluster's watch, made from what the database says (locked or not, an outage under way
     * since when) the first time, and again when the database no longer agrees with it (the
     * cluster was locked or unlocked by someone else, or re-keyed).
     */
    private KeyWatch watchOf(Watched w) {
        boolean lockedInDb = ClusterPhase.LOCKED.name().equals(w.clusterPhase());
        Watch current = watches.get(w.clusterId());
        if (current != null && current.keyId().equals(w.keyId())
                && (current.watch().status().condition() == KeyWatch.Condition.LOCKED) == lockedInDb) {
            return current.watch();
        }
        Instant since = w.unavailableSince() == null ? null : Instant.ofEpochMilli(w.unavailableSince());
        KeyWatch watch = new KeyWatch(grace, clock, new Decisions(w), lockedInDb, w.phaseMessage(), since);
        watches.put(w.clusterId(), new Watch(w.keyId(), watch));
        return watch;
    }

    /** What the monitor does with a cluster's watch's decisions. */
    private final class Decisions implements KeyWatch.Listener {
        private final Watched w;

        Decisions(Watched w) {
            this.w = w;
        }

        @Override
        public void unavailable(Instant since, String problem) {
            LOG.warn("cluster {}: the KMS of its key {} cannot be reached ({}); serving from cached keys for at most {} s",
                    w.clusterId(), w.keyId(), problem, grace.toSeconds());
            clusters.setKmsUnavailable(w.clusterId(), since.toEpochMilli(), problem);
            record(AuditEventType.KMS_UNAVAILABLE, w, "The KMS cannot be reached: " + problem);
        }

        @Override
        public void available(Instant since) {
            LOG.info("cluster {}: the KMS of its key {} answers again (unreachable since {})", w.clusterId(), w.keyId(), since);
            clusters.setKmsUnavailable(w.clusterId(), null, null);
            record(AuditEventType.KMS_AVAILABLE, w, "The KMS answers again; it was unreachable since " + since + ".");
        }

        @Override
        public void lock(String reason, boolean outage) {
            LOG.warn("locking cluster {}: its key {} can no longer be used: {}", w.clusterId(), w.keyId(), reason);
            runtime.lock(w.clusterId(), reason, clusters);
            record(AuditEventType.CLUSTER_LOCKED, w, reason);
        }

        @Override
        public void unlock() {
            LOG.info("unlocking cluster {}: its key {} is usable again", w.clusterId(), w.keyId());
            runtime.unlock(w.clusterId(), clusters);
            record(AuditEventType.CLUSTER_UNLOCKED, w, ACCESS_RESTORED);
        }
    }

    private void record(AuditEventType type, Watched w, String message) {
        audit.record(AuditEvent.of(type, PROCESS).time(clock.instant()).principal("system").organization(w.orgId())
                .cluster(w.clusterId()).key(w.keyId()).provider(KeyValidator.kmsKind(w.kind())).message(message).build());
    }

    /** The key's own lifecycle event, as the validator records it: the monitor flips keys in use between VALID and INVALID. */
    private void recordPhaseChange(Watched w, String phase, String message) {
        audit.record(KeyValidator.phaseChange(phase, w.orgId(), w.keyId(), w.clusterId(), w.kind(), message).time(clock.instant()).build());
    }

    /**
     * A key rotated in the customer's KMS (a new version, an alias moved to another key) shows as a
     * new {@code currentVersion}: {@link KeyRotation} records it and tells the runtime, within this
     * interval, so that new records get DEKs under the new version. The version is compared with the
     * one the key object recorded, so a rotation while the server was stopped is noticed too.
     */
    private void noticeNewVersion(Watched w) {
        String version;
        try {
            version = KmsCalls.await(kms.get(KeyValidator.kmsKind(w.kind())).describe(w.kmsRef()), wait).currentVersion();
        } catch (RuntimeException e) {
            return; // the next interval tries again; access itself was just proven
        }
        rotation.noticed(w.keyId(), w.orgId(), w.kind(), w.clusterId(), w.version(), version);
    }
}
