package io.keyhold.server.internal.keys;

import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.internal.audit.Audits;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key's version changes: asked of the KMS ({@link #rotate}: the API, the local keys' schedule) or
 * noticed there by the health monitor ({@link #noticed}: the customer rotated in their own KMS).
 * Either way the key object records the new version and when, the trail gets one
 * {@link AuditEventType#KEY_ROTATED}, and the cluster's data plane is told, so that new DEKs are
 * wrapped under the new version. Data written before stays readable: older versions keep
 * unwrapping, and records name the version that wrapped their DEK.
 */
public final class KeyRotation {
    private static final Logger LOG = LoggerFactory.getLogger(KeyRotation.class);

    private final KeyStore store;
    private final KmsRegistry kms;
    private final ClusterRuntime runtime;
    private final AuditSink audit;
    private final Clock clock;
    /**
     * One lock per key: a rotation asked through the API is recorded (with who asked) before the
     * health monitor can see the new version at the KMS and record it as noticed there.
     */
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public KeyRotation(KeyStore store, KmsRegistry kms, ClusterRuntime runtime, AuditSink audit, Clock clock) {
        this.store = store;
        this.kms = kms;
        this.runtime = runtime;
        this.audit = audit;
        this.clock = clock;
    }

    /**
     * Asks the key's KMS for a new version, on the calling thread, on behalf of {@code principal}
     * ({@link Audits#SYSTEM} for the schedule). Fails with the KMS's typed errors, or
     * {@link UnsupportedOperationException} when the KMS can not rotate this key on demand.
     */
    public KeyInfo rotate(KeyRow row, String principal, String why) {
        synchronized (lock(row.id())) {
            KeyInfo info = KmsCalls.await(kms.get(KeyValidator.kmsKind(row.kind())).rotate(row.kmsRef()));
            changed(row.id(), row.orgId(), row.kind(), row.clusterId(), info.currentVersion(), principal, why);
            return info;
        }
    }

    /**
     * The health monitor saw {@code version} as the key's current one. The first version learned for
     * a key is only recorded; a different one than recorded is a rotation done in the KMS.
     */
    public void noticed(String keyId, String orgId, String kind, String clusterId, String knownVersion, String version) {
        if (knownVersion == null) {
            store.learnVersion(keyId, version);
            return;
        }
        if (!knownVersion.equals(version)) {
            synchronized (lock(keyId)) {
                changed(keyId, orgId, kind, clusterId, version, Audits.SYSTEM, "noticed a new current version in the KMS");
            }
        }
    }

    private Object lock(String keyId) {
        return locks.computeIfAbsent(keyId, k -> new Object());
    }

    private void changed(String keyId, String orgId, String kind, String clusterId, String version, String principal, String why) {
        Optional<KeyStore.VersionChange> change = store.rotated(keyId, version, clock.millis());
        if (change.isEmpty()) {
            return; // already recorded (two saw it), or the key is gone
        }
        String before = change.get().before();
        audit.record(Audits.system(AuditEventType.KEY_ROTATED, orgId).principal(principal).key(keyId).cluster(clusterId)
                .provider(KeyValidator.kmsKind(kind)).keyVersion(version)
                .message(why + ": version " + (before == null ? "(unknown)" : before) + " -> " + version).build());
        if (clusterId != null) {
            LOG.info("cluster {}: its key {} has a new version ({}); new DEKs will be wrapped under it", clusterId, keyId, version);
            runtime.keyVersionChanged(clusterId);
        }
    }
}
