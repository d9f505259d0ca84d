package io.keyhold.server;

/** The API suite on the embedded default database (H2 file under the data dir). */
class H2ApiTest extends ApiContractSuite {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) {
        return b;
    }
}
