package io.keyhold.server.internal.keys;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stable identity of the KMS key behind a key reference: two references with one identity are
 * one KEK, so at most one key object (and so one cluster) may name it. Identities are compared as
 * strings; this is where the forms one key can be written in become one.
 *
 * <ul>
 * <li>AWS: the ARN. A key id is lower-cased (AWS writes them so). The replicas of a multi-Region key
 *     ({@code key/mrk-...}) share one key id and their key material, so its identity has no region.
 *     An alias ARN is its own identity until the KMS says which key it points at
 *     ({@code KeyInfo.keyId()}, recorded when the key validates).
 * <li>Azure: the key URL without its version, lower-cased (Key Vault compares identifiers
 *     case-insensitively).
 * <li>GCP: the CryptoKey name, without a {@code /cryptoKeyVersions/N} suffix.
 * <li>Local: the local KMS store name ({@code <org-id>/<name>}), unique in the store.
 * </ul>
 */
public final class KeyIdentities {
    private static final Pattern AWS_KEY = Pattern.compile("(arn:aws(?:-[a-z]+)*:kms):([a-z0-9-]+):(\\d{12}):key/(.+)");
    private static final Pattern AZURE_VERSION = Pattern.compile("(https://[^/]+/keys/[^/]+)(?:/[^/]*)?/?");
    private static final Pattern GCP_VERSION = Pattern.compile("(.+/cryptoKeys/[^/]+)/cryptoKeyVersions/[^/]+");

    private KeyIdentities() {
    }

    /** The identity of {@code ref} (a key reference, or a {@code KeyInfo.keyId()}) of a key of kind {@code keyKind}. */
    public static String of(String keyKind, String ref) {
        String r = ref.trim();
        return switch (keyKind) {
            case "AwsKey" -> "aws:" + aws(r);
            case "AzureKey" -> "azure:" + azure(r);
            case "GcpKey" -> "gcp:" + gcp(r);
            case "LocalKey" -> "local:" + r;
            default -> keyKind.toLowerCase(Locale.ROOT) + ":" + r;
        };
    }

    private static String aws(String arn) {
        Matcher m = AWS_KEY.matcher(arn);
        if (!m.matches()) {
            return arn; // an alias ARN, or a form the KMS will name for us
        }
        String keyId = m.group(4).toLowerCase(Locale.ROOT);
        String region = keyId.startsWith("mrk-") ? "*" : m.group(2);
        return m.group(1) + ":" + region + ":" + m.group(3) + ":key/" + keyId;
    }

    private static String azure(String url) {
        Matcher m = AZURE_VERSION.matcher(url);
        return (m.matches() ? m.group(1) : url).toLowerCase(Locale.ROOT);
    }

    private static String gcp(String name) {
        Matcher m = GCP_VERSION.matcher(name);
        return m.matches() ? m.group(1) : name;
    }
}
