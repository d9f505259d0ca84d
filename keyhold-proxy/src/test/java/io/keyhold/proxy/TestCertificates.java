package io.keyhold.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
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
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A private CA made by a test, and the certificates it issues, as PEM files in a directory of the
 * test: the good ones, and the ones TLS must refuse (another CA's, a wrong host name, expired).
 * Keys are RSA 2048, which every client (the JDK, librdkafka) takes. Nothing here is anyone's secret.
 */
public final class TestCertificates {
    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private final Path dir;
    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate caCert;

    /** One certificate and its key, as files. */
    public record Issued(Path certFile, Path keyFile, X509Certificate cert, KeyPair keys) {
        /** The certificate and key as a PKCS#12 key store (for a Kafka broker's {@code ssl.keystore.location}). */
        public Path pkcs12(String password) {
            Path file = certFile.resolveSibling(certFile.getFileName().toString().replace(".pem", ".p12"));
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("key", keys.getPrivate(), password.toCharArray(), new Certificate[] {cert});
                try (OutputStream out = Files.newOutputStream(file)) {
                    ks.store(out, password.toCharArray());
                }
                return file;
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalStateException("cannot write " + file, e);
            }
        }
    }

    private TestCertificates(Path dir, String name) throws GeneralSecurityException {
        this.dir = dir;
        this.name = name;
        this.caKeys = rsa();
        X500Name caName = new X500Name("CN=" + name);
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caName, serial(), Date.from(now.minus(Duration.ofDays(10))),
                Date.from(now.plus(Duration.ofDays(10))), caName, caKeys.getPublic());
        try {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.caCert = sign(b);
        write(caFile(), pem("CERTIFICATE", caCert.getEncoded()));
    }

    /** A new CA named {@code name}, its certificate in {@code dir/name-ca.pem}. */
    public static TestCertificates ca(Path dir, String name) {
        try {
            return new TestCertificates(dir, name);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a test CA", e);
        }
    }

    /** The CA's certificate (PEM): what a peer trusts. */
    public Path caFile() {
        return dir.resolve(name + "-ca.pem");
    }

    /** Valid from an hour ago for two days, for {@code hosts} (IP addresses or DNS names), for servers and clients alike. */
    public Issued issue(String file, String... hosts) {
        Instant now = Instant.now();
        return issue(file, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)), hosts);
    }

    /** As {@link #issue(String, String...)} for servers only (extended key usage serverAuth), as public CAs now issue them. */
    public Issued serverOnly(String file, String... hosts) {
        Instant now = Instant.now();
        return issue(file, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(2)), new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth},
                hosts);
    }

    /** Expired yesterday. */
    public Issued expired(String file, String... hosts) {
        Instant now = Instant.now();
        return issue(file, now.minus(Duration.ofDays(5)), now.minus(Duration.ofDays(1)), hosts);
    }

    /** A certificate valid from {@code notBefore} to {@code notAfter}, in {@code dir/file.pem} and {@code dir/file.key}. */
    public Issued issue(String file, Instant notBefore, Instant notAfter, String... hosts) {
        return issue(file, notBefore, notAfter, new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}, hosts);
    }

    private Issued issue(String file, Instant notBefore, Instant notAfter, KeyPurposeId[] purposes, String... hosts) {
        try {
            KeyPair keys = rsa();
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(caCert, serial(), Date.from(notBefore), Date.from(notAfter),
                    new X500Name("CN=" + (hosts.length == 0 ? file : hosts[0])), keys.getPublic());
            GeneralName[] names = new GeneralName[hosts.length];
            for (int i = 0; i < hosts.length; i++) {
                names[i] = new GeneralName(hosts[i].matches("[0-9.]+|.*:.*") ? GeneralName.iPAddress : GeneralName.dNSName, hosts[i]);
            }
            if (names.length > 0) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
            }
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(purposes));
            X509Certificate cert = sign(b);
            Issued issued = new Issued(dir.resolve(file + ".pem"), dir.resolve(file + ".key"), cert, keys);
            write(issued.certFile(), pem("CERTIFICATE", cert.getEncoded()));
            write(issued.keyFile(), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
            return issued;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot issue a test certificate", e);
        }
    }

    private X509Certificate sign(JcaX509v3CertificateBuilder b) throws GeneralSecurityException {
        try {
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withRSA")
                    .build(caKeys.getPrivate())));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static KeyPair rsa() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return BigInteger.valueOf(SERIALS.incrementAndGet());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void write(Path file, String content) {
        try {
            Files.writeString(file, content, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
