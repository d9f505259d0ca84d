package io.keyhold.kms.vault.fake;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed certificate for 127.0.0.1 made by the JDK's keytool for the fake's HTTPS, and its
 * PEM, which the provider is told to trust through {@code ca-file}: nothing the JVM trusts signed it.
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
            Path dir = Files.createTempDirectory("keyhold-vault-tls");
            Path store = dir.resolve("server.p12");
            Path pem = dir.resolve("ca.pem");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            run(List.of(keytool, "-genkeypair", "-alias", "vault", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                    "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-keystore", store.toString(), "-storetype", "PKCS12",
                    "-storepass", "test-only", "-keypass", "test-only"));
            run(List.of(keytool, "-exportcert", "-rfc", "-alias", "vault", "-keystore", store.toString(), "-storepass", "test-only",
                    "-file", pem.toString()));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                ks.load(in, "test-only".toCharArray());
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "test-only".toCharArray());
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return new TestTls(pem, ctx);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The certificate as PEM, for the provider's {@code ca-file}. */
    public Path caPem() {
        return caPem;
    }

    public SSLContext serverContext() {
        return server;
    }
}
