package io.keyhold.crypto;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An encryption DEK in service: its precomputed envelope header, and a use counter that both
 * enforces the rotation policy and makes every IV unique (4 random bytes per DEK + 8-byte counter),
 * so IVs never repeat under one key, however many threads encrypt at once.
 */
final class ActiveDek extends SharedKey {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] header;
    /** Envelope version 2 (a cluster key's DEK): IV = DEK id prefix || stored u32 counter. */
    private final boolean compact;
    private final int ivPrefix = RANDOM.nextInt();
    private final AtomicLong used = new AtomicLong();
    private final long maxUses;
    private final long expiresAtNanos;
    /** Three quarters through its life (uses or age), the DEK asks for its successor, once. */
    private final long successorAtUse;
    private final long successorAtNanos;
    private final Runnable requestSuccessor;
    private final AtomicBoolean successorRequested = new AtomicBoolean();
    /** This thread's (possibly stale) view that the successor was asked for: skips the atomic afterwards. */
    private boolean successorSeen;
    /**
     * When this DEK last started an encryption (the cache's clock). A plain field on the hot path: a
     * stale read only makes the DEK look idler than it is, which costs at most one KMS call.
     */
    private long lastUseNanos;

    ActiveDek(GeneratedDek generated, DekRotationPolicy policy, long nowNanos) {
        this(generated, policy, nowNanos, () -> { });
    }

    /** @param requestSuccessor asks the KMS for the DEK that will replace this one (must not block) */
    ActiveDek(GeneratedDek generated, DekRotationPolicy policy, long nowNanos, Runnable requestSuccessor) {
        this(generated, CompactEnvelope.fits(generated.kek(), generated.edek())
                        ? CompactEnvelope.encodeHeader(generated.kek(), generated.edek())
                        : EnvelopeFormat.encodeHeader(EnvelopeFormat.CIPHER_AES256_GCM, generated.kek(), generated.edek()),
                policy, nowNanos, requestSuccessor);
    }

    private ActiveDek(GeneratedDek generated, byte[] header, DekRotationPolicy policy, long nowNanos, Runnable requestSuccessor) {
        super(generated.dek(), AesGcm.sha256(header, 0, header.length));
        this.header = header;
        this.compact = header[2] == EnvelopeFormat.VERSION_2_COMPACT;
        this.maxUses = policy.maxEncryptions();
        long life = policy.maxAge().toNanos();
        this.expiresAtNanos = nowNanos + life;
        this.successorAtUse = maxUses - maxUses / 4;
        this.successorAtNanos = nowNanos + (life - life / 4);
        this.requestSuccessor = requestSuccessor;
        this.lastUseNanos = nowNanos;
    }

    /** When this DEK last started an encryption, or was put in service. */
    long lastUseNanos() {
        return lastUseNanos;
    }

    /** Asks for the successor once this DEK is three quarters through its life. */
    private void checkSuccessor(long use, long nowNanos) {
        // A plain read first, so that the per-record cost is two comparisons and no memory barrier;
        // the compare-and-set makes sure only one thread asks.
        if (!successorSeen && (use >= successorAtUse || nowNanos - successorAtNanos >= 0)) {
            successorSeen = true;
            if (successorRequested.compareAndSet(false, true)) {
                requestSuccessor.run();
            }
        }
    }

    /** Whether this DEK may start no more encryptions: used up or too old. */
    boolean isSpent(long nowNanos) {
        return used.get() >= maxUses || nowNanos - expiresAtNanos >= 0;
    }

    byte[] header() {
        return header;
    }

    /**
     * Starts one encryption. Returns its use number (the IV counter), or -1 when this DEK is retired,
     * used up or too old; in that case it is retired and the caller asks the cache for a new one.
     */
    long tryUse(long nowNanos) {
        if (!acquire()) {
            return -1;
        }
        long n = used.getAndIncrement();
        if (n >= maxUses || nowNanos - expiresAtNanos >= 0) {
            retire();
            release();
            return -1;
        }
        lastUseNanos = nowNanos;
        checkSuccessor(n, nowNanos);
        return n;
    }

    /**
     * Starts one more encryption for a caller that already holds a use of this DEK (a sealer
     * working through a batch): no further acquire, only the counter and the policy checks.
     * Returns the use number, or -1 when the DEK is retired, used up or too old.
     */
    long tryNextUse(long nowNanos) {
        if (isRetired()) {
            return -1;
        }
        long n = used.getAndIncrement();
        if (n >= maxUses || nowNanos - expiresAtNanos >= 0) {
            retire();
            return -1;
        }
        lastUseNanos = nowNanos;
        checkSuccessor(n, nowNanos);
        return n;
    }

    /** How many IV bytes an envelope under this DEK stores after its header. */
    int storedIvLength() {
        return compact ? CompactEnvelope.STORED_IV_LENGTH : AesGcm.IV_LENGTH;
    }

    /**
     * Writes what the envelope stores of use {@code useNumber}'s IV at {@code out[off]}
     * ({@link #storedIvLength} bytes), and returns the array holding the full 12-byte IV: {@code out}
     * itself (version 1, IV at {@code off}) or {@code scratch} (compact, IV at 0).
     */
    byte[] iv(long useNumber, byte[] out, int off, byte[] scratch) {
        if (compact) {
            CompactEnvelope.putCounter(useNumber, out, off);
            CompactEnvelope.iv(header, useNumber, scratch);
            return scratch;
        }
        Bytes.putInt(out, off, ivPrefix);
        Bytes.putLong(out, off + 4, useNumber);
        return out;
    }
}
