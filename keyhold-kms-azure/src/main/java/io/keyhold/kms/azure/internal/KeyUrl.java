package io.keyhold.kms.azure.internal;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An Azure Key Vault or Managed HSM key URL, {@code https://<vault>.vault.azure.net/keys/<name>} or
 * {@code https://<hsm>.managedhsm.azure.net/keys/<name>} (and the sovereign clouds' domains), with
 * or without a trailing {@code /<version>}. Keyhold's reference is always the versionless URL; a
 * version given with it is dropped, as the key contract stores it.
 *
 * @param vault   the vault's base URL, e.g. {@code https://orders.vault.azure.net}
 * @param name    the key's name
 * @param version the version given, or "" for none
 * @param hsm     true for a Managed HSM
 */
public record KeyUrl(String vault, String name, String version, boolean hsm) {
    /** Key Vault's and Managed HSM's DNS suffixes in Azure's public and sovereign clouds. */
    private static final Pattern URL = Pattern.compile(
            "https://([a-z0-9-]{3,24})\\.(vault|managedhsm)\\.(azure\\.net|azure\\.cn|usgovcloudapi\\.net|microsoftazure\\.de)"
                    + "(?::443)?/keys/([A-Za-z0-9-]{1,127})(?:/([A-Za-z0-9]{1,64}))?/?");

    /** Parses {@code ref}; throws {@link IllegalArgumentException} saying what a key URL looks like. */
    public static KeyUrl parse(String ref) {
        if (ref == null) {
            throw new IllegalArgumentException("an Azure key URL is required");
        }
        Matcher m = URL.matcher(ref.trim().toLowerCase(Locale.ROOT).startsWith("https://") ? lowerHost(ref.trim()) : ref.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + ref + "' is not an Azure Key Vault or Managed HSM key URL"
                    + " (https://<vault>.vault.azure.net/keys/<name> or https://<hsm>.managedhsm.azure.net/keys/<name>)");
        }
        String vault = "https://" + m.group(1) + "." + m.group(2) + "." + m.group(3);
        return new KeyUrl(vault, m.group(4), m.group(5) == null ? "" : m.group(5), m.group(2).equals("managedhsm"));
    }

    /** Host names are case-insensitive; key names and versions are kept as given. */
    private static String lowerHost(String url) {
        int slash = url.indexOf('/', "https://".length());
        return slash < 0 ? url.toLowerCase(Locale.ROOT) : url.substring(0, slash).toLowerCase(Locale.ROOT) + url.substring(slash);
    }

    /** The versionless key URL: Keyhold's reference. */
    public String versionless() {
        return vault + "/keys/" + name;
    }

    /** The URL of one version of this key. */
    public String withVersion(String v) {
        return versionless() + "/" + v;
    }

    /** The vault's host, e.g. {@code orders.vault.azure.net}. */
    public String host() {
        return URI.create(vault).getHost();
    }

    @Override
    public String toString() {
        return version.isEmpty() ? versionless() : withVersion(version);
    }
}
