package io.keyhold.kms.kmip.pykmip;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority of the test's own, made with the openssl command in a directory of the
 * test: a server certificate for 127.0.0.1 and client certificates whose CN is the KMIP user
 * (pykmip-server's identity of a client). PEM files, RSA 2048 (what pykmip-server's TLS 1.2 suite
 * takes), valid for two days.
 */
public final class TestCertificates {
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    public static TestCertificates create(Path dir) {
        TestCertificates pki = new TestCertificates(dir);
        pki.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=Keyhold Test KMIP CA");
        pki.write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
        pki.write("client.ext", "extendedKeyUsage=clientAuth\n");
        pki.leaf("server", "127.0.0.1", "server.ext");
        return pki;
    }

    /** A client certificate and key for the user {@code cn}: {@code <cn>.pem}, {@code <cn>.key}. */
    public Path client(String cn) {
        if (!Files.exists(dir.resolve(cn + ".pem"))) {
            leaf(cn, cn, "client.ext");
        }
        return dir.resolve(cn + ".pem");
    }

    public Path ca() {
        return dir.resolve("ca.pem");
    }

    public Path cert(String name) {
        return dir.resolve(name + ".pem");
    }

    public Path key(String name) {
        return dir.resolve(name + ".key");
    }

    private void leaf(String name, String cn, String extensions) {
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn);
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
                "-days", "2", "-extfile", extensions);
    }

    private void write(String name, String text) {
        try {
            Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void openssl(String... args) {
        List<String> command = new ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("openssl.log").toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("openssl " + args[0] + " failed: " + Files.readString(dir.resolve("openssl.log")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
