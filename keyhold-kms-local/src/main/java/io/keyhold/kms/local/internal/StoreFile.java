package io.keyhold.kms.local.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.common.AtomicFiles;
import io.keyhold.crypto.Aad;
import io.keyhold.crypto.Aead;
import io.keyhold.crypto.CryptoException;
import io.keyhold.crypto.DataKey;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.local.LocalKmsException;
import io.keyhold.kms.local.LocalKmsException.Kind;
import io.keyhold.kms.local.LocalKmsOptions.KdfCost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The key store file {@code keys.json}: a small plaintext JSON header (format, how the master key is
 * derived, a check value) and the keys themselves, sealed with AES-256-GCM under the master key.
 * The check value tells a wrong passphrase apart from a damaged file, and authenticates the
 * header's protection (format 2): its associated data is the protection's every field, so a
 * changed key-derivation parameter, salt or kind never goes unnoticed. Format 1 stores (whose check
 * covered nothing) are still read, and rewritten as format 2 by {@code LocalKms} once
 * opened. The key-derivation parameters are bounded ({@code KdfCost}) before anything is derived.
 */
public final class StoreFile {
    static final String FORMAT = "keyhold-local-kms";
    /** The format this Keyhold writes: 2, whose check value authenticates the protection. */
    public static final int VERSION = 2;
    private static final Aad CHECK_AAD_V1 = Aad.of("keyhold-local-kms/v1/check");
    private static final Aad PAYLOAD_AAD = Aad.of("keyhold-local-kms/v1/keys");
    private static final byte[] CHECK_PLAINTEXT = "keyhold-local-kms-master-key-check".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How the master key is protected, as recorded in the header. */
    public record Protection(String kind, byte[] salt, KdfCost cost) {
        public static final String PASSPHRASE = "passphrase";
        public static final String KEY_FILE = "key-file";

        static Protection newPassphrase(KdfCost cost) {
            byte[] salt = new byte[16];
            RANDOM.nextBytes(salt);
            return new Protection(PASSPHRASE, salt, cost);
        }
    }

    private StoreFile() {
    }

    /** Reads only the header's protection, to know how to get the master key. */
    public static Protection readProtection(Path file) {
        JsonNode root = parse(file, read(file));
        return protectionOf(root, file);
    }

    /** The format version of the store at {@code file} (1 or 2). */
    public static int version(Path file) {
        return parse(file, read(file)).path("version").asInt();
    }

    /** Decrypts the keys, once the check value has shown {@code master} right and the header unchanged. */
    public static Map<String, StoredKey> readKeys(Path file, DataKey master) {
        JsonNode root = parse(file, read(file));
        byte[] check = b64(root, "check", file);
        Aad bound = checkAad(protectionOf(root, file));
        if (root.path("version").asInt() == 1) {
            if (!opens(master, check, CHECK_AAD_V1)) {
                if (opens(master, check, bound)) {
                    throw corrupted(file, "it was written in format " + VERSION + " but claims format 1 (tampered?)");
                }
                throw wrongPassphrase(file, "");
            }
        } else if (!opens(master, check, bound)) {
            // The master key comes from the header's parameters: a changed parameter and a wrong
            // passphrase both give another key, and no check can tell them apart.
            throw wrongPassphrase(file, ", or its protection header (key-derivation parameters, salt) was changed"
                    + " (tampered or corrupted: then restore keys.json from a backup)");
        }
        byte[] payload;
        try {
            payload = Aead.open(master, b64(root, "keys", file), PAYLOAD_AAD);
        } catch (CryptoException e) {
            throw corrupted(file, "its sealed keys fail authentication");
        }
        try {
            return decodeKeys(JSON.readTree(payload), file);
        } catch (IOException | RuntimeException e) {
            if (e instanceof LocalKmsException) {
                throw (LocalKmsException) e;
            }
            throw corrupted(file, "its keys cannot be decoded");
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
    }

    /** Writes the whole store atomically (temp file, fsync, rename). */
    public static void write(Path file, Protection protection, DataKey master, Map<String, StoredKey> keys) {
        byte[] payload = encodeKeys(keys);
        try {
            ObjectNode root = JSON.createObjectNode();
            root.put("format", FORMAT);
            root.put("version", VERSION);
            ObjectNode p = root.putObject("protection");
            p.put("kind", protection.kind());
            if (Protection.PASSPHRASE.equals(protection.kind())) {
                p.put("kdf", "argon2id");
                p.put("salt", Base64.getEncoder().encodeToString(protection.salt()));
                p.put("memory_kib", protection.cost().memoryKib());
                p.put("iterations", protection.cost().iterations());
                p.put("parallelism", protection.cost().parallelism());
            } else {
                p.put("file", LocalKeyFiles.MASTER_KEY_FILE);
            }
            root.put("check", Base64.getEncoder().encodeToString(Aead.seal(master, CHECK_PLAINTEXT, checkAad(protection))));
            root.put("keys", Base64.getEncoder().encodeToString(Aead.seal(master, payload, PAYLOAD_AAD)));
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        } catch (IOException e) {
            throw new LocalKmsException(Kind.STORE_IO, "cannot write the local KMS store " + file + ": " + e.getMessage());
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
    }

    static Protection newPassphraseProtection(KdfCost cost) {
        return Protection.newPassphrase(cost);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LocalKmsException(Kind.STORE_IO, "the local KMS store " + file + " does not exist");
        } catch (IOException e) {
            throw new LocalKmsException(Kind.STORE_IO, "cannot read the local KMS store " + file + ": " + e.getMessage());
        }
    }

    private static JsonNode parse(Path file, byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException e) {
            throw corrupted(file, "it is not valid JSON (truncated or overwritten?)");
        }
        if (root == null || !root.isObject() || !FORMAT.equals(root.path("format").asText())) {
            throw corrupted(file, "it is not a Keyhold local KMS store");
        }
        int version = root.path("version").asInt();
        if (version != 1 && version != VERSION) {
            throw corrupted(file, "store format version " + root.path("version").asText() + " is not supported by this Keyhold");
        }
        return root;
    }

    private static Protection protectionOf(JsonNode root, Path file) {
        JsonNode p = root.path("protection");
        String kind = p.path("kind").asText();
        if (Protection.KEY_FILE.equals(kind)) {
            return new Protection(kind, null, null);
        }
        if (!Protection.PASSPHRASE.equals(kind) || !"argon2id".equals(p.path("kdf").asText())) {
            throw corrupted(file, "its master key protection is unknown");
        }
        KdfCost cost;
        try {
            cost = new KdfCost(intField(p, "memory_kib", file), intField(p, "iterations", file), intField(p, "parallelism", file));
        } catch (IllegalArgumentException e) {
            throw corrupted(file, "its key-derivation parameters are out of bounds (" + e.getMessage() + ")");
        }
        return new Protection(kind, b64(p, "salt", file), cost);
    }

    /** An integer field, refused rather than truncated when it is not an int (a huge number would wrap around). */
    private static int intField(JsonNode node, String field, Path file) {
        JsonNode v = node.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw corrupted(file, "its key-derivation parameter '" + field + "' is missing or not an integer in range");
        }
        return v.intValue();
    }

    /**
     * The check value's associated data in format 2: every field of the protection, so the check
     * value authenticates the header it was written with.
     */
    private static Aad checkAad(Protection protection) {
        if (Protection.KEY_FILE.equals(protection.kind())) {
            return Aad.ofParts("keyhold-local-kms/v2/check", "kind=" + Protection.KEY_FILE, "file=" + LocalKeyFiles.MASTER_KEY_FILE);
        }
        KdfCost c = protection.cost();
        return Aad.ofParts("keyhold-local-kms/v2/check", "kind=" + Protection.PASSPHRASE, "kdf=argon2id",
                "salt=" + Base64.getEncoder().encodeToString(protection.salt()), "memory_kib=" + c.memoryKib(),
                "iterations=" + c.iterations(), "parallelism=" + c.parallelism());
    }

    private static boolean opens(DataKey master, byte[] check, Aad aad) {
        try {
            Aead.open(master, check, aad);
            return true;
        } catch (CryptoException e) {
            return false;
        }
    }

    private static LocalKmsException wrongPassphrase(Path file, String orWhat) {
        return new LocalKmsException(Kind.WRONG_PASSPHRASE, "cannot open the local KMS store " + file
                + ": wrong passphrase (or wrong master key file)" + orWhat + ". Use the passphrase the store was created with.");
    }

    private static byte[] b64(JsonNode node, String field, Path file) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw corrupted(file, "field '" + field + "' is missing");
        }
        try {
            return Base64.getDecoder().decode(v.asText());
        } catch (IllegalArgumentException e) {
            throw corrupted(file, "field '" + field + "' is not base64");
        }
    }

    private static LocalKmsException corrupted(Path file, String why) {
        return new LocalKmsException(Kind.STORE_CORRUPTED, "the local KMS store " + file + " is corrupted: " + why
                + ". Restore it from a backup; Keyhold will not overwrite it.");
    }

    private static byte[] encodeKeys(Map<String, StoredKey> keys) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("keys");
        for (StoredKey k : keys.values()) {
            ObjectNode n = list.addObject();
            n.put("name", k.name);
            n.put("created_at", k.createdAt.toString());
            n.put("state", k.state.name());
            if (k.deletionDate != null) {
                n.put("deletion_date", k.deletionDate.toString());
            }
            ArrayNode versions = n.putArray("versions");
            for (StoredKey.Version v : k.versions.values()) {
                ObjectNode vn = versions.addObject();
                vn.put("version", v.number);
                vn.put("created_at", v.createdAt.toString());
                if (v.material != null) {
                    String material = v.material.withKeyBytes(b -> Base64.getEncoder().encodeToString(b));
                    vn.put("material", material);
                }
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode the key store", e);
        }
    }

    private static Map<String, StoredKey> decodeKeys(JsonNode root, Path file) {
        Map<String, StoredKey> keys = new LinkedHashMap<>();
        List<StoredKey> decoded = new ArrayList<>();
        try {
            for (JsonNode n : root.withArray("keys")) {
                StoredKey k = new StoredKey(n.get("name").asText(), Instant.parse(n.get("created_at").asText()),
                        KeyState.valueOf(n.get("state").asText()));
                decoded.add(k);
                if (n.hasNonNull("deletion_date")) {
                    k.deletionDate = Instant.parse(n.get("deletion_date").asText());
                }
                for (JsonNode vn : n.withArray("versions")) {
                    DataKey material = null;
                    if (vn.hasNonNull("material")) {
                        material = DataKey.fromBytesWipingSource(Base64.getDecoder().decode(vn.get("material").asText()));
                    }
                    int number = vn.get("version").asInt();
                    k.versions.put(number, new StoredKey.Version(number, Instant.parse(vn.get("created_at").asText()), material));
                }
                keys.put(k.name, k);
            }
            return keys;
        } catch (RuntimeException e) {
            decoded.forEach(StoredKey::wipeAll);
            throw corrupted(file, "a key entry is malformed");
        }
    }
}
