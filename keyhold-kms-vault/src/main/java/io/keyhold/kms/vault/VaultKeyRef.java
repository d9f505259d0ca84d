package io.keyhold.kms.vault;

import java.util.regex.Pattern;

/**
 * A key reference of the vault KMS: {@code <mount path>/keys/<key name>}, the path Vault's own CLI
 * and API name a Transit key by ({@code vault read transit/keys/orders}). The mount path may have
 * several segments ({@code kafka/transit/keys/orders}); the key name has none. Public: the control
 * plane builds it from a {@code VaultKey}'s mount path and key name.
 */
public record VaultKeyRef(String mount, String name) {
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9._-]{1,128}");

    public VaultKeyRef {
        if (mount == null || mount.isEmpty() || mount.startsWith("/") || mount.endsWith("/") || mount.length() > 512) {
            throw new IllegalArgumentException("a Vault mount path is segments of A-Z a-z 0-9 . _ - separated by /, got '" + mount + "'");
        }
        for (String segment : mount.split("/", -1)) {
            if (!SEGMENT.matcher(segment).matches() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("a Vault mount path is segments of A-Z a-z 0-9 . _ - separated by /, got '" + mount + "'");
            }
        }
        if (name == null || !SEGMENT.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("a Vault Transit key name is 1-128 of A-Z a-z 0-9 . _ -, got '" + name + "'");
        }
    }

    /** Parses {@code <mount>/keys/<name>} (the last {@code /keys/} separates them). */
    public static VaultKeyRef parse(String ref) {
        int at = ref == null ? -1 : ref.lastIndexOf("/keys/");
        if (at <= 0) {
            throw new IllegalArgumentException("a vault key reference is <mount path>/keys/<key name> (e.g. transit/keys/orders), got '"
                    + ref + "'");
        }
        return new VaultKeyRef(ref.substring(0, at), ref.substring(at + "/keys/".length()));
    }

    /** The reference as text, the form {@link #parse} reads. */
    public String ref() {
        return mount + "/keys/" + name;
    }

    /** The API path of one of the key's Transit operations, e.g. {@code transit/encrypt/orders}. */
    public String path(String operation) {
        return mount + "/" + operation + "/" + name;
    }
}
