package io.keyhold.server.internal.keys;

import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsProvider;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.server.internal.audit.Audits;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves keys out of {@code INITIALIZING}: through the key's KMS provider it describes the key and
 * does a wrap/unwrap round trip, then records {@code VALID} or {@code INVALID} with a message that
 * says exactly what is wrong. A KMS that cannot be reached leaves the key INITIALIZING; the periodic
 * sweep tries again.
 */
public final class KeyValidator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KeyValidator.class);
    static final String VALID_MESSAGE = "The key is valid: Keyhold described it and wrapped and unwrapped a data key with it.";
    /** Said of a key whose KMS does not tell where it lives (Azure Key Vault): no region is recorded, clusters of any region may use it. */
    static final String REGION_NOT_CHECKED = "Its region was not checked: the KMS does not report where the key lives, so make sure it is"
            + " in the region of the clusters it encrypts.";

    private final KeyStore store;
    private final KmsRegistry kms;
    private final Clock clock;
    private final AuditSink audit;
    private final ExecutorService workers = Executors.newFixedThreadPool(2, daemon("keyhold-key-validator"));
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

    public KeyValidator(KeyStore store, KmsRegistry kms, Clock clock, AuditSink audit) {
        this.store = store;
        this.kms = kms;
        this.clock = clock;
        this.audit = audit;
    }

    /**
     * Queues the keys still INITIALIZING (also those left over by a restart) and those whose KMS
     * identity is not known yet: the periodic background job (see {@code BackgroundJobs}).
     */
    public void sweep() {
        try {
            store.idsInPhase("INITIALIZING", 500).forEach(this::submit);
            store.idsWithoutKmsIdentity(100).forEach(id -> submit(id, this::learnIdentity));
        } catch (RuntimeException e) {
            LOG.warn("key validation sweep failed: {}", e.toString());
        }
    }

    /** Queues one key for validation (no-op when it is already queued). */
    public void submit(String keyId) {
        submit(keyId, this::validate);
    }

    private void submit(String keyId, java.util.function.Consumer<String> work) {
        if (!inFlight.add(keyId)) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    work.accept(keyId);
                } catch (RuntimeException e) {
                    LOG.warn("validating key {} failed: {}", keyId, e.toString());
                } finally {
                    inFlight.remove(keyId);
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(keyId);
        }
    }

    /** Validates now, on the calling thread. */
    public void validate(String keyId) {
        KeyRow row = store.get(keyId).orElse(null);
        if (row == null) {
            return;
        }
        Result r = check(row);
        if (r != null) {
            store.setValidation(keyId, r.phase, r.message, r.region, clock.millis());
            if (r.version != null) {
                store.learnVersion(keyId, r.version);
            }
            recordChange(row, r.phase, r.message);
        }
    }

    /** A key that becomes VALID or INVALID is a lifecycle event; staying in its phase is not. */
    private void recordChange(KeyRow row, String phase, String message) {
        if (phase.equals(row.phase()) || !(phase.equals("VALID") || phase.equals("INVALID"))) {
            return;
        }
        audit.record(phaseChange(phase, row.orgId(), row.id(), row.clusterId(), row.kind(), message).build());
    }

    /**
     * The lifecycle event of a key that became {@code VALID} or {@code INVALID}: {@code KEY_VALIDATED}
     * or {@code KEY_INVALIDATED}, by {@code system}. The validator and the key health monitor (which
     * flips keys in use when their KMS refuses or accepts them again) both record it.
     */
    public static AuditEvent.Builder phaseChange(String phase, String orgId, String keyId, String clusterId, String kind,
                                                 String message) {
        return Audits.system(phase.equals("VALID") ? AuditEventType.KEY_VALIDATED : AuditEventType.KEY_INVALIDATED, orgId)
                .key(keyId).cluster(clusterId).provider(kmsKind(kind)).message(message);
    }

    /**
     * For a key validated before identities were recorded: asks its KMS what it is and records
     * that. A key found to name a KMS key that another key object holds can no longer be claimed
     * by a cluster; if no cluster uses it, it also becomes INVALID and says why. A cluster already
     * using it keeps running (its data is under that key), and the log says so.
     */
    private void learnIdentity(String keyId) {
        KeyRow row = store.get(keyId).orElse(null);
        if (row == null || row.kmsKeyId() != null) {
            return;
        }
        KeyInfo info;
        try {
            info = KmsCalls.await(kms.get(kmsKind(row.kind())).describe(row.kmsRef()));
        } catch (KmsDeniedException e) {
            if (row.clusterId() == null) {
                store.setValidation(keyId, "INVALID", deniedMessage(e), null, clock.millis());
                recordChange(row, "INVALID", deniedMessage(e));
            }
            return; // a key in use: the health monitor locks its cluster
        } catch (RuntimeException e) {
            return; // unreachable or not configured now: the next sweep tries again
        }
        KeyRow holder = store.learnKmsIdentity(keyId, info.keyId(), KeyIdentities.of(row.kind(), info.keyId()), clock.millis())
                .orElse(null);
        if (holder == null) {
            return;
        }
        if (row.clusterId() == null) {
            store.setValidation(keyId, "INVALID", duplicateMessage(row, info, holder), null, clock.millis());
            recordChange(row, "INVALID", duplicateMessage(row, info, holder));
        } else {
            LOG.warn("key {} (used by cluster {}) names the same KMS key as key {}: it can not encrypt another cluster once its "
                    + "cluster is deleted", keyId, row.clusterId(), holder.id());
        }
    }

    /** Why a key is INVALID when its KMS key is held by another key object; names it only within the organization. */
    private static String duplicateMessage(KeyRow row, KeyInfo info, KeyRow holder) {
        String who = holder.orgId().equals(row.orgId()) ? "as key '" + holder.id() + "'" : "in another organization of this Keyhold server";
        String what = info.keyId().equals(row.kmsRef()) ? "This KMS key" : "The KMS key behind '" + row.ident() + "' ('" + info.keyId() + "')";
        return what + " is already registered " + who + ": each Kafka cluster needs its own KMS key, so a KMS key can back only one "
                + "key object. Delete this key object, or the other one.";
    }

    /** @param version the key's current version, known when VALID */
    private record Result(String phase, String message, String region, String version) {
        Result(String phase, String message, String region) {
            this(phase, message, region, null);
        }

        static Result invalid(String message) {
            return new Result("INVALID", message, null);
        }
    }

    private Result check(KeyRow row) {
        String kind = kmsKind(row.kind());
        KmsProvider provider = KmsProviders.find(kind).orElse(null);
        if (provider == null) {
            String installed = KmsProviders.installed().stream().map(KmsProvider::kind).sorted().collect(Collectors.joining(", "));
            return Result.invalid("The KMS provider '" + kind + "' for " + row.kind() + " keys is not installed in this Keyhold server"
                    + " (installed: " + (installed.isEmpty() ? "none" : installed) + "), so the key can not be checked or used.");
        }
        Kms conn;
        try {
            conn = kms.get(kind);
        } catch (IllegalArgumentException e) {
            return Result.invalid("The KMS provider '" + kind + "' is not configured correctly: " + e.getMessage());
        } catch (RuntimeException e) {
            // The server's side (a store that does not open, a wrong passphrase): not the key's fault, retry later.
            return new Result("INITIALIZING", "The KMS provider '" + kind + "' could not be opened; retrying: " + e.getMessage(), null);
        }
        try {
            KeyInfo info = KmsCalls.await(conn.describe(row.kmsRef()));
            // the provider's own words first: they name the fix (a key of another type shows as not enabled too)
            List<String> problems = KmsCalls.await(conn.keyProblems(row.kmsRef()));
            if (!problems.isEmpty()) {
                return Result.invalid("The key can not be used: " + String.join("; ", problems) + ".");
            }
            if (info.state() != KeyState.ENABLED) {
                return Result.invalid(stateMessage(info.state()));
            }
            boolean regionKnown = !KeyInfo.UNKNOWN_REGION.equals(info.region());
            if (regionKnown && row.region() != null && !row.region().equals(info.region())) {
                return new Result("INVALID", "Wrong region: the key identifier names region '" + row.region()
                        + "' but the KMS reports the key in '" + info.region() + "'.", null);
            }
            // One KMS key, one key object: an alias is only known to be its target key once the KMS says so.
            KeyRow holder = store.learnKmsIdentity(row.id(), info.keyId(), KeyIdentities.of(row.kind(), info.keyId()), clock.millis())
                    .orElse(null);
            if (holder != null) {
                return Result.invalid(duplicateMessage(row, info, holder));
            }
            KmsCalls.await(conn.checkAccess(row.kmsRef())); // a real generate and unwrap round trip
            return regionKnown ? new Result("VALID", VALID_MESSAGE, info.region(), info.currentVersion())
                    : new Result("VALID", VALID_MESSAGE + " " + REGION_NOT_CHECKED, null, info.currentVersion());
        } catch (KmsDeniedException e) {
            return Result.invalid(deniedMessage(e));
        } catch (KmsUnavailableException e) {
            // Not the customer's fault: keep INITIALIZING and let the sweep retry.
            return new Result("INITIALIZING", "The KMS could not be reached; retrying: " + e.getMessage(), null);
        } catch (UnsupportedOperationException e) {
            return Result.invalid("Wrong key type: the key can not wrap and unwrap data keys (" + e.getMessage() + ").");
        } catch (RuntimeException e) {
            return Result.invalid("The key could not be validated: " + e.getMessage());
        }
    }

    /** The KMS SPI provider kind of a key kind: AwsKey -> aws, LocalKey -> local, KmipKey -> kmip (any XKey -> x). */
    public static String kmsKind(String keyKind) {
        return switch (keyKind) {
            case "AwsKey" -> "aws";
            case "AzureKey" -> "azure";
            case "GcpKey" -> "gcp";
            case "LocalKey" -> "local";
            default -> (keyKind.endsWith("Key") ? keyKind.substring(0, keyKind.length() - 3) : keyKind).toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String stateMessage(KeyState state) {
        return switch (state) {
            case DISABLED -> "The key is disabled in its KMS; enable it to use it.";
            case PENDING_DELETION -> "The key is scheduled for deletion in its KMS; cancel the deletion to use it.";
            case DESTROYED -> "The key is destroyed in its KMS; it can never be used again.";
            case ENABLED -> "The key is enabled.";
        };
    }

    /** What a KMS refusal means for the customer, e.g. "Access to key denied.". */
    public static String deniedMessage(KmsDeniedException e) {
        return io.keyhold.kms.KeyWatch.deniedReason(e);
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
