package io.keyhold.kms.local.internal;

import io.keyhold.crypto.DataKey;
import io.keyhold.kms.KeyState;
import java.time.Instant;
import java.util.TreeMap;

/** One key in the local store, with all its versions. Mutated only under the store's lock. */
public final class StoredKey {
    public final String name;
    public final Instant createdAt;
    public KeyState state;
    public Instant deletionDate;
    /** version number to material; a destroyed version maps to null. */
    public final TreeMap<Integer, Version> versions = new TreeMap<>();

    public StoredKey(String name, Instant createdAt, KeyState state) {
        this.name = name;
        this.createdAt = createdAt;
        this.state = state;
    }

    public int currentVersion() {
        return versions.isEmpty() ? 0 : versions.lastKey();
    }

    /** Wipes every version's material and marks the key destroyed: what it wrapped is gone for good. */
    public void destroy() {
        state = KeyState.DESTROYED;
        deletionDate = null;
        versions.values().forEach(Version::wipe);
    }

    /** A key version: its creation time and its 256-bit material (null once destroyed). */
    public static final class Version {
        public final int number;
        public final Instant createdAt;
        public DataKey material;

        public Version(int number, Instant createdAt, DataKey material) {
            this.number = number;
            this.createdAt = createdAt;
            this.material = material;
        }

        void wipe() {
            if (material != null) {
                material.destroy();
                material = null;
            }
        }
    }

    void wipeAll() {
        versions.values().forEach(Version::wipe);
    }
}
