package io.keyhold.server.internal.keys;

import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.server.internal.audit.Audits;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records {@link AuditEventType#KEY_RELEASED} when a key's release hold (after its cluster was
 * deleted) has ended: from then on the key object may be deleted and its KMS key back another one.
 * The hold ends by the clock alone; this job notices it, also for holds that ended while the server
 * was stopped, and records each one once (see {@code byok_keys.hold_released_at}).
 */
public final class KeyReleaseJob implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyReleaseJob.class);

    private final KeyStore store;
    private final AuditSink audit;
    private final Clock clock;

    public KeyReleaseJob(KeyStore store, AuditSink audit, Clock clock) {
        this.store = store;
        this.audit = audit;
        this.clock = clock;
    }

    /** How often to look: a tenth of the hold, between one second and one minute. */
    public static Duration checkPeriod(Duration releaseHold) {
        Duration tenth = releaseHold.dividedBy(10);
        return tenth.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : tenth.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : tenth;
    }

    @Override
    public void run() {
        try {
            long now = clock.millis();
            for (KeyStore.EndedHold h : store.endedHolds(now, 500)) {
                if (store.markHoldReleased(h.id(), h.holdUntil(), now)) {
                    audit.record(Audits.system(AuditEventType.KEY_RELEASED, h.orgId()).key(h.id())
                            .provider(KeyValidator.kmsKind(h.kind())).message("the release hold ended at "
                                    + Instant.ofEpochMilli(h.holdUntil()) + ": the key object may be deleted, its KMS key used again")
                            .build());
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("recording ended key release holds failed: {}", e.toString());
        }
    }
}
