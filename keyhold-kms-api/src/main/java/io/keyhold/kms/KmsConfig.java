package io.keyhold.kms;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Provider settings as flat string pairs (from YAML, environment or flags). Values that are secrets
 * are never printed: {@link #toString()} shows only the names.
 */
public final class KmsConfig {
    private final Map<String, String> values;

    private KmsConfig(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public static KmsConfig of(Map<String, String> values) {
        return new KmsConfig(values);
    }

    public Optional<String> get(String name) {
        return Optional.ofNullable(values.get(name));
    }

    public String require(String name) {
        return get(name).orElseThrow(() -> new IllegalArgumentException("KMS setting '" + name + "' is required"));
    }

    public Optional<Path> path(String name) {
        return get(name).map(Path::of);
    }

    /** A whole number setting in {@code min..max}, {@code dflt} when absent; a message naming the setting otherwise. */
    public int integer(String name, int dflt, int min, int max) {
        Optional<String> v = get(name).map(String::trim).filter(s -> !s.isEmpty());
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.get());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is allowed
        }
        throw new IllegalArgumentException("KMS setting '" + name + "' must be a whole number " + min + ".." + max + ", got '" + v.get() + "'");
    }

    /** A {@code true}/{@code false} setting, {@code dflt} when absent. */
    public boolean bool(String name, boolean dflt) {
        Optional<String> v = get(name).map(s -> s.trim().toLowerCase(java.util.Locale.ROOT)).filter(s -> !s.isEmpty());
        if (v.isEmpty()) {
            return dflt;
        }
        if (v.get().equals("true") || v.get().equals("false")) {
            return v.get().equals("true");
        }
        throw new IllegalArgumentException("KMS setting '" + name + "' must be true or false, got '" + get(name).orElse("") + "'");
    }

    /** A copy with one more setting. */
    public KmsConfig with(String name, String value) {
        Map<String, String> copy = new TreeMap<>(values);
        copy.put(name, value);
        return new KmsConfig(copy);
    }

    /** Equal settings open equal connections: a process opens one for each distinct (kind, settings). */
    @Override
    public boolean equals(Object o) {
        return o instanceof KmsConfig && values.equals(((KmsConfig) o).values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return "KmsConfig" + new TreeMap<>(values).keySet();
    }
}
