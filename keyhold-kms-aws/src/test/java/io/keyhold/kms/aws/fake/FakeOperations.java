package io.keyhold.kms.aws.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** The KMS operations the fake serves, request JSON in, response JSON out, as AWS KMS's JSON 1.1 API defines them. */
final class FakeOperations {
    static final String PRINCIPAL = "arn:aws:iam::" + FakeKeyStore.ACCOUNT + ":user/keyhold-test";

    private final FakeKeyStore store;
    private final ObjectMapper json = new ObjectMapper();

    FakeOperations(FakeKeyStore store) {
        this.store = store;
    }

    ObjectNode handle(String op, JsonNode req, String region) {
        switch (op) {
            case "CreateKey":
                return metadata(store.create(region, text(req, "KeySpec", "SYMMETRIC_DEFAULT"), text(req, "KeyUsage", "ENCRYPT_DECRYPT")));
            case "DescribeKey":
                return metadata(use(op, req, region, true));
            case "GenerateDataKey":
                return generateDataKey(use(op, req, region, true), req);
            case "Encrypt": {
                FakeKey k = usable(use(op, req, region, true));
                byte[] blob = FakeBlob.seal(k.id, k.current(), bytes(req, "Plaintext"), context(req));
                return object().put("CiphertextBlob", blob).put("KeyId", k.arn).put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
                        .put("KeyMaterialId", k.current().idHex());
            }
            case "Decrypt":
                return decrypt(req, region);
            case "CreateAlias":
            case "UpdateAlias": {
                FakeKey target = store.resolve(text(req, "TargetKeyId", null), region, false);
                store.alias(region, text(req, "AliasName", ""), target, op.equals("CreateAlias"));
                return object();
            }
            case "EnableKey":
                setState(use(op, req, region, false), "Enabled");
                return object();
            case "DisableKey":
                setState(use(op, req, region, false), "Disabled");
                return object();
            case "ScheduleKeyDeletion": {
                FakeKey k = use(op, req, region, false);
                int days = req.path("PendingWindowInDays").asInt(30);
                k.state = "PendingDeletion";
                k.deletionDate = Instant.now().plus(Duration.ofDays(days));
                return object().put("KeyId", k.arn).put("DeletionDate", seconds(k.deletionDate)).put("KeyState", k.state)
                        .put("PendingWindowInDays", days);
            }
            case "RotateKeyOnDemand": {
                FakeKey k = use(op, req, region, false);
                if (!k.state.equals("Enabled")) {
                    throw stateError(k);
                }
                k.rotate();
                return object().put("KeyId", k.arn);
            }
            case "GetKeyRotationStatus": {
                FakeKey k = use(op, req, region, false);
                return object().put("KeyId", k.arn).put("KeyRotationEnabled", k.automaticRotation).put("RotationPeriodInDays", 365);
            }
            default:
                throw FakeKmsError.client("UnknownOperationException", null);
        }
    }

    private ObjectNode generateDataKey(FakeKey k, JsonNode req) {
        usable(k);
        int n = req.has("NumberOfBytes") ? req.get("NumberOfBytes").asInt()
                : switch (text(req, "KeySpec", "")) {
                    case "AES_256" -> 32;
                    case "AES_128" -> 16;
                    default -> throw FakeKmsError.client("ValidationException", "Please specify either number of bytes or key spec.");
                };
        byte[] plaintext = FakeBlob.random(n);
        byte[] blob = FakeBlob.seal(k.id, k.current(), plaintext, context(req));
        return object().put("CiphertextBlob", blob).put("Plaintext", plaintext).put("KeyId", k.arn).put("KeyMaterialId", k.current().idHex());
    }

    private ObjectNode decrypt(JsonNode req, String region) {
        byte[] blob = bytes(req, "CiphertextBlob");
        FakeBlob.Header h = FakeBlob.header(blob);
        FakeKey named = store.byId(h.keyId());
        if (req.hasNonNull("KeyId")) {
            FakeKey asked = use("Decrypt", req, region, true);
            if (named != asked) {
                throw FakeKmsError.client("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.");
            }
        }
        if (named == null || !named.region.equals(region)) {
            throw FakeKmsError.invalidCiphertext();
        }
        checkAccess("Decrypt", named);
        usable(named);
        FakeKey.Material m = named.material(h.materialId());
        if (m == null) {
            throw FakeKmsError.invalidCiphertext();
        }
        byte[] plaintext = FakeBlob.open(blob, m, context(req));
        return object().put("KeyId", named.arn).put("Plaintext", plaintext).put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
                .put("KeyMaterialId", m.idHex());
    }

    /** The key the request's KeyId names, once Keyhold's principal may do {@code op} with it. */
    private FakeKey use(String op, JsonNode req, String region, boolean aliasesToo) {
        FakeKey k = store.resolve(text(req, "KeyId", null), region, aliasesToo);
        checkAccess(op, k);
        return k;
    }

    private static void checkAccess(String op, FakeKey k) {
        if (k.deniedTo(op)) {
            throw FakeKmsError.client("AccessDeniedException", "User: " + PRINCIPAL + " is not authorized to perform: kms:" + op
                    + " on resource: " + k.arn + " because no resource-based policy allows the kms:" + op + " action");
        }
    }

    /** The key, if its state allows cryptographic operations; else AWS's error for that state. */
    private static FakeKey usable(FakeKey k) {
        if (!k.state.equals("Enabled")) {
            throw stateError(k);
        }
        if (!k.keySpec.equals("SYMMETRIC_DEFAULT")) {
            throw FakeKmsError.client("InvalidKeyUsageException", k.arn + " key usage is " + k.keyUsage + " which is not valid for this operation.");
        }
        return k;
    }

    private static FakeKmsError stateError(FakeKey k) {
        if (k.state.equals("Disabled")) {
            return FakeKmsError.client("DisabledException", k.arn + " is disabled.");
        }
        String what = k.state.equals("PendingDeletion") ? "pending deletion" : k.state;
        return FakeKmsError.client("KMSInvalidStateException", k.arn + " is " + what + ".");
    }

    private static void setState(FakeKey k, String state) {
        if (k.state.equals("PendingDeletion")) {
            throw stateError(k);
        }
        k.state = state;
    }

    private ObjectNode metadata(FakeKey k) {
        ObjectNode m = object().put("AWSAccountId", k.account).put("KeyId", k.id.toString()).put("Arn", k.arn)
                .put("CreationDate", seconds(k.created)).put("Enabled", k.state.equals("Enabled")).put("Description", "")
                .put("KeyUsage", k.keyUsage).put("KeyState", k.state).put("Origin", "AWS_KMS").put("KeyManager", "CUSTOMER")
                .put("CustomerMasterKeySpec", k.keySpec).put("KeySpec", k.keySpec).put("MultiRegion", false)
                .put("CurrentKeyMaterialId", k.current().idHex());
        m.putArray("EncryptionAlgorithms").add("SYMMETRIC_DEFAULT");
        if (k.deletionDate != null) {
            m.put("DeletionDate", seconds(k.deletionDate)).put("PendingDeletionWindowInDays", 30);
        }
        ObjectNode r = object();
        r.set("KeyMetadata", m);
        return r;
    }

    private ObjectNode object() {
        return json.createObjectNode();
    }

    private static Map<String, String> context(JsonNode req) {
        Map<String, String> c = new LinkedHashMap<>();
        req.path("EncryptionContext").properties().forEach(e -> c.put(e.getKey(), e.getValue().asText()));
        return c;
    }

    private static byte[] bytes(JsonNode req, String field) {
        try {
            return Base64.getDecoder().decode(text(req, field, ""));
        } catch (IllegalArgumentException e) {
            throw FakeKmsError.client("SerializationException", "'" + field + "' is not base64");
        }
    }

    private static String text(JsonNode req, String field, String dflt) {
        JsonNode n = req.get(field);
        return n == null || n.isNull() ? dflt : n.asText();
    }

    private static double seconds(Instant t) {
        return t.toEpochMilli() / 1000.0;
    }
}
