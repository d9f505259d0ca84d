package io.keyhold.kms.vault.fake;

import io.keyhold.kms.testkit.TestCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/**
 * The fake's HTTPS: a certificate for 127.0.0.1 from a test CA ({@link TestCa}), and the CA's PEM,
 * which the provider is told to trust through {@code ca-file}: nothing the JVM trusts signed it.
 */
public final class TestTls {
    private final Path caPem;
    private final SSLContext server;

    private TestTls(Path caPem, SSLContext server) {
        this.caPem = caPem;
        this.server = server;
    }

    public static TestTls create() {
        try {
            TestCa ca = TestCa.create();
            return new TestTls(ca.writeCaPem(Files.createTempDirectory("keyhold-vault-tls").resolve("ca.pem")), ca.serverContext());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The CA certificate as PEM, for the provider's {@code ca-file}. */
    public Path caPem() {
        return caPem;
    }

    public SSLContext serverContext() {
        return server;
    }
}
