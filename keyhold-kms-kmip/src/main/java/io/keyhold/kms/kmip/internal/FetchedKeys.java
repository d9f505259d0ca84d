package io.keyhold.kms.kmip.internal;

import io.keyhold.crypto.DataKey;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The key objects Keyhold fetched with Get from KMIP 1.1 servers (which have no Encrypt and
 * Decrypt), in memory only and for a bounded time: each is wiped {@code lifetime} after it was
 * fetched (then fetched again on next use), when {@link #wipeAll} is called (the provider does on any
 * refusal of the server and whenever it sees an object that is not Active), when a cluster on one of
 * a server's keys locks ({@link #wipeServer}), and on {@link #close}.
 * Callers get a {@link #lease} of their own, which they close when done, so a wipe never races a
 * use under way.
 */
public final class FetchedKeys implements AutoCloseable {
    private record Entry(DataKey key, long fetchedAt) {
    }

    private final ConcurrentMap<String, Entry> keys = new ConcurrentHashMap<>();
    private final long lifetimeNanos;
    private final LongSupplier clock;

    public FetchedKeys(Duration lifetime) {
        this(lifetime, System::nanoTime);
    }

    FetchedKeys(Duration lifetime, LongSupplier clock) {
        this.lifetimeNanos = lifetime.toNanos();
        this.clock = clock;
    }

    /**
     * A copy of the key of object {@code id} (unique per server), fetched with {@code fetch} unless a
     * fetch younger than the lifetime is held; the caller closes the copy.
     */
    public DataKey lease(String id, Supplier<DataKey> fetch) {
        wipeExpired();
        Entry entry = keys.get(id);
        if (entry != null) {
            try {
                return entry.key().duplicate();
            } catch (IllegalStateException wipedMeanwhile) {
                keys.remove(id, entry);
            }
        }
        DataKey fetched = fetch.get();
        try {
            Entry fresh = new Entry(fetched.duplicate(), clock.getAsLong());
            Entry before = keys.put(id, fresh);
            if (before != null) {
                before.key().destroy();
            }
            return fetched;
        } catch (RuntimeException e) {
            fetched.destroy();
            throw e;
        }
    }

    /** Whether a key is held for {@code id} (for tests). */
    public boolean holds(String id) {
        wipeExpired();
        return keys.containsKey(id);
    }

    /** Wipes the keys fetched from {@code server} (ids {@code <server>/<object>}). */
    public void wipeServer(String server) {
        String prefix = server + "/";
        for (Map.Entry<String, Entry> e : keys.entrySet()) {
            if (e.getKey().startsWith(prefix) && keys.remove(e.getKey(), e.getValue())) {
                e.getValue().key().destroy();
            }
        }
    }

    public void wipeAll() {
        for (Map.Entry<String, Entry> e : keys.entrySet()) {
            if (keys.remove(e.getKey(), e.getValue())) {
                e.getValue().key().destroy();
            }
        }
    }

    private void wipeExpired() {
        long now = clock.getAsLong();
        for (Map.Entry<String, Entry> e : keys.entrySet()) {
            if (now - e.getValue().fetchedAt() >= lifetimeNanos && keys.remove(e.getKey(), e.getValue())) {
                e.getValue().key().destroy();
            }
        }
    }

    @Override
    public void close() {
        wipeAll();
    }
}
