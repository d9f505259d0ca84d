package io.keyhold.kms.azure.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * The key operations of the Key Vault REST API the fake serves, on its keys: get (current or one
 * version), wrapkey and unwrapkey (RSA-OAEP-256 with real RSA keys), rotate. Each enforces what Key
 * Vault does: RBAC data actions, a deleted key is not found, a disabled version refuses everything,
 * expiration and activation dates stop wrapping but not unwrapping, {@code key_ops} must permit the
 * operation, and a ciphertext that does not decrypt is a bad parameter.
 */
final class FakeVaultOperations {
    private static final OAEPParameterSpec OAEP_256 = new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
            PSource.PSpecified.DEFAULT);

    private final String vaultUrl;
    private final Map<String, FakeVaultKey> keys;
    private final ObjectMapper json = new ObjectMapper();

    FakeVaultOperations(String vaultUrl, Map<String, FakeVaultKey> keys) {
        this.vaultUrl = vaultUrl;
        this.keys = keys;
    }

    JsonNode get(String name, String versionId) {
        FakeVaultKey k = key(name, "read");
        FakeVaultKey.Version v = versionId == null ? k.current() : version(k, versionId);
        if (!v.enabled) {
            throw FakeVaultError.forbidden("KeyDisabled", "Operation get is not allowed on a disabled key.");
        }
        return bundle(k, v);
    }

    JsonNode rotate(String name) {
        FakeVaultKey k = key(name, "rotate");
        return bundle(k, k.rotate());
    }

    JsonNode wrap(String name, String versionId, JsonNode body) {
        FakeVaultKey k = key(name, "wrap");
        FakeVaultKey.Version v = usable(k, versionId, "wrapKey");
        if (!v.active(Instant.now())) {
            throw FakeVaultError.forbidden(v.expires != null && !v.expires.isAfter(Instant.now()) ? "KeyExpired" : "KeyNotYetValid",
                    "Operation wrapKey is not allowed on an expired or not yet valid key.");
        }
        byte[] out = rsa(k, v, Cipher.ENCRYPT_MODE, value(body));
        return json.createObjectNode().put("kid", kid(k, v)).put("value", b64(out));
    }

    JsonNode unwrap(String name, String versionId, JsonNode body) {
        FakeVaultKey k = key(name, "unwrap");
        FakeVaultKey.Version v = usable(k, versionId, "unwrapKey"); // expired or not yet valid keys still unwrap
        byte[] out = rsa(k, v, Cipher.DECRYPT_MODE, value(body));
        if (k.unwrapsWrongly && out.length > 0) {
            out[0] ^= 1;
        }
        return json.createObjectNode().put("kid", kid(k, v)).put("value", b64(out));
    }

    private FakeVaultKey key(String name, String action) {
        FakeVaultKey k = keys.get(name);
        if (k == null || k.deleted) {
            throw FakeVaultError.keyNotFound(name);
        }
        if (k.deniedTo(action)) {
            throw FakeVaultError.forbidden("ForbiddenByRbac", "Caller is not authorized to perform action on resource.\r\n"
                    + "Action: 'Microsoft.KeyVault/vaults/keys/" + (action.equals("read") ? "read" : action + "/action") + "'\r\n"
                    + "Resource: '" + vaultUrl + "/keys/" + name + "'\r\nAssignment: (not found)\r\nDecisionReason: 'DeniedWithNoValidRBAC'");
        }
        return k;
    }

    private static FakeVaultKey.Version version(FakeVaultKey k, String id) {
        FakeVaultKey.Version v = k.version(id);
        if (v == null) {
            throw FakeVaultError.keyNotFound(k.name + "/" + id);
        }
        return v;
    }

    private static FakeVaultKey.Version usable(FakeVaultKey k, String versionId, String op) {
        FakeVaultKey.Version v = version(k, versionId);
        if (!v.enabled) {
            throw FakeVaultError.forbidden("KeyDisabled", "Operation " + op + " is not allowed on a disabled key.");
        }
        if (!k.keyOps.contains(op)) {
            throw FakeVaultError.forbidden("KeyOperationForbidden", "Operation " + op + " is not permitted on this key.");
        }
        return v;
    }

    private static byte[] value(JsonNode body) {
        if (!"RSA-OAEP-256".equals(body.path("alg").asText())) {
            throw FakeVaultError.badParameter("Invalid parameter: alg. The fake vault takes RSA-OAEP-256 only, got '"
                    + body.path("alg").asText() + "'.");
        }
        try {
            return Base64.getUrlDecoder().decode(body.path("value").asText());
        } catch (IllegalArgumentException e) {
            throw FakeVaultError.badParameter("Invalid parameter: value is not base64url.");
        }
    }

    private static byte[] rsa(FakeVaultKey k, FakeVaultKey.Version v, int mode, byte[] in) {
        if (!k.rsa()) {
            throw FakeVaultError.badParameter("Key and algorithm are not compatible: RSA-OAEP-256 needs an RSA key, this key is " + k.kty + ".");
        }
        try {
            Cipher c = Cipher.getInstance("RSA/ECB/OAEPPadding");
            c.init(mode, mode == Cipher.ENCRYPT_MODE ? v.keys.getPublic() : v.keys.getPrivate(), OAEP_256);
            return c.doFinal(in);
        } catch (BadPaddingException | IllegalBlockSizeException e) {
            throw FakeVaultError.badParameter("Invalid parameter: the ciphertext could not be decrypted.");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String kid(FakeVaultKey k, FakeVaultKey.Version v) {
        return vaultUrl + "/keys/" + k.name + "/" + v.id;
    }

    private ObjectNode bundle(FakeVaultKey k, FakeVaultKey.Version v) {
        ObjectNode out = json.createObjectNode();
        ObjectNode key = out.putObject("key").put("kid", kid(k, v)).put("kty", k.kty);
        ArrayNode ops = key.putArray("key_ops");
        k.keyOps.forEach(ops::add);
        if (k.rsa()) {
            RSAPublicKey pub = (RSAPublicKey) v.keys.getPublic();
            key.put("n", b64(unsigned(pub.getModulus()))).put("e", b64(unsigned(pub.getPublicExponent())));
        } else {
            ECPublicKey pub = (ECPublicKey) v.keys.getPublic();
            key.put("crv", "P-256").put("x", b64(unsigned(pub.getW().getAffineX()))).put("y", b64(unsigned(pub.getW().getAffineY())));
        }
        ObjectNode a = out.putObject("attributes").put("enabled", v.enabled).put("created", v.created.getEpochSecond())
                .put("updated", v.created.getEpochSecond()).put("recoveryLevel", k.recoveryLevel).put("exportable", false);
        if (k.recoveryLevel.startsWith("Recoverable")) {
            a.put("recoverableDays", 90);
        }
        if (v.notBefore != null) {
            a.put("nbf", v.notBefore.getEpochSecond());
        }
        if (v.expires != null) {
            a.put("exp", v.expires.getEpochSecond());
        }
        return out;
    }

    private static byte[] unsigned(BigInteger i) {
        byte[] b = i.toByteArray();
        return b.length > 1 && b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    private static String b64(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
