package io.keyhold.server;

import io.keyhold.server.support.PostgresCluster;

/** The same API suite on a real PostgreSQL server, started for this class and stopped after it. */
class PostgresApiTest extends ApiContractSuite {
    private PostgresCluster pg;

    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) throws Exception {
        pg = PostgresCluster.start();
        pg.createDatabase("keyhold");
        return b.databaseUrl(pg.jdbcUrl("keyhold")).databaseUser(pg.user());
    }

    @Override
    protected java.sql.Connection jdbc() throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection(pg.jdbcUrl("keyhold"), pg.user(), "");
    }

    @Override
    protected void stopDatabase() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }
}
