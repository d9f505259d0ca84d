package io.keyhold.crypto;

import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Hands out the current DEK for each (KEK, context) pair, generating one through the
 * {@link DekSource} (one KMS call) when there is none or the current one is retired by its
 * {@link DekRotationPolicy}. KMS calls are therefore proportional to DEKs, not to records.
 */
public final class EncryptionDekCache {
    private record Scope(String kekId, String context) {
    }

    private final DekSource source;
    private final DekRotationPolicy policy;
    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<Scope, ActiveDek> current = new ConcurrentHashMap<>();

    public EncryptionDekCache(DekSource source, DekRotationPolicy policy) {
        this(source, policy, System::nanoTime);
    }

    /** With an explicit monotonic clock in nanoseconds (tests). */
    public EncryptionDekCache(DekSource source, DekRotationPolicy policy, LongSupplier nanoClock) {
        this.source = Objects.requireNonNull(source, "source");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /** The current time on this cache's clock. */
    long now() {
        return nanoClock.getAsLong();
    }

    /** A lease on the current DEK; {@code release()} it when the encryption is done. */
    Lease lease(String kekId, String context) {
        Scope scope = new Scope(Objects.requireNonNull(kekId, "kekId"), Objects.requireNonNull(context, "context"));
        while (true) {
            ActiveDek dek = current.get(scope);
            if (dek == null || dek.isRetired()) {
                dek = current.compute(scope, (s, cur) -> cur != null && !cur.isRetired() ? cur : newDek(s));
            }
            long use = dek.tryUse(nanoClock.getAsLong());
            if (use >= 0) {
                return new Lease(dek, use);
            }
        }
    }

    private ActiveDek newDek(Scope scope) {
        return new ActiveDek(source.generate(scope.kekId()), policy, nanoClock.getAsLong());
    }

    /** Retires and wipes every DEK now (e.g. the cluster locked); later leases generate new DEKs. */
    public void purge() {
        current.forEach((scope, dek) -> {
            current.remove(scope, dek);
            dek.retire();
        });
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
