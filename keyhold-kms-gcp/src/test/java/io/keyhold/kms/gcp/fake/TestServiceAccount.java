package io.keyhold.kms.gcp.fake;

import io.keyhold.kms.testkit.TestCa;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A service account of the fake's project with an RSA key, and its JSON key file as the Cloud
 * console writes it: the provider's {@code credentials-file}. The client signs self-signed JWTs
 * with it (as Application Default Credentials do with a service-account key); the fake verifies
 * them with the public key. Its {@code token_uri} points at a closed loopback port: no token
 * exchange is expected, and none could leave the machine.
 */
public final class TestServiceAccount {
    private final String email;
    private final String keyId;
    private final KeyPair key;
    private final Path file;

    public TestServiceAccount(String name, String project) {
        try {
            KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
            rsa.initialize(2048);
            this.key = rsa.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        this.email = name + "@" + project + ".iam.gserviceaccount.com";
        byte[] id = new byte[20];
        ThreadLocalRandom.current().nextBytes(id);
        this.keyId = HexFormat.of().formatHex(id);
        this.file = TestPki.get().dir().resolve(name + "-" + keyId.substring(0, 8) + ".json");
        String privateKey = new String(TestCa.pem("PRIVATE KEY", key.getPrivate().getEncoded()), StandardCharsets.US_ASCII)
                .replace("\n", "\\n");
        String json = "{\n"
                + "  \"type\": \"service_account\",\n"
                + "  \"project_id\": \"" + project + "\",\n"
                + "  \"private_key_id\": \"" + keyId + "\",\n"
                + "  \"private_key\": \"" + privateKey + "\",\n"
                + "  \"client_email\": \"" + email + "\",\n"
                + "  \"client_id\": \"100000000000000000001\",\n"
                + "  \"auth_uri\": \"http://127.0.0.1:1/o/oauth2/auth\",\n"
                + "  \"token_uri\": \"http://127.0.0.1:1/token\"\n"
                + "}\n";
        TestCa.writeOwnerOnly(file, json.getBytes(StandardCharsets.UTF_8));
        file.toFile().deleteOnExit();
    }

    public String email() {
        return email;
    }

    String keyId() {
        return keyId;
    }

    PublicKey publicKey() {
        return key.getPublic();
    }

    /** The JSON key file: the provider's {@code credentials-file}. */
    public Path file() {
        return file;
    }
}
