package io.keyhold.server.internal.keys;

import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.util.ProcessName;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

/**
 * Ends release holds. A key whose cluster was deleted stays held ({@code hold_until}) so that
 * nobody can reuse its KMS key for days; once the time has passed the key is available again by
 * the clock alone, and this background job makes that an event: it clears the hold and records
 * {@code KEY_RELEASED} once per hold (the clearing statement is conditional, so two servers, or a
 * retry, never record it twice).
 */
public final class KeyReleases {
    private record Held(String id, String orgId, String kind, long holdUntil) {
    }

    private final Sql sql;
    private final AuditSink audit;
    private final Clock clock;

    public KeyReleases(Sql sql, AuditSink audit, Clock clock) {
        this.sql = sql;
        this.audit = audit;
        this.clock = clock;
    }

    /** Releases every key whose hold has ended; returns how many. */
    public int releaseEnded() {
        long now = clock.millis();
        List<Held> ended = sql.query("SELECT id, org_id, kind, hold_until FROM byok_keys WHERE cluster_id IS NULL "
                        + "AND hold_until IS NOT NULL AND hold_until <= ? ORDER BY hold_until LIMIT 500",
                rs -> new Held(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4)), now);
        int released = 0;
        for (Held h : ended) {
            if (sql.update("UPDATE byok_keys SET hold_until = NULL, updated_at = ? WHERE id = ? AND cluster_id IS NULL AND hold_until = ?",
                    now, h.id(), h.holdUntil()) != 1) {
                continue; // claimed or released meanwhile
            }
            released++;
            audit.record(AuditEvent.of(AuditEventType.KEY_RELEASED, ProcessName.get()).principal("system").organization(h.orgId())
                    .key(h.id()).provider(KeyValidator.kmsKind(h.kind())).outcome("ok")
                    .message("The release hold ended at " + Instant.ofEpochMilli(h.holdUntil())
                            + ": the key may encrypt a new cluster, or be deleted.")
                    .build());
        }
        return released;
    }
}
