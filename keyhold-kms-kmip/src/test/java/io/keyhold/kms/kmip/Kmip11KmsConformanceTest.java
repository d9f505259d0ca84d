package io.keyhold.kms.kmip;

import io.keyhold.kms.Kms;
import io.keyhold.kms.kmip.pykmip.PyKmipAdmin;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance suite in KMIP 1.1 mode (the key fetched with Get, DEKs wrapped by Keyhold), against
 * a real pykmip-server told to speak 1.1 by {@code max-version}.
 */
class Kmip11KmsConformanceTest extends KmsConformanceSuite implements DeletionConformance {
    @TempDir
    static Path dir;
    private static PyKmipServer server;
    private static PyKmipAdmin admin;

    @BeforeAll
    static void startServer() {
        server = PyKmipServer.start(dir);
        admin = new PyKmipAdmin(server, "test");
    }

    @AfterAll
    static void stopServer() {
        admin.close();
        server.close();
    }

    @Override
    protected Kms connect() {
        return KmipKms.open(server.config("test").with("max-version", "1.1"));
    }

    @Override
    public PyKmipAdmin admin() {
        return admin;
    }
}
