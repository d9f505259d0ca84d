package io.keyhold.server;

/** The tenancy suite on the embedded default database (H2 file under the data dir). */
class H2TenancyTest extends TenancySuite {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) {
        return b;
    }
}
