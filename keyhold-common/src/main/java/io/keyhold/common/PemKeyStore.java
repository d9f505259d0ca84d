package io.keyhold.common;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * An in-memory key store from PEM files, as web servers take them: a certificate file (the server
 * certificate first, then any intermediates) and an unencrypted private key file (PKCS#8
 * {@code PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY} or SEC1 {@code EC PRIVATE KEY}). Refuses a
 * key that does not belong to the certificate, which would otherwise only show as failed handshakes.
 * Error messages name the file and the problem, never any key material.
 */
public final class PemKeyStore {
    public static final String ALIAS = "keyhold";
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

    private PemKeyStore() {
    }

    /** The key store, its entry protected with {@code password}. */
    public static KeyStore load(Path certFile, Path keyFile, char[] password) {
        List<Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile, chain.get(0).getPublicKey().getAlgorithm());
        requireMatch(key, (X509Certificate) chain.get(0), certFile, keyFile);
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, key, password, chain.toArray(new Certificate[0]));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot build a key store from " + certFile + " and " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private static List<Certificate> certificates(Path file) {
        List<Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(file)) {
                if (b.type().equals("CERTIFICATE")) {
                    chain.add(factory.generateCertificate(new ByteArrayInputStream(b.der())));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the TLS certificate file " + file + " holds a certificate that cannot be read: "
                    + e.getMessage(), e);
        }
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("the TLS certificate file " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return chain;
    }

    private static PrivateKey privateKey(Path file, String certificateAlgorithm) {
        for (Block b : blocks(file)) {
            try {
                switch (b.type()) {
                    case "PRIVATE KEY":
                        return KeyFactory.getInstance(certificateAlgorithm).generatePrivate(new PKCS8EncodedKeySpec(b.der()));
                    case "RSA PRIVATE KEY":
                        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(new PrivateKeyInfo(
                                new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                                ASN1Primitive.fromByteArray(b.der())).getEncoded()));
                    case "EC PRIVATE KEY":
                        ECPrivateKey ec = ECPrivateKey.getInstance(ASN1Primitive.fromByteArray(b.der()));
                        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(new PrivateKeyInfo(
                                new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, ec.getParametersObject()), ec).getEncoded()));
                    case "ENCRYPTED PRIVATE KEY":
                        throw new IllegalArgumentException("the TLS key file " + file + " is encrypted; give the server an unencrypted "
                                + "key file readable only by its user (e.g. openssl pkey -in ENCRYPTED -out KEY)");
                    default:
                        // e.g. EC PARAMETERS before the key: skip
                }
            } catch (GeneralSecurityException | IOException | IllegalStateException e) {
                throw new IllegalArgumentException("the TLS key file " + file + " holds a " + b.type() + " that cannot be read as a "
                        + certificateAlgorithm + " key (the certificate's algorithm)", e);
            }
        }
        throw new IllegalArgumentException("the TLS key file " + file + " holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }

    /** Signs with the key and verifies with the certificate. */
    private static void requireMatch(PrivateKey key, X509Certificate cert, Path certFile, Path keyFile) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null; // no cheap check for this algorithm: a mismatch will fail the handshakes
        };
        if (algorithm == null) {
            return;
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // reported below
        }
        throw new IllegalArgumentException("the private key in " + keyFile + " does not belong to the certificate in " + certFile);
    }

    private record Block(String type, byte[] der) {
    }

    private static List<Block> blocks(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1); // never fails to decode: PEM is ASCII
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(m.group(2))));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(file + " holds a damaged PEM block (" + m.group(1) + ")", e);
            }
        }
        return out;
    }
}
