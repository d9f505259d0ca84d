package io.keyhold.kms.vault;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import io.keyhold.kms.vault.internal.VaultHttp;
import io.keyhold.kms.vault.internal.VaultSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The conformance kit's admin on a real Vault ({@code VAULT_ADDR}, {@code VAULT_TOKEN}: a token that
 * may manage Transit keys on the mount {@code KEYHOLD_VAULT_LIVE_MOUNT}, default {@code transit},
 * write ACL policies and create tokens): keys created on the mount, and Keyhold's own token, bound
 * to a policy this admin rewrites per key to disable, deny or allow it, as an operator would.
 */
final class LiveVaultAdmin implements KmsFakeAdmin.CanDelete, KmsFakeAdmin.CanDenyAccess {
    private enum Access { FULL, DISABLED, NO_DECRYPT, NONE }

    private final String mount = Optional.ofNullable(System.getenv("KEYHOLD_VAULT_LIVE_MOUNT")).orElse("transit");
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private final String policy = "keyhold-live-" + run;
    private final Map<String, Access> access = new ConcurrentHashMap<>();
    private final VaultHttp http;
    private final String adminToken;
    private final KmsConfig keyholdConfig;

    LiveVaultAdmin() {
        Map<String, String> base = new HashMap<>();
        base.put("address", System.getenv("VAULT_ADDR"));
        Optional.ofNullable(System.getenv("VAULT_CACERT")).ifPresent(ca -> base.put("ca-file", ca));
        Optional.ofNullable(System.getenv("VAULT_NAMESPACE")).ifPresent(ns -> base.put("namespace", ns));
        if (base.get("address").startsWith("http://")) {
            base.put("allow-http", "true");
        }
        VaultSettings admin = VaultSettings.from(KmsConfig.of(base));
        this.http = new VaultHttp(admin);
        this.adminToken = admin.token();
        writePolicy();
        ObjectNode create = VaultHttp.JSON.createObjectNode().put("ttl", "1h");
        create.putArray("policies").add(policy);
        String token = ok(http.call("POST", "auth/token/create", create, adminToken)).body().path("auth").path("client_token").asText();
        Map<String, String> keyhold = new HashMap<>(base);
        keyhold.put("token-file", ownerOnly(token).toString());
        this.keyholdConfig = KmsConfig.of(keyhold);
    }

    /** The settings of Keyhold's connection: its own token, bound to this admin's policy. */
    KmsConfig keyholdConfig() {
        return keyholdConfig;
    }

    @Override
    public String createKey() {
        String name = "keyhold-live-" + run + "-" + UUID.randomUUID().toString().substring(0, 8);
        ok(http.call("POST", mount + "/keys/" + name, VaultHttp.JSON.createObjectNode().put("type", "aes256-gcm96"), adminToken));
        access.put(name, Access.FULL);
        writePolicy();
        return new VaultKeyRef(mount, name).ref();
    }

    @Override
    public String unknownKeyRef() {
        return new VaultKeyRef(mount, "keyhold-live-missing-" + run).ref();
    }

    @Override
    public void disable(String keyRef) {
        set(keyRef, Access.DISABLED);
    }

    @Override
    public void enable(String keyRef) {
        set(keyRef, Access.FULL);
    }

    @Override
    public void denyAccess(String keyRef) {
        set(keyRef, Access.NONE);
    }

    @Override
    public void denyUnwrap(String keyRef) {
        set(keyRef, Access.NO_DECRYPT);
    }

    @Override
    public void allowAccess(String keyRef) {
        set(keyRef, Access.FULL);
    }

    @Override
    public void rotate(String keyRef) {
        ok(http.call("POST", VaultKeyRef.parse(keyRef).path("keys") + "/rotate", VaultHttp.JSON.createObjectNode(), adminToken));
    }

    @Override
    public void scheduleDeletion(String keyRef) {
        String keys = VaultKeyRef.parse(keyRef).path("keys");
        ok(http.call("POST", keys + "/config", VaultHttp.JSON.createObjectNode().put("deletion_allowed", true), adminToken));
        ok(http.call("DELETE", keys, null, adminToken));
    }

    private void set(String keyRef, Access a) {
        access.put(VaultKeyRef.parse(keyRef).name(), a);
        writePolicy();
    }

    private void writePolicy() {
        StringBuilder hcl = new StringBuilder("# Keyhold's live conformance run " + run + "\n");
        access.forEach((name, a) -> {
            if (a != Access.NONE) {
                hcl.append("path \"").append(mount).append("/keys/").append(name).append("\" { capabilities = [\"read\"] }\n");
            }
            if (a == Access.FULL || a == Access.NO_DECRYPT) {
                hcl.append("path \"").append(mount).append("/encrypt/").append(name).append("\" { capabilities = [\"update\"] }\n");
                hcl.append("path \"").append(mount).append("/keys/").append(name).append("/rotate\" { capabilities = [\"update\"] }\n");
            }
            if (a == Access.FULL) {
                hcl.append("path \"").append(mount).append("/decrypt/").append(name).append("\" { capabilities = [\"update\"] }\n");
            }
        });
        ok(http.call("PUT", "sys/policies/acl/" + policy, VaultHttp.JSON.createObjectNode().put("policy", hcl.toString()), adminToken));
    }

    private static VaultHttp.Response ok(VaultHttp.Response r) {
        if (!r.ok()) {
            throw new IllegalStateException("Vault answered HTTP " + r.status() + ": " + r.errors());
        }
        return r;
    }

    private static Path ownerOnly(String token) {
        try {
            Path file = Files.createTempFile("keyhold-live-token", "", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, token);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
