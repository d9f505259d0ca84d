package io.keyhold.kms.gcp.fake;

import io.keyhold.kms.testkit.TestCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The test CA ({@link TestCa}) of this JVM's GCP fakes, made once, and a directory of the test run
 * for the files they hand out: what a user does with a private CA (the provider's {@code ca-file}
 * setting trusts {@link #caFile()}). Nothing here is a secret of anyone.
 */
public final class TestPki {
    private static TestPki instance;

    private final Path dir;
    private final TestCa ca;

    private TestPki() throws IOException {
        dir = Files.createTempDirectory("keyhold-gcp-pki");
        dir.toFile().deleteOnExit();
        ca = TestCa.create();
        ca.writeCaPem(dir.resolve("ca.pem")).toFile().deleteOnExit();
    }

    public static synchronized TestPki get() {
        if (instance == null) {
            try {
                instance = new TestPki();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** The CA certificate, PEM: the provider's {@code ca-file}. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    byte[] serverCertPem() {
        return ca.serverCertPem();
    }

    byte[] serverKeyPem() {
        return ca.serverKeyPem();
    }

    /** A directory of this test run for files the fake hands out. */
    Path dir() {
        return dir;
    }
}
