package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.pkcs11.Pkcs11KeyRef;
import io.keyhold.kms.vault.VaultKeyRef;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyhold byok ...}: register and manage self-managed keys (byok/v1), as the Confluent CLI does. */
@Command(name = "byok", mixinStandardHelpOptions = true, description = "Manage self-managed keys (bring your own key).",
        subcommands = {ByokCommand.Create.class, ByokCommand.ListKeys.class, ByokCommand.Describe.class, ByokCommand.Update.class,
                ByokCommand.Delete.class, ByokCommand.Rotate.class})
public final class ByokCommand {

    static Map<String, Object> row(JsonNode k) {
        JsonNode key = k.path("key");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.path("id").asText());
        m.put("display_name", k.path("display_name").asText());
        m.put("key", key.has("key_arn") ? key.path("key_arn").asText() : key.path("kind").asText().equals("KmipKey") ? kmipKeyText(key)
                : key.has("token_label") ? pkcs11Ref(key)
                : key.has("mount_path") ? key.path("mount_path").asText() + "/keys/" + key.path("key_name").asText() : key.path("key_id").asText());
        List<String> roles = new ArrayList<>();
        key.path("roles").forEach(r -> roles.add(r.asText()));
        if (key.has("application_id")) {
            roles.add(key.path("application_id").asText());
        }
        if (key.has("security_group")) {
            roles.add(key.path("security_group").asText());
        }
        m.put("roles", roles);
        m.put("cloud", k.path("provider").asText());
        m.put("region", k.path("validation").path("region").asText(""));
        m.put("state", k.path("state").asText());
        m.put("created_at", k.path("metadata").path("created_at").asText());
        m.put("validation_phase", k.path("validation").path("phase").asText());
        m.put("validation_since", k.path("validation").path("since").asText());
        m.put("message", k.path("validation").path("message").asText(""));
        m.put("current_version", k.path("current_version").asText(""));
        m.put("last_rotated_at", k.path("last_rotated_at").asText(""));
        return m;
    }

    /**
     * Recognises the provider from the key text, as the Confluent CLI does. A KMIP key is
     * {@code kmip:<server>/<unique identifier>} or {@code kmip:<server>/name:<name>}, or with
     * {@code kmipServer} given just {@code <unique identifier>} or {@code name:<name>}.
     */
    static ObjectNode keyObject(String key, String keyVault, String tenant, boolean local, String kmipServer) {
        ObjectNode o = ApiClient.JSON.createObjectNode();
        if (local) {
            return o.put("kind", "LocalKey").put("key_id", key);
        }
        if (kmipServer != null || key.startsWith(KMIP_PREFIX)) {
            return kmipKeyObject(o, key, kmipServer);
        }
        if (key.matches("arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:(key|alias)/.+")) {
            return o.put("kind", "AwsKey").put("key_arn", key);
        }
        if (key.matches("https://[a-z0-9-]+\\.(vault|managedhsm)\\.azure\\.net/keys/[^/]+(/[^/]+)?/?")) {
            if (keyVault == null || tenant == null) {
                throw new ApiError(2, 0, "an Azure key needs --key-vault-id and --tenant-id");
            }
            String versionless = key.replaceAll("^(https://[^/]+/keys/[^/]+).*$", "$1");
            return o.put("kind", "AzureKey").put("key_id", versionless).put("key_vault_id", keyVault).put("tenant_id", tenant);
        }
        if (key.startsWith("projects/") && key.contains("/cryptoKeys/")) {
            return o.put("kind", "GcpKey").put("key_id", key);
        }
        if (key.startsWith(Pkcs11KeyRef.SCHEME)) {
            try {
                Pkcs11KeyRef ref = Pkcs11KeyRef.parse(key);
                return pkcs11KeyObject(ref.token(), ref.label());
            } catch (IllegalArgumentException e) {
                throw new ApiError(2, 0, "invalid key format: " + e.getMessage());
            }
        }
        if (key.matches("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/keys/[A-Za-z0-9._-]+")) {
            VaultKeyRef ref = VaultKeyRef.parse(key);
            return vaultKeyObject(ref.mount(), ref.name());
        }
        throw new ApiError(2, 0, "invalid key format: " + key);
    }

    /** A VaultKey: the Transit key {@code name} under the mount {@code mount}. */
    static ObjectNode vaultKeyObject(String mount, String name) {
        return ApiClient.JSON.createObjectNode().put("kind", "VaultKey").put("mount_path", mount).put("key_name", name);
    }

    /** A Pkcs11Key: the key labelled {@code keyLabel} on the HSM token labelled {@code tokenLabel}. */
    static ObjectNode pkcs11KeyObject(String tokenLabel, String keyLabel) {
        return ApiClient.JSON.createObjectNode().put("kind", "Pkcs11Key").put("token_label", tokenLabel).put("key_label", keyLabel);
    }

    private static String pkcs11Ref(JsonNode key) {
        try {
            return new Pkcs11KeyRef(key.path("token_label").asText(), key.path("key_label").asText()).ref();
        } catch (IllegalArgumentException e) {
            return key.path("token_label").asText() + "/" + key.path("key_label").asText();
        }
    }

    private static final String KMIP_PREFIX = "kmip:";

    private static ObjectNode kmipKeyObject(ObjectNode o, String key, String kmipServer) {
        String server = kmipServer;
        String object = key;
        if (server == null) {
            String rest = key.substring(KMIP_PREFIX.length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || slash == rest.length() - 1) {
                throw new ApiError(2, 0, "a KMIP key is kmip:<server>/<unique identifier> or kmip:<server>/name:<name>, got " + key);
            }
            server = rest.substring(0, slash);
            object = rest.substring(slash + 1);
        }
        o.put("kind", "KmipKey").put("server", server);
        return object.startsWith("name:") ? o.put("name", object.substring("name:".length())) : o.put("key_id", object);
    }

    /** A KmipKey as the key text {@code keyObject} reads. */
    static String kmipKeyText(JsonNode key) {
        return KMIP_PREFIX + key.path("server").asText() + "/" + (key.has("name") ? "name:" + key.path("name").asText()
                : key.path("key_id").asText());
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Register a key: an AWS key ARN, an Azure key URL, "
            + "a GCP key name, a KMIP key (kmip:<server>/<unique identifier> or kmip:<server>/name:<name>), a PKCS#11 URI"
            + " (pkcs11:token=<token label>;object=<key label>) or with --pkcs11-token the label of a key on that HSM token, with"
            + " --vault-mount the name of a Vault Transit key, or with --local the name of a key in the server's local KMS.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Option(names = {"--key-vault-id", "--key-vault"}, paramLabel = "ID",
                description = "Azure Key Vault (or Managed HSM) resource id: /subscriptions/.../providers/Microsoft.KeyVault/vaults/<vault>.")
        String keyVault;
        @Option(names = {"--tenant-id", "--tenant"}, paramLabel = "UUID", description = "The Azure tenant (directory) id of the vault.")
        String tenant;
        @Option(names = "--local", description = "KEY names a key of the server's local KMS.")
        boolean local;
        @Option(names = "--vault-mount", paramLabel = "MOUNT", description = "KEY is the name of a key of the Vault/OpenBao Transit"
                + " engine mounted at MOUNT (e.g. transit).")
        String vaultMount;
        @Option(names = "--pkcs11-token", paramLabel = "TOKEN", description = "KEY is the label (CKA_LABEL) of an AES-256 key on the"
                + " PKCS#11 HSM token labelled TOKEN.")
        String pkcs11Token;
        @Option(names = "--kmip-server", paramLabel = "SERVER",
                description = "KEY is a KMIP unique identifier (or name:<name>) on this KMIP server of the server's settings (kms.kmip.<server>.*).")
        String kmipServer;
        @Option(names = "--display-name", paramLabel = "NAME")
        String displayName;

        @Override
        void run(ApiClient api) {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            body.set("key", pkcs11Token != null ? pkcs11KeyObject(pkcs11Token, key)
                    : vaultMount != null ? vaultKeyObject(vaultMount, key) : keyObject(key, keyVault, tenant, local, kmipServer));
            if (displayName != null) {
                body.put("display_name", displayName);
            }
            JsonNode k = api.post("/byok/v1/keys", body);
            Output.object(out(), format, row(k));
            if (format == Output.Format.human) {
                out().println();
                out().println(grants(k));
                out().flush();
            }
        }

        /** What the customer must allow in their KMS so that Keyhold can use the key. */
        static String grants(JsonNode k) {
            JsonNode key = k.path("key");
            switch (key.path("kind").asText()) {
                case "AwsKey": {
                    StringBuilder roles = new StringBuilder();
                    key.path("roles").forEach(r -> roles.append(roles.length() == 0 ? "" : ", ").append('"').append(r.asText()).append('"'));
                    return "Add this statement to the key policy of " + key.path("key_arn").asText() + ":\n"
                            + "{\n  \"Sid\": \"Allow Keyhold to use the key\",\n  \"Effect\": \"Allow\",\n"
                            + "  \"Principal\": {\"AWS\": [" + roles + "]},\n"
                            + "  \"Action\": [\"kms:Decrypt\", \"kms:Encrypt\", \"kms:GenerateDataKey\", \"kms:DescribeKey\","
                            + " \"kms:GetKeyRotationStatus\"],\n"
                            + "  \"Resource\": \"*\"\n}";
                }
                case "AzureKey":
                    return azureGrants(key);
                case "GcpKey":
                    return gcpBindings(key.path("key_id").asText(), key.path("security_group").asText(""));
                case "Pkcs11Key":
                    return pkcs11Setup(key);
                case "VaultKey":
                    return vaultPolicy(key);
                case "KmipKey":
                    return kmipGrants(key);
                default:
                    return "Nothing to grant: the key lives in the server's local KMS. Validation: " + k.path("validation").path("phase").asText();
            }
        }
    }

    /** The Vault policy Keyhold's token (or AppRole role) needs on a Transit key: read it, encrypt and decrypt with it. */
    static String vaultPolicy(JsonNode key) {
        String mount = key.path("mount_path").asText();
        String name = key.path("key_name").asText();
        return "Give Keyhold's Vault token (or AppRole role) a policy with:\n"
                + "  path \"" + mount + "/keys/" + name + "\" { capabilities = [\"read\"] }\n"
                + "  path \"" + mount + "/encrypt/" + name + "\" { capabilities = [\"update\"] }\n"
                + "  path \"" + mount + "/decrypt/" + name + "\" { capabilities = [\"update\"] }\n"
                + "(add \"update\" on " + mount + "/keys/" + name + "/rotate only if Keyhold should rotate the key). Keep the key"
                + " aes256-gcm96 with deletion_allowed=false:\n  vault write " + mount + "/keys/" + name + "/config deletion_allowed=false";
    }

    /** What a PKCS#11 key needs: the key object's attributes on the token, and the server's library and PIN settings. */
    static String pkcs11Setup(JsonNode key) {
        return "On the HSM token '" + key.path("token_label").asText() + "', the secret key labelled '" + key.path("key_label").asText()
                + "' must be\n  an AES-256 key (CKK_AES, 32 bytes) with CKA_SENSITIVE=true, CKA_EXTRACTABLE=false, CKA_ENCRYPT=true,"
                + " CKA_DECRYPT=true.\nThe Keyhold server logs in as the token's user: set kms.pkcs11.library (the HSM's PKCS#11 library)"
                + " and\nkms.pkcs11.pin-file (a file only the server's user reads) or the environment variable KEYHOLD_PKCS11_PIN.";
    }

    /** What a KMIP object must be for Keyhold to use it, and who must be allowed to use it. */
    static String kmipGrants(JsonNode key) {
        String object = key.has("name") ? "the objects named \"" + key.path("name").asText() + "\"" : "object " + key.path("key_id").asText();
        return "On KMIP server " + key.path("server").asText() + ", " + object + " must be an Active AES-256 Symmetric Key whose "
                + "Cryptographic Usage Mask includes Encrypt and Decrypt,\nusable by the KMIP user of Keyhold's client certificate "
                + "(kms.kmip." + key.path("server").asText() + ".client-cert): its owner, or granted Get, Encrypt and Decrypt "
                + "by the server's policy.\n" + (key.has("name") ? "To rotate, create and activate a newer object of the same name."
                : "An object named by its unique identifier can not rotate: register it by name to rotate.");
    }

    /**
     * The IAM bindings a Cloud KMS key needs for Keyhold's principal: Encrypt and Decrypt
     * (roles/cloudkms.cryptoKeyEncrypterDecrypter) and cloudkms.cryptoKeys.get, which the validator
     * and the health checks use to describe the key (in roles/cloudkms.viewer), as gcloud commands.
     */
    static String gcpBindings(String keyName, String securityGroup) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("projects/([^/]+)/locations/([^/]+)/keyRings/([^/]+)/cryptoKeys/([^/]+)")
                .matcher(keyName);
        String member = securityGroup.isEmpty() ? "serviceAccount:KEYHOLD_SERVICE_ACCOUNT_EMAIL"
                : securityGroup.contains(":") ? securityGroup
                : (securityGroup.endsWith(".gserviceaccount.com") ? "serviceAccount:" : "group:") + securityGroup;
        String key = m.matches() ? m.group(4) + " --keyring " + m.group(3) + " --location " + m.group(2) + " --project " + m.group(1) : keyName;
        StringBuilder b = new StringBuilder("Grant Keyhold (" + member + ") these roles on the Cloud KMS key " + keyName + ":\n"
                + "  roles/cloudkms.cryptoKeyEncrypterDecrypter (Encrypt, Decrypt) and cloudkms.cryptoKeys.get (in roles/cloudkms.viewer)\n");
        for (String role : List.of("roles/cloudkms.cryptoKeyEncrypterDecrypter", "roles/cloudkms.viewer")) {
            b.append("gcloud kms keys add-iam-policy-binding ").append(key).append(" \\\n    --member ").append(member)
                    .append(" --role ").append(role).append('\n');
        }
        return b.toString().stripTrailing();
    }

    /**
     * The role assignment that lets Keyhold's application wrap and unwrap with the key, as {@code az}
     * commands for the key's tenant: its service principal first (once per tenant), then the role on
     * the key alone (Key Vault) or through the HSM's local RBAC (Managed HSM).
     */
    static String azureGrants(JsonNode key) {
        String keyId = key.path("key_id").asText();
        String app = key.path("application_id").asText("");
        String tenant = key.path("tenant_id").asText();
        String name = keyId.substring(keyId.lastIndexOf('/') + 1);
        String assignee = app.isEmpty() ? "<Keyhold's application id: the server has no azure-application-id>" : app;
        StringBuilder b = new StringBuilder("Let Keyhold's Azure application " + (app.isEmpty() ? "" : app + " ")
                + "wrap and unwrap with " + keyId + ". In tenant " + tenant + ":\n");
        b.append("  az login --tenant ").append(tenant).append('\n');
        b.append("  az ad sp create --id ").append(assignee).append("   # once per tenant: the application's service principal\n");
        if (keyId.contains(".managedhsm.")) {
            String hsm = keyId.replaceAll("^https://([^.]+)\\..*$", "$1");
            b.append("  az keyvault role assignment create --hsm-name ").append(hsm)
                    .append(" --role \"Managed HSM Crypto Service Encryption User\" --assignee ").append(assignee)
                    .append(" --scope /keys/").append(name).append('\n');
        } else {
            b.append("  az role assignment create --role \"Key Vault Crypto Service Encryption User\" --assignee ").append(assignee)
                    .append(" --scope ").append(key.path("key_vault_id").asText()).append("/keys/").append(name).append('\n');
            b.append("(\"Key Vault Crypto User\" works too. The vault must use Azure RBAC and have purge protection on:\n")
                    .append("  az keyvault update --name ").append(keyId.replaceAll("^https://([^.]+)\\..*$", "$1"))
                    .append(" --enable-rbac-authorization true --enable-purge-protection true)");
        }
        return b.toString().stripTrailing();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys (follows every page).")
    static final class ListKeys extends ClientCommand {
        @Option(names = "--cloud", paramLabel = "CLOUD", description = "aws, azure, gcp, local, kmip, pkcs11 or vault.")
        String cloud;
        @Option(names = "--state", paramLabel = "STATE", description = "in-use or available.")
        String state;
        @Option(names = "--region", paramLabel = "REGION")
        String region;
        @Option(names = "--validation-phase", paramLabel = "PHASE", description = "initializing, valid or invalid.")
        String phase;
        @Option(names = "--display-name", paramLabel = "NAME")
        String displayName;
        @Option(names = "--key", paramLabel = "TEXT", description = "Partial match on the key identifier.")
        String key;

        @Override
        void run(ApiClient api) {
            StringBuilder q = new StringBuilder("/byok/v1/keys?");
            if (cloud != null) {
                String c = cloud.toLowerCase(Locale.ROOT);
                add(q, "provider", switch (c) {
                    case "aws" -> "AWS";
                    case "azure" -> "Azure";
                    case "gcp" -> "GCP";
                    case "local" -> "Local";
                    case "pkcs11" -> "PKCS11";
                    case "vault" -> "Vault";
                    case "kmip" -> "KMIP";
                    default -> throw new ApiError(2, 0, "--cloud must be aws, azure, gcp, local, kmip, pkcs11 or vault");
                });
            }
            if (state != null) {
                add(q, "state", state.toUpperCase(Locale.ROOT).replace('-', '_'));
            }
            add(q, "validation_region", region);
            add(q, "validation_phase", phase == null ? null : phase.toUpperCase(Locale.ROOT));
            add(q, "display_name", displayName);
            add(q, "key", key);
            printList(api, q.toString().replaceAll("[?&]$", ""), ByokCommand::row,
                    List.of("id", "display_name", "key", "cloud", "region", "state", "validation_phase"));
        }
    }

    static void add(StringBuilder q, String name, String value) {
        if (value != null) {
            q.append(q.charAt(q.length() - 1) == '?' ? "" : "&").append(name).append('=')
                    .append(URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20"));
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = "Describe a key.")
    static final class Describe extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        void run(ApiClient api) {
            Output.object(out(), format, row(get(api, id)));
        }
    }

    static JsonNode get(ApiClient api, String id) {
        try {
            return api.get("/byok/v1/keys/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
        } catch (ApiError e) {
            if (e.status() == 404) {
                throw new ApiError(3, 404, "self-managed key \"" + id + "\" not found");
            }
            throw e;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true, description = "Change a key's display name.")
    static final class Update extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;
        @Option(names = "--display-name", required = true, paramLabel = "NAME")
        String displayName;

        @Override
        void run(ApiClient api) {
            get(api, id);
            JsonNode k = api.patch("/byok/v1/keys/" + URLEncoder.encode(id, StandardCharsets.UTF_8),
                    ApiClient.JSON.createObjectNode().put("display_name", displayName));
            Output.object(out(), format, row(k));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete keys (refused while a cluster uses a key, "
            + "and during the 5-day hold after its cluster was deleted).")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0..*", arity = "1..*", paramLabel = "ID")
        List<String> ids;
        @Option(names = "--force", description = "Skip the confirmation.")
        boolean force;

        @Override
        void run(ApiClient api) {
            for (String id : ids) {
                get(api, id);
            }
            String what = ids.size() == 1 ? "self-managed key \"" + ids.get(0) + "\"" : ids.size() + " self-managed keys " + ids;
            confirmDeletion(force, what);
            for (String id : ids) {
                api.delete("/byok/v1/keys/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
                out().println("Deleted self-managed key \"" + id + "\".");
            }
            out().flush();
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true, description = "Give a key a new version in its KMS (local, AWS, Azure, "
            + "Google Cloud): new data keys are wrapped under it; data written before stays readable.")
    static final class Rotate extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Override
        void run(ApiClient api) {
            get(api, id);
            JsonNode k = api.post("/byok/v1/keys/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "/rotate", null);
            Output.object(out(), format, row(k));
        }
    }
}
