package io.keyhold.kms.vault.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.vault.VaultKeyRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** What a Transit key read and a capabilities answer say about a key's use as a Keyhold KEK. */
public final class TransitKeys {
    /** AEAD key types: the ones whose encrypt and decrypt take associated_data. */
    public static final Set<String> AEAD_TYPES = Set.of("aes256-gcm96", "chacha20-poly1305");

    private TransitKeys() {
    }

    /** What keeps the key from serving, in words that name the fix; empty when nothing does. */
    public static List<String> problems(JsonNode key) {
        List<String> problems = new ArrayList<>();
        String type = key.path("type").asText("");
        if (!AEAD_TYPES.contains(type)) {
            problems.add("the key is of type " + type + ": create an aes256-gcm96 key (AEAD: it binds the encryption context as associated data)");
        }
        if (key.path("derived").asBoolean(false)) {
            problems.add("the key is derived (derived=true): Keyhold binds the context as associated_data, not through key derivation;"
                    + " create the key without derived");
        }
        if (key.path("deletion_allowed").asBoolean(false)) {
            problems.add("the key may be deleted (deletion_allowed=true), which destroys every record under it: set deletion_allowed=false"
                    + " (vault write <mount>/keys/<name>/config deletion_allowed=false)");
        }
        if (key.has("supports_encryption") && !key.path("supports_encryption").asBoolean()) {
            problems.add("the key does not support encryption");
        }
        return problems;
    }

    /** {@code sys/capabilities-self}'s answer as {path: [capabilities]} for the key's three paths. */
    public static JsonNode capabilitiesOf(JsonNode answer, VaultKeyRef ref) {
        JsonNode data = answer.has("data") && answer.path("data").isObject() ? answer.path("data") : answer;
        ObjectNode out = VaultHttp.JSON.createObjectNode();
        for (String op : new String[] {"keys", "encrypt", "decrypt"}) {
            String path = ref.path(op);
            if (data.has(path)) {
                out.set(op, data.path(path));
            }
        }
        return out;
    }

    /**
     * Whether the policy is Vault's way to disable a key for Keyhold: the key may still be read but
     * neither encrypt nor decrypt (Transit keys have no disabled state of their own).
     */
    public static boolean disabledByPolicy(JsonNode capabilities) {
        return capabilities.has("keys") && capabilities.has("encrypt") && capabilities.has("decrypt")
                && allows(capabilities.path("keys")) && !allows(capabilities.path("encrypt")) && !allows(capabilities.path("decrypt"));
    }

    private static boolean allows(JsonNode caps) {
        for (JsonNode c : caps) {
            String s = c.asText();
            if (s.equals("deny")) {
                return false;
            }
        }
        return caps.size() > 0;
    }
}
