package io.keyhold.server;

/** The audit trail suite on the embedded default database (H2). */
class H2AuditTrailTest extends AuditTrailSuite {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) {
        return b;
    }
}
