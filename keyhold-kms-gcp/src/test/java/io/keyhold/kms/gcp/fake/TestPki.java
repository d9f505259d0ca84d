package io.keyhold.kms.gcp.fake;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test CA and the fake's TLS certificate for 127.0.0.1, made once per JVM: what a user does with
 * a private CA (the provider's {@code ca-file} setting trusts {@link #caFile()}). Nothing here is
 * a secret of anyone: the keys live in memory and in a temporary directory of the test run.
 */
public final class TestPki {
    private static TestPki instance;

    private final Path dir;
    private final byte[] serverCertPem;
    private final byte[] serverKeyPem;

    private TestPki() throws GeneralSecurityException, IOException {
        dir = Files.createTempDirectory("keyhold-gcp-pki");
        dir.toFile().deleteOnExit();
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(256);
        KeyPair ca = ec.generateKeyPair();
        KeyPair server = ec.generateKeyPair();
        X500Name caName = new X500Name("CN=Keyhold test CA");
        Instant now = Instant.now();
        Date from = Date.from(now.minus(Duration.ofHours(1)));
        Date to = Date.from(now.plus(Duration.ofDays(2)));
        JcaX509v3CertificateBuilder caCert = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, from, to, caName, ca.getPublic());
        caCert.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        caCert.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate caX509 = sign(caCert, ca);
        JcaX509v3CertificateBuilder leaf = new JcaX509v3CertificateBuilder(caName, BigInteger.TWO, from, to,
                new X500Name("CN=127.0.0.1"), server.getPublic());
        leaf.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
        leaf.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        X509Certificate leafX509 = sign(leaf, ca);
        write(dir.resolve("ca.pem"), pem("CERTIFICATE", caX509.getEncoded()));
        serverCertPem = pem("CERTIFICATE", leafX509.getEncoded());
        serverKeyPem = pem("PRIVATE KEY", server.getPrivate().getEncoded());
    }

    public static synchronized TestPki get() {
        if (instance == null) {
            try {
                instance = new TestPki();
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("could not make the test PKI", e);
            }
        }
        return instance;
    }

    /** The CA certificate, PEM: the provider's {@code ca-file}. */
    public Path caFile() {
        return dir.resolve("ca.pem");
    }

    byte[] serverCertPem() {
        return serverCertPem.clone();
    }

    byte[] serverKeyPem() {
        return serverKeyPem.clone();
    }

    /** A directory of this test run for files the fake hands out. */
    Path dir() {
        return dir;
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair issuer) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    static byte[] pem(String type, byte[] der) {
        return ("-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** Writes an owner-only file. */
    static void write(Path file, byte[] content) {
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(file, content);
            file.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
