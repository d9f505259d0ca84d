package io.keyhold.kms.gcp.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Cloud KMS key name, {@code projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>}:
 * what Keyhold takes as a key reference. A key <em>version</em> name ({@code .../cryptoKeyVersions/<n>})
 * is refused: Keyhold always encrypts with the key's primary version, so that rotation is picked
 * up, and Decrypt takes the key (the ciphertext names its version).
 *
 * @param name     the key name as given
 * @param project  the project id (domain-scoped ids such as {@code example.com:proj} included)
 * @param location e.g. {@code us-central1}, {@code global}, {@code europe}
 * @param keyRing  the key ring id
 * @param key      the key id
 */
public record KeyName(String name, String project, String location, String keyRing, String key) {
    private static final String ID = "[A-Za-z0-9_-]{1,63}";
    private static final Pattern KEY = Pattern.compile(
            "projects/((?:[a-z0-9.-]{1,63}:)?[a-z][a-z0-9-]{4,28}[a-z0-9])/locations/([a-z0-9-]{1,63})/keyRings/(" + ID
                    + ")/cryptoKeys/(" + ID + ")");
    private static final Pattern KEY_ANY_PROJECT = Pattern.compile(
            "projects/[^/]+/locations/([a-z0-9-]{1,63})/keyRings/(" + ID + ")/cryptoKeys/(" + ID + ")");
    private static final Pattern VERSION = Pattern.compile("(.+)/cryptoKeyVersions/(\\d{1,10})");
    /** A single region: {@code us-central1}, {@code europe-west4}, {@code northamerica-northeast1}, {@code me-central2}. */
    private static final Pattern REGION = Pattern.compile("[a-z]+-[a-z]+\\d+");

    /** Parses {@code ref}; throws {@link IllegalArgumentException} saying what a key name looks like. */
    public static KeyName parse(String ref) {
        if (ref == null || ref.isBlank()) {
            throw new IllegalArgumentException("a Cloud KMS key name is required");
        }
        Matcher version = VERSION.matcher(ref);
        if (version.matches() && KEY.matcher(version.group(1)).matches()) {
            throw new IllegalArgumentException("'" + ref + "' names a key version: give Keyhold the key, " + version.group(1)
                    + " (it always encrypts with the key's primary version, so rotation is picked up)");
        }
        Matcher m = KEY.matcher(ref);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + ref + "' is not a Cloud KMS key name"
                    + " (projects/<project>/locations/<region>/keyRings/<key-ring>/cryptoKeys/<key>)");
        }
        return new KeyName(ref, m.group(1), m.group(2), m.group(3), m.group(4));
    }

    /**
     * The id of a version of this key from its name ({@code .../cryptoKeyVersions/3} -> {@code 3});
     * null when it names no version of this key. The project may be spelled another way (its
     * number instead of its id); location, key ring and key must be this key's.
     */
    public String versionId(String versionName) {
        Matcher v = versionName == null ? null : VERSION.matcher(versionName);
        if (v == null || !v.matches()) {
            return null;
        }
        Matcher k = KEY_ANY_PROJECT.matcher(v.group(1));
        return k.matches() && k.group(1).equals(location) && k.group(2).equals(keyRing) && k.group(3).equals(key) ? v.group(2) : null;
    }

    /** The name of version {@code id} of this key. */
    public String version(String id) {
        return name + "/cryptoKeyVersions/" + id;
    }

    /** The key ring's name, {@code projects/.../keyRings/<ring>}. */
    public String keyRingName() {
        return "projects/" + project + "/locations/" + location + "/keyRings/" + keyRing;
    }

    /**
     * Whether the location is one region. Multi-regions ({@code us}, {@code europe}, {@code asia}),
     * dual-regions ({@code nam4}, {@code eur4}, ...) and {@code global} are not: Keyhold needs the key
     * in the cluster's region.
     */
    public boolean singleRegion() {
        return REGION.matcher(location).matches();
    }

    @Override
    public String toString() {
        return name;
    }
}
