package io.keyhold.server;

/** The tenancy suite on a real PostgreSQL server: its unique constraints decide the concurrent registrations. */
class PostgresTenancyTest extends TenancySuite {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) throws Exception {
        return onPostgres(b);
    }
}
