package io.keyhold.kms.aws.fake;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** The fake's keys and aliases, in one account and any number of regions; resolves KeyId parameters as KMS does. */
final class FakeKeyStore {
    static final String ACCOUNT = "111122223333";

    private final Map<UUID, FakeKey> keys = new ConcurrentHashMap<>();
    /** Target key by alias ARN. */
    private final Map<String, UUID> aliases = new ConcurrentHashMap<>();

    FakeKey create(String region, String keySpec, String keyUsage) {
        FakeKey k = new FakeKey(region, ACCOUNT, keySpec, keyUsage);
        keys.put(k.id, k);
        return k;
    }

    static String aliasArn(String region, String aliasName) {
        return "arn:" + FakeKey.partition(region) + ":kms:" + region + ":" + ACCOUNT + ":" + aliasName;
    }

    /** Points {@code aliasName} ({@code alias/...}) at {@code target}; {@code create}: the alias must not exist yet, else it must. */
    void alias(String region, String aliasName, FakeKey target, boolean create) {
        if (!aliasName.startsWith("alias/") || aliasName.startsWith("alias/aws/")) {
            throw FakeKmsError.client("InvalidAliasNameException", "Alias must start with the prefix \"alias/\" and not be reserved");
        }
        String arn = aliasArn(region, aliasName);
        if (create ? aliases.putIfAbsent(arn, target.id) != null : aliases.replace(arn, target.id) == null) {
            throw create ? FakeKmsError.client("AlreadyExistsException", "An alias with the name " + arn + " already exists")
                    : FakeKmsError.notFound("Alias " + arn);
        }
    }

    /**
     * The key a KeyId parameter names in {@code region}: a key id, key ARN, alias name or alias ARN
     * ({@code aliasesToo} false for operations that take only keys).
     */
    FakeKey resolve(String keyId, String region, boolean aliasesToo) {
        if (keyId == null || keyId.isEmpty()) {
            throw FakeKmsError.client("ValidationException", "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
        }
        String arn = keyId.startsWith("arn:") ? keyId : keyId.startsWith("alias/") ? aliasArn(region, keyId)
                : "arn:" + FakeKey.partition(region) + ":kms:" + region + ":" + ACCOUNT + ":key/" + keyId;
        String[] parts = arn.split(":", 6);
        if (parts.length != 6 || !parts[2].equals("kms")) {
            throw FakeKmsError.client("InvalidArnException", "Invalid arn " + keyId);
        }
        if (!parts[1].equals(FakeKey.partition(region)) || !parts[3].equals(region) || !parts[4].equals(ACCOUNT)) {
            throw FakeKmsError.notFound("Key '" + arn + "'"); // another region's or account's key is not visible here
        }
        UUID id;
        if (parts[5].startsWith("alias/")) {
            if (!aliasesToo) {
                throw FakeKmsError.notFound("Key '" + arn + "'");
            }
            id = aliases.get(arn);
        } else {
            id = parseUuid(parts[5].substring("key/".length()));
        }
        FakeKey k = id == null ? null : keys.get(id);
        if (k == null) {
            throw FakeKmsError.notFound("Key '" + arn + "'");
        }
        return k;
    }

    /** The key of {@code id}, or null. */
    FakeKey byId(UUID id) {
        return keys.get(id);
    }

    void destroy(FakeKey k) {
        keys.remove(k.id);
        aliases.values().removeIf(k.id::equals);
    }

    private static UUID parseUuid(String s) {
        try {
            return UUID.fromString(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
