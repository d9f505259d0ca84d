package io.keyhold.kms.kmip;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.kmip.pykmip.PyKmipAdmin;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance suite with name references (plus deletion), against a real pykmip-server: one for
 * each test class, since it takes seconds to start. The subclasses differ only in the highest KMIP
 * version Keyhold offers ({@code max-version}), which decides the encoding and operations used.
 */
abstract class PyKmipConformance extends KmsConformanceSuite implements DeletionConformance {
    @TempDir
    static Path dir;
    private static PyKmipServer server;
    private static PyKmipAdmin admin;

    /** The {@code max-version} setting, or null for the default (the newest, 2.0). */
    private final String maxVersion;

    PyKmipConformance(String maxVersion) {
        this.maxVersion = maxVersion;
    }

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
        KmsConfig config = server.config("test");
        return KmipKms.open(maxVersion == null ? config : config.with("max-version", maxVersion));
    }

    @Override
    public PyKmipAdmin admin() {
        return admin;
    }
}
