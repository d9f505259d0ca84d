package io.keyhold.server.internal.audit;

import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.ProcessName;
import io.keyhold.server.internal.auth.Principal;

/** Starts the lifecycle events the control plane records itself, with who did it. */
public final class Audits {
    /** This server process, as its events name it. */
    public static final String PROCESS = ProcessName.of("server");
    /** The principal of what background jobs do (validation, scheduled rotation, the release hold). */
    public static final String SYSTEM = "system";

    private Audits() {
    }

    /**
     * An event caused by the API call of {@code p}: its principal is the calling service account
     * and the API key it used, in that order ({@code sa-...} first: it holds the roles).
     */
    public static AuditEvent.Builder by(Principal p, AuditEventType type) {
        return AuditEvent.of(type, PROCESS).principal(p.serviceAccountId()).organization(p.orgId())
                .message("API key " + p.apiKeyId());
    }

    /** An event of a background job of the server, in organization {@code orgId}. */
    public static AuditEvent.Builder system(AuditEventType type, String orgId) {
        return AuditEvent.of(type, PROCESS).principal(SYSTEM).organization(orgId);
    }
}
