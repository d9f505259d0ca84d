package io.keyhold.kms;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * Decides, from the answers of a key's health checks, whether the cluster that key encrypts must
 * lock. The one place that tells a revocation from an outage, used by the control plane's health
 * monitor and by the standalone proxy alike:
 *
 * <ul>
 *   <li>the KMS <b>denies</b> ({@link KmsDeniedException}: disabled, revoked, deleted, a permission
 *       removed): lock at once, with the KMS's reason;</li>
 *   <li>the KMS is <b>unavailable</b> ({@link KmsUnavailableException}: network, throttling, 5xx,
 *       timeouts): keep serving from cached DEKs and report the outage and since when; lock only
 *       once it has lasted the grace period ({@code kms-unavailable-grace}), with reason
 *       {@code "KMS unreachable since ..."};</li>
 *   <li>the check <b>succeeds</b>: the outage, if any, is over, and a locked cluster unlocks.</li>
 * </ul>
 *
 * Any other failure (a bug, a bad argument) decides nothing: the caller logs it.
 *
 * <p>{@link #observe} runs the listener's callbacks on the calling thread, one check at a time;
 * listeners must not block for long (locking a proxy waits for its event loops, which is fine).
 */
public final class KeyWatch {

    /** Where the key stands. */
    public enum Condition {
        /** The last check succeeded. */
        OK,
        /** The KMS cannot be reached; the cluster still serves from its cached DEKs (grace period). */
        UNAVAILABLE,
        /** The cluster is locked: the KMS denied, or was unreachable for longer than the grace period. */
        LOCKED
    }

    /**
     * A snapshot, for status pages and metrics.
     *
     * @param unavailableSince  when the current outage began (first failed check), or null when the KMS answers
     * @param problem           the last outage's error, or null
     * @param unavailableChecks checks that found the KMS unavailable since this watch was made (a counter)
     * @param lockReason        why the cluster is locked, or null when it is not
     */
    public record Status(Condition condition, Instant unavailableSince, String problem, long unavailableChecks,
                         String lockReason) {
    }

    /** What the watch decided; every method is called on the thread that called {@link #observe}. */
    public interface Listener {
        /** The KMS stopped answering (the first failed check of an outage). */
        default void unavailable(Instant since, String problem) {
        }

        /** The KMS answers again (with access or with a refusal) after an outage that began at {@code since}. */
        default void available(Instant since) {
        }

        /**
         * Lock the cluster now, for {@code reason}; called again when the kind of refusal changes
         * (disabled, then deleted), never for another wording of the same one: one check's
         * generate and the next one's unwrap both say "disabled", in words naming their call.
         *
         * @param outage true when the KMS was unreachable for longer than the grace period, false when it denied
         */
        default void lock(String reason, boolean outage) {
        }

        /** The key is usable again: unlock. */
        default void unlock() {
        }
    }

    private final Duration grace;
    private final Clock clock;
    private final Listener listener;
    // Guarded by this.
    private boolean locked;
    private boolean lockedForOutage;
    private String lockReason;
    /** The kind of refusal the cluster is locked for, or null (not locked, locked for an outage, or for a reason in other words). */
    private KmsDeniedException.Reason lockedRefusal;
    private Instant unavailableSince;
    private String problem;
    private long unavailableChecks;

    /**
     * @param grace     how long an outage may last before the cluster locks
     * @param locked    whether the cluster is locked already (e.g. before a restart)
     * @param lockReason why, if it is (a refusal of the same kind later is not reported again); may be null
     * @param unavailableSince when an outage recorded before a restart began, or null: the grace
     *                  period counts from then, not from this restart
     */
    public KeyWatch(Duration grace, Clock clock, Listener listener, boolean locked, String lockReason, Instant unavailableSince) {
        if (grace.isNegative()) {
            throw new IllegalArgumentException("kms-unavailable-grace must not be negative, got " + grace);
        }
        this.grace = grace;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.locked = locked;
        this.lockReason = locked ? lockReason : null;
        this.lockedRefusal = refusalOf(this.lockReason); // the database keeps the reason's words only
        this.unavailableSince = unavailableSince;
    }

    /** A watch of a cluster that is not locked and had no outage. */
    public KeyWatch(Duration grace, Clock clock, Listener listener) {
        this(grace, clock, listener, false, null, null);
    }

    /**
     * Checks the key now with a real generate and unwrap round trip ({@link Kms#checkAccess}),
     * waiting at most {@code wait}: a KMS that does not answer in time counts as unavailable.
     * Blocks: call it on a thread of the caller's own, never on an event loop.
     *
     * @return the failure that decided nothing (not a KMS answer), for the caller to log; else null
     */
    public RuntimeException check(Kms kms, String keyRef, Duration wait) {
        try {
            KmsCalls.await(kms.checkAccess(keyRef), wait);
            return observe(null);
        } catch (RuntimeException e) {
            return observe(e);
        }
    }

    /**
     * Feeds the outcome of one check: null for success, else its failure.
     *
     * @return {@code failure} when it is neither a refusal nor an outage (it decided nothing), else null
     */
    public synchronized RuntimeException observe(Throwable failure) {
        Throwable cause = failure == null ? null : KmsCalls.cause(failure);
        if (cause == null) {
            endOutage();
            if (locked) {
                locked = false;
                lockedForOutage = false;
                lockReason = null;
                lockedRefusal = null;
                listener.unlock();
            }
            return null;
        }
        if (cause instanceof KmsDeniedException denied) {
            endOutage();
            String reason = deniedReason(denied);
            if (!locked || lockedForOutage || lockedRefusal != denied.reason()) {
                lock(reason, denied.reason());
            }
            return null;
        }
        if (cause instanceof KmsUnavailableException) {
            unavailableChecks++;
            Instant now = clock.instant();
            if (unavailableSince == null) {
                unavailableSince = now;
                problem = cause.getMessage();
                listener.unavailable(unavailableSince, problem);
            } else {
                problem = cause.getMessage();
            }
            if (!locked && !now.isBefore(unavailableSince.plus(grace))) {
                lock(outageReason(unavailableSince, grace, problem), null);
            }
            return null;
        }
        return cause instanceof RuntimeException r ? r : new IllegalStateException(cause.toString(), cause);
    }

    /** Locks for {@code reason}: a refusal of kind {@code refusal}, or an outage when that is null. */
    private void lock(String reason, KmsDeniedException.Reason refusal) {
        locked = true;
        lockedForOutage = refusal == null;
        lockedRefusal = refusal;
        lockReason = reason;
        listener.lock(reason, refusal == null);
    }

    private void endOutage() {
        if (unavailableSince != null) {
            Instant since = unavailableSince;
            unavailableSince = null;
            problem = null;
            listener.available(since);
        }
    }

    public synchronized Status status() {
        Condition c = locked ? Condition.LOCKED : unavailableSince != null ? Condition.UNAVAILABLE : Condition.OK;
        return new Status(c, unavailableSince, problem, unavailableChecks, lockReason);
    }

    /** The grace period this watch allows an outage. */
    public Duration grace() {
        return grace;
    }

    /** The lock reason for a refusal, in words the customer can act on: its kind's sentence, then the KMS's detail. */
    public static String deniedReason(KmsDeniedException e) {
        String detail = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
        return sentence(e.reason()) + detail;
    }

    private static String sentence(KmsDeniedException.Reason reason) {
        return switch (reason) {
            case DISABLED -> "The key is disabled in its KMS; enable it to use it.";
            case ACCESS_DENIED -> "Access to key denied.";
            case NOT_FOUND -> "Key not found in its KMS.";
            case PENDING_DELETION -> "The key is scheduled for deletion in its KMS.";
            case DESTROYED -> "The key is destroyed in its KMS.";
            case INVALID_KEY -> "Wrong key type or usage: the key can not wrap and unwrap data keys.";
            case INVALID_CIPHERTEXT -> "The key did not unwrap a data key it had just wrapped.";
        };
    }

    /**
     * The kind of refusal a lock reason made by {@link #deniedReason} names, or null for any other
     * text (an outage's reason, or a reason kept from before a restart in other words).
     */
    static KmsDeniedException.Reason refusalOf(String lockReason) {
        if (lockReason == null) {
            return null;
        }
        for (KmsDeniedException.Reason r : KmsDeniedException.Reason.values()) {
            if (lockReason.startsWith(sentence(r))) {
                return r;
            }
        }
        return null;
    }

    /** The lock reason after an outage longer than the grace period. */
    static String outageReason(Instant since, Duration grace, String problem) {
        return "KMS unreachable since " + since.truncatedTo(ChronoUnit.SECONDS) + ", longer than the grace period ("
                + grace.toSeconds() + " s) of serving from cached keys; last error: " + problem;
    }
}
