package io.keyhold.kms.azure.internal;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The version each key wraps new DEKs under, looked up again after {@code ttl} (the
 * {@code version-cache-ms} setting), or sooner when a describe sees another one: a rotation in
 * Azure reaches new DEKs within that time without a key lookup per DEK.
 */
public final class CurrentVersions {
    private record Entry(String version, long atNanos) {
    }

    private final long ttlNanos;
    private final Map<String, Entry> byKey = new ConcurrentHashMap<>();

    public CurrentVersions(Duration ttl) {
        this.ttlNanos = ttl.toNanos();
    }

    /** The cached version of {@code key} while fresh, else what {@code lookup} says (which is then cached). */
    public String get(String key, Supplier<String> lookup) {
        Entry e = byKey.get(key);
        if (e != null && System.nanoTime() - e.atNanos() < ttlNanos) {
            return e.version();
        }
        String v = lookup.get();
        if (!v.isEmpty()) { // "" is a current version Key Vault hid (disabled): ask again next time
            put(key, v);
        }
        return v;
    }

    public void put(String key, String version) {
        byKey.put(key, new Entry(version, System.nanoTime()));
    }

    /** Forgets {@code key}'s version (it was refused): the next DEK looks it up. */
    public void forget(String key) {
        byKey.remove(key);
    }
}
