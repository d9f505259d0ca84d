package io.keyhold.server;

/** The same API suite on a real PostgreSQL server, started for this class and stopped after it. */
class PostgresApiTest extends ApiContractSuite {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) throws Exception {
        return onPostgres(b);
    }
}
