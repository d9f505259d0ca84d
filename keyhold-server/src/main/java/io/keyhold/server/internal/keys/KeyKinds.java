package io.keyhold.server.internal.keys;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.local.LocalKeyScope;
import io.keyhold.kms.pkcs11.Pkcs11KeyRef;
import io.keyhold.kms.vault.VaultKeyRef;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.internal.http.ApiException;
import io.keyhold.server.internal.http.Body;
import io.keyhold.server.internal.util.Json;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key variants of {@code /byok/v1/keys}: the three of the published contract plus Keyhold's
 * {@code LocalKey}. Parses and checks a {@code key} object, and adds the read-only fields on output.
 * A new KMS provider adds its variant here.
 */
public final class KeyKinds {
    public static final List<String> KINDS = List.of("AwsKey", "AzureKey", "GcpKey", "LocalKey", "Pkcs11Key", "VaultKey", "KmipKey");
    public static final List<String> PROVIDERS = List.of("AWS", "Azure", "GCP", "Local", "PKCS11", "Vault", "KMIP");

    private static final Pattern AWS_ARN = Pattern.compile(
            "arn:aws(?:-[a-z]+)*:kms:([a-z]{2}(?:-[a-z]+)+-\\d):(\\d{12}):((?:key|alias)/[A-Za-z0-9/_+=.@-]{1,256})");
    private static final Pattern AZURE_KEY = Pattern.compile(
            "(https://[a-z0-9-]{3,24}\\.(?:vault|managedhsm)\\.azure\\.net/keys/[A-Za-z0-9-]{1,127})(?:/[A-Za-z0-9]{1,64})?/?");
    private static final Pattern AZURE_VAULT = Pattern.compile(
            "/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[A-Za-z0-9._()-]{1,90}/providers/Microsoft\\.KeyVault/(?:vaults|managedHSMs)/[A-Za-z0-9-]{3,24}");
    private static final Pattern UUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern GCP_KEY = Pattern.compile(
            "projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/locations/([a-z0-9-]{1,63})/keyRings/[A-Za-z0-9_-]{1,63}/cryptoKeys/[A-Za-z0-9_-]{1,63}(?:/cryptoKeyVersions/\\d{1,10})?");
    private static final Pattern PKCS11_LABEL = Pattern.compile("[^\\p{Cntrl}]{1,128}");
    /** A KMIP server's name in {@code kms.kmip.<server>.*}, as the kmip provider takes it. */
    private static final Pattern KMIP_SERVER = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** A KMIP Unique Identifier or Name: printable text, as the provider's references take it. */
    private static final Pattern KMIP_OBJECT = Pattern.compile("\\p{Graph}[\\p{Graph} ]{0,250}");
    private static final Pattern LOCAL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final ServerConfig config;
    private final LocalKeys localKeys;

    public KeyKinds(ServerConfig config, LocalKeys localKeys) {
        this.config = config;
        this.localKeys = localKeys;
    }

    /** Parses {@code /key} of a create request by organization {@code orgId}. */
    public KeySpec parse(Body body, String orgId) {
        body.requiredObject("/key");
        String kind = body.requiredString("/key/kind");
        return switch (kind) {
            case "AwsKey" -> aws(body);
            case "AzureKey" -> azure(body);
            case "GcpKey" -> gcp(body);
            case "LocalKey" -> local(body, orgId);
            case "Pkcs11Key" -> pkcs11(body);
            case "VaultKey" -> vault(body);
            case "KmipKey" -> kmip(body);
            default -> throw ApiException.invalid("/key/kind", "Unknown key kind '" + kind + "'; expected one of "
                    + String.join(", ", KINDS));
        };
    }

    private KeySpec aws(Body body) {
        body.onlyFields("/key", Set.of("kind", "key_arn", "roles"));
        Matcher m = matching(body, "/key/key_arn", AWS_ARN, "invalid key format: '/key/key_arn' must be an AWS KMS key or alias ARN "
                + "(arn:aws:kms:<region>:<account>:key/<id> or .../alias/<name>)");
        String arn = m.group();
        ObjectNode stored = Json.object().put("kind", "AwsKey").put("key_arn", arn);
        return new KeySpec("AwsKey", "AWS", "aws", arn, arn, m.group(1), stored);
    }

    private KeySpec azure(Body body) {
        body.onlyFields("/key", Set.of("kind", "key_id", "key_vault_id", "tenant_id", "application_id"));
        Matcher m = matching(body, "/key/key_id", AZURE_KEY, "invalid key format: '/key/key_id' must be an Azure Key Vault key URL "
                + "(https://<vault>.vault.azure.net/keys/<name>)");
        String vault = matching(body, "/key/key_vault_id", AZURE_VAULT, "'/key/key_vault_id' must be a Key Vault resource id "
                + "(/subscriptions/<uuid>/resourceGroups/<rg>/providers/Microsoft.KeyVault/vaults/<vault>)").group();
        String tenant = matching(body, "/key/tenant_id", UUID, "'/key/tenant_id' must be a UUID").group();
        // The contract stores the key URL without its version: the newest version is always used.
        String versionless = m.group(1);
        ObjectNode stored = Json.object().put("kind", "AzureKey").put("key_id", versionless)
                .put("key_vault_id", vault).put("tenant_id", tenant.toLowerCase(java.util.Locale.ROOT));
        return new KeySpec("AzureKey", "Azure", "azure", versionless, versionless, null, stored);
    }

    private KeySpec gcp(Body body) {
        body.onlyFields("/key", Set.of("kind", "key_id", "security_group"));
        Matcher m = matching(body, "/key/key_id", GCP_KEY, "invalid key format: '/key/key_id' must be a Cloud KMS key name "
                + "(projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>)");
        String keyId = m.group();
        ObjectNode stored = Json.object().put("kind", "GcpKey").put("key_id", keyId);
        return new KeySpec("GcpKey", "GCP", "gcp", keyId, keyId, m.group(1), stored);
    }

    /**
     * A KmipKey names an object on a KMIP server the server's settings configure ({@code kms.kmip.<server>.address}):
     * by its unique identifier ({@code key_id}, one object, no rotation) or by a Name to locate
     * ({@code name}: the newest Active object of that name wraps). The provider is called with
     * {@code <server>/<key_id>} or {@code <server>/name:<name>}.
     */
    private KeySpec kmip(Body body) {
        body.onlyFields("/key", Set.of("kind", "server", "key_id", "name"));
        String server = matching(body, "/key/server", KMIP_SERVER, "'/key/server' must name a KMIP server of the server's settings "
                + "(kms.kmip.<server>.*): lower case letters, digits and '-'").group();
        if (config.kmsSettingsFor("kmip").get(server + ".address").isEmpty()) {
            throw ApiException.invalid("/key/server", "no KMIP server '" + server + "' is configured: the server's settings need "
                    + "kms.kmip." + server + ".address, .client-cert, .client-key and .ca");
        }
        boolean byName = body.has("/key/name");
        if (byName == body.has("/key/key_id")) {
            throw ApiException.invalid("/key/key_id", "a KmipKey has either 'key_id' (the object's unique identifier) or 'name' (a Name to locate)");
        }
        String pointer = byName ? "/key/name" : "/key/key_id";
        if (!byName && body.requiredString(pointer).trim().startsWith("name:")) {
            throw ApiException.invalid(pointer, "'/key/key_id' is a unique identifier; give a Name to locate as '/key/name'");
        }
        String object = matching(body, pointer, KMIP_OBJECT, "'" + pointer + "' must be 1-251 printable characters").group();
        String ref = server + "/" + (byName ? "name:" : "") + object;
        ObjectNode stored = Json.object().put("kind", "KmipKey").put("server", server).put(byName ? "name" : "key_id", object);
        return new KeySpec("KmipKey", "KMIP", "kmip", ref, ref, null, stored);
    }

    /**
     * A LocalKey names a key of the organization's own part of the local KMS, by its short name;
     * the KMS is called with the store name (see {@link LocalKeys}), so another organization's key
     * can not be named at all. Automatic cluster keys are Keyhold's, never a customer key.
     */
    private KeySpec local(Body body, String orgId) {
        body.onlyFields("/key", Set.of("kind", "key_id"));
        String name = matching(body, "/key/key_id", LOCAL_NAME,
                "'/key/key_id' must name a key of the local KMS: 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit").group();
        if (name.startsWith(LocalKeyScope.AUTOMATIC_PREFIX)) {
            throw ApiException.invalid("/key/key_id", "'/key/key_id' can not name a key starting with '" + LocalKeyScope.AUTOMATIC_PREFIX
                    + "': those are the keys Keyhold makes for clusters with automatic encryption");
        }
        ObjectNode stored = Json.object().put("kind", "LocalKey").put("key_id", name);
        return new KeySpec("LocalKey", "Local", "local", name, localKeys.reference(orgId, name), "local", stored);
    }

    /**
     * A Pkcs11Key names an AES-256 key on an HSM token by the token's label and the key object's
     * CKA_LABEL; the KMS is called with the PKCS#11 URI they make. HSMs say nothing of regions.
     */
    private KeySpec pkcs11(Body body) {
        body.onlyFields("/key", Set.of("kind", "token_label", "key_label"));
        String token = matching(body, "/key/token_label", PKCS11_LABEL, "'/key/token_label' must be the label of the HSM token"
                + " (1-32 characters)").group();
        String label = matching(body, "/key/key_label", PKCS11_LABEL, "'/key/key_label' must be the label (CKA_LABEL) of the key"
                + " on the token (1-128 characters)").group();
        Pkcs11KeyRef ref;
        try {
            ref = new Pkcs11KeyRef(token, label);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage().contains("token label") ? "/key/token_label" : "/key/key_label", e.getMessage());
        }
        ObjectNode stored = Json.object().put("kind", "Pkcs11Key").put("token_label", token).put("key_label", label);
        return new KeySpec("Pkcs11Key", "PKCS11", "pkcs11", ref.ref(), ref.ref(), null, stored);
    }

    /**
     * A VaultKey names a Transit key by its mount path and key name; the KMS is called with
     * {@code <mount>/keys/<name>}. Vault says nothing of regions.
     */
    private KeySpec vault(Body body) {
        body.onlyFields("/key", Set.of("kind", "mount_path", "key_name"));
        String mount = body.requiredString("/key/mount_path").trim();
        String name = body.requiredString("/key/key_name").trim();
        VaultKeyRef ref;
        try {
            ref = new VaultKeyRef(mount.replaceAll("^/+|/+$", ""), name);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage().contains("mount path") ? "/key/mount_path" : "/key/key_name", e.getMessage());
        }
        ObjectNode stored = Json.object().put("kind", "VaultKey").put("mount_path", ref.mount()).put("key_name", ref.name());
        return new KeySpec("VaultKey", "Vault", "vault", ref.ref(), ref.ref(), null, stored);
    }

    /** The trimmed string at {@code pointer}, matched whole by {@code pattern}; else a 400 with {@code message}. */
    private static Matcher matching(Body body, String pointer, Pattern pattern, String message) {
        Matcher m = pattern.matcher(body.requiredString(pointer).trim());
        if (!m.matches()) {
            throw ApiException.invalid(pointer, message);
        }
        return m;
    }

    /** The {@code key} object as returned: the stored fields plus the read-only ones of its variant. */
    public ObjectNode render(String storedJson) {
        ObjectNode key = (ObjectNode) Json.parse(storedJson);
        switch (key.path("kind").asText()) {
            case "AwsKey" -> {
                ArrayNode roles = key.putArray("roles");
                config.awsRoles().forEach(roles::add);
            }
            case "AzureKey" -> Json.putIfPresent(key, "application_id", config.azureApplicationId());
            case "GcpKey" -> Json.putIfPresent(key, "security_group", config.gcpSecurityGroup());
            default -> {
            }
        }
        return key;
    }

    /** Checks a {@code provider} filter value. */
    public static boolean isProvider(String v) {
        return PROVIDERS.contains(v);
    }
}
