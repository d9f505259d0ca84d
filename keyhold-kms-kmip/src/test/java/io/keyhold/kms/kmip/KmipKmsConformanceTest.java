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
 * The conformance suite with name references, against a real pykmip-server (one for the class: it takes seconds to start),
 * in KMIP 2.0, which pykmip-server 0.10 offers.
 */
class KmipKmsConformanceTest extends KmsConformanceSuite implements DeletionConformance {
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
        return KmipKms.open(server.config("test"));
    }

    @Override
    public PyKmipAdmin admin() {
        return admin;
    }
}
