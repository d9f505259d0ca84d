package io.keyhold.server;

/** The audit trail suite on a real PostgreSQL server, started for this class and stopped after it. */
class PostgresAuditTrailTest extends AuditTrailSuite {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) throws Exception {
        return onPostgres(b);
    }
}
