package io.keyhold.crypto;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Hands out the current DEK for each (KEK, encryption context) pair. KMS calls are proportional to
 * DEKs, not to records, and never made on the caller's thread: when there is no usable DEK,
 * {@link #lease} asks the {@link DekSource} for one and throws {@link DekPendingException}, whose
 * {@code ready()} stage tells the caller when to try again. Concurrent misses on one pair share one
 * KMS call.
 *
 * <p>A DEK serves until its {@link DekRotationPolicy} retires it; when it has used three quarters
 * of its life its successor is requested in the background, so a busy topic does not stall at
 * rotation. {@link #purge()} (a cluster locks) wipes every DEK, and a DEK whose KMS call was under
 * way during a purge is wiped on arrival instead of being put in service.
 *
 * <p>Bounded, since every new context (a topic name a client makes up) adds a DEK: at most
 * {@code maxEntries} DEKs are in service (the least recently used is retired when a new one would
 * exceed that), and a DEK unused for {@code maxIdle} is retired by {@link #sweep()}. Retired
 * DEKs are wiped as soon as no encryption is using them.
 */
public final class EncryptionDekCache {
    private record Scope(String kekId, EncryptionContext context) {
    }

    /** Defaults for the bounds: far more topics than a cluster usually writes to at once, and a quarter of an hour. */
    public static final int DEFAULT_MAX_ENTRIES = 10_000;
    public static final Duration DEFAULT_MAX_IDLE = Duration.ofMinutes(15);

    private final DekSource source;
    private final DekRotationPolicy policy;
    private final LongSupplier nanoClock;
    private final int maxEntries;
    private final long maxIdleNanos;
    private final ConcurrentHashMap<Scope, ActiveDek> current = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Scope, CompletableFuture<Void>> generating = new ConcurrentHashMap<>();
    /** Guards installing a new DEK against a concurrent purge; {@code epoch} counts purges. */
    private final Object installLock = new Object();
    private long epoch;

    public EncryptionDekCache(DekSource source, DekRotationPolicy policy) {
        this(source, policy, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_IDLE, System::nanoTime);
    }

    /** With an explicit monotonic clock in nanoseconds (tests). */
    public EncryptionDekCache(DekSource source, DekRotationPolicy policy, LongSupplier nanoClock) {
        this(source, policy, DEFAULT_MAX_ENTRIES, DEFAULT_MAX_IDLE, nanoClock);
    }

    /**
     * @param maxEntries most DEKs in service at once (one per KEK and context)
     * @param maxIdle    a DEK not used for this long is retired by {@link #sweep()}
     */
    public EncryptionDekCache(DekSource source, DekRotationPolicy policy, int maxEntries, Duration maxIdle) {
        this(source, policy, maxEntries, maxIdle, System::nanoTime);
    }

    /** With an explicit monotonic clock in nanoseconds (tests). */
    public EncryptionDekCache(DekSource source, DekRotationPolicy policy, int maxEntries, Duration maxIdle, LongSupplier nanoClock) {
        this.source = Objects.requireNonNull(source, "source");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be at least 1, got " + maxEntries);
        }
        if (maxIdle.isNegative() || maxIdle.isZero()) {
            throw new IllegalArgumentException("maxIdle must be positive, got " + maxIdle);
        }
        this.maxEntries = maxEntries;
        this.maxIdleNanos = maxIdle.toNanos();
    }

    /** The current time on this cache's clock. */
    long now() {
        return nanoClock.getAsLong();
    }

    /**
     * A lease on the current DEK; {@code release()} it when the encryption is done.
     *
     * @throws DekPendingException when no DEK is usable yet: one has been requested from the KMS
     */
    Lease lease(String kekId, EncryptionContext context) {
        Scope scope = new Scope(Objects.requireNonNull(kekId, "kekId"), Objects.requireNonNull(context, "context"));
        ActiveDek dek = current.get(scope);
        if (dek != null) {
            long use = dek.tryUse(nanoClock.getAsLong());
            if (use >= 0) {
                return new Lease(dek, use);
            }
            current.remove(scope, dek);
        }
        throw new DekPendingException(request(scope));
    }

    /**
     * Asks the KMS for a DEK for {@code (kekId, context)} unless one is usable or already on its way;
     * the stage completes when a lease can find it. For callers that know ahead what they will
     * encrypt.
     */
    public CompletableFuture<Void> prepare(String kekId, EncryptionContext context) {
        Scope scope = new Scope(Objects.requireNonNull(kekId, "kekId"), Objects.requireNonNull(context, "context"));
        ActiveDek dek = current.get(scope);
        if (dek != null && !dek.isRetired()) {
            return CompletableFuture.completedFuture(null);
        }
        return request(scope);
    }

    /** The KMS call for {@code scope}: the one under way, or a new one. */
    private CompletableFuture<Void> request(Scope scope) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> theirs = generating.putIfAbsent(scope, mine);
        if (theirs != null) {
            return theirs;
        }
        long startedIn;
        synchronized (installLock) {
            startedIn = epoch;
        }
        KmsFutures.call(() -> source.generate(scope.kekId(), scope.context())).whenComplete((g, err) -> {
            if (err == null && g == null) {
                err = new CryptoException("the DEK source answered with no DEK"); // a provider bug: fail, never hang
            }
            if (err != null) {
                generating.remove(scope, mine); // the next miss asks again
                mine.completeExceptionally(KmsFutures.cause(err));
                return;
            }
            // In service before the call is forgotten: a miss in between finds the DEK or joins this call, never starts another.
            install(scope, g, startedIn);
            generating.remove(scope, mine);
            mine.complete(null);
        });
        return mine;
    }

    private void install(Scope scope, GeneratedDek g, long startedIn) {
        ActiveDek fresh = new ActiveDek(g, policy, nanoClock.getAsLong(), () -> request(scope));
        synchronized (installLock) {
            if (epoch != startedIn) {
                fresh.retire(); // purged while the KMS answered: a locked cluster keeps no DEK
                return;
            }
            ActiveDek old = current.put(scope, fresh);
            if (old != null) {
                old.retire(); // its successor: encryptions still using it finish first
            }
            if (current.size() > maxEntries) {
                retireLeastRecentlyUsed(scope);
            }
        }
    }

    /**
     * Makes room: retires the DEK used longest ago, other than the one just put in service. A scan,
     * but only when a new DEK arrives from the KMS, which is rare next to encryptions.
     */
    private void retireLeastRecentlyUsed(Scope keep) {
        Scope oldest = null;
        long oldestUse = 0;
        for (var e : current.entrySet()) {
            long use = e.getValue().lastUseNanos();
            if (!e.getKey().equals(keep) && (oldest == null || use - oldestUse < 0)) {
                oldest = e.getKey();
                oldestUse = use;
            }
        }
        if (oldest != null) {
            ActiveDek dek = current.remove(oldest);
            if (dek != null) {
                dek.retire();
            }
        }
    }

    /**
     * Retires (and so wipes, once no encryption is using it) every DEK not used for {@code maxIdle},
     * and every DEK past its age or use limit: such a DEK is otherwise retired only by the next
     * lease, which never comes for a topic nobody writes to any more. Call it periodically (the
     * proxy does, from a timer).
     */
    public void sweep() {
        long now = nanoClock.getAsLong();
        synchronized (installLock) {
            current.forEach((scope, dek) -> {
                if (now - dek.lastUseNanos() >= maxIdleNanos || dek.isSpent(now)) {
                    current.remove(scope, dek);
                    dek.retire();
                }
            });
        }
    }

    /** Retires and wipes every DEK now (e.g. the cluster locked); later leases request new DEKs. */
    public void purge() {
        synchronized (installLock) {
            epoch++;
            current.forEach((scope, dek) -> {
                current.remove(scope, dek);
                dek.retire();
            });
        }
    }

    /** Number of (KEK, context) pairs with a DEK in service. */
    public int size() {
        return (int) current.values().stream().filter(d -> !d.isRetired()).count();
    }

    /** One encryption's hold on a DEK. */
    static final class Lease {
        final ActiveDek dek;
        final long use;

        Lease(ActiveDek dek, long use) {
            this.dek = dek;
            this.use = use;
        }

        void release() {
            dek.release();
        }
    }
}
