package io.keyhold.server.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Self-signed certificates for localhost and 127.0.0.1, made by openssl in a test's directory, with keys in each PEM format. */
public final class TestCertificates {
    private TestCertificates() {
    }

    /** A certificate file and its private key file. */
    public record Pem(Path cert, Path key) {
    }

    /** EC P-256, key as PKCS#8 ({@code PRIVATE KEY}). */
    public static Pem ecPkcs8(Path dir, String name) throws Exception {
        return selfSigned(dir, name, List.of("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"));
    }

    /** RSA 2048, key as PKCS#1 ({@code RSA PRIVATE KEY}). */
    public static Pem rsaPkcs1(Path dir, String name) throws Exception {
        return selfSigned(dir, name, List.of("openssl", "genrsa", "-traditional"));
    }

    /** EC P-256, key as SEC1 ({@code EC PARAMETERS} then {@code EC PRIVATE KEY}). */
    public static Pem ecSec1(Path dir, String name) throws Exception {
        return selfSigned(dir, name, List.of("openssl", "ecparam", "-name", "prime256v1", "-genkey"));
    }

    private static Pem selfSigned(Path base, String name, List<String> keyCommand) throws Exception {
        Path dir = Files.createDirectories(base.resolve(name));
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        List<String> genKey = new ArrayList<>(keyCommand);
        genKey.addAll(List.of("-out", key.toString()));
        openssl(genKey);
        openssl(List.of("openssl", "req", "-x509", "-new", "-key", key.toString(), "-out", cert.toString(), "-days", "2", "-subj",
                "/CN=" + name, "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"));
        return new Pem(cert, key);
    }

    private static void openssl(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + new String(output, StandardCharsets.UTF_8)).isZero();
    }
}
