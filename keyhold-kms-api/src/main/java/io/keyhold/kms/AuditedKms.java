package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.AuditSink;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Records a {@link AuditEventType#KMS_CALL} event for every call made through a {@link Kms}: the
 * operation, the key reference and the version the answer names, the cluster of the encryption
 * context, the outcome ({@code ok}, {@code denied}, {@code unavailable}, {@code invalid-ciphertext},
 * {@code error}) and the latency. {@link KmsRegistry} puts it between {@link ResilientKms} and the
 * provider, so every attempt that reaches the KMS is one event, as the KMS's own logs count them.
 *
 * <p>Cheap and non-blocking: one clock read before the call and one event handed to the
 * {@link AuditSink} (which only queues it) when the call completes, on whatever thread completes
 * it. Proxies call the KMS per DEK, not per record, so this is not on the per-record path. The
 * event carries identifiers and outcomes only, never a DEK or an EDEK.
 */
public final class AuditedKms implements Kms {
    /** Longest KMS error text kept in an event: enough to act on, not a dump. */
    private static final int MAX_MESSAGE = 300;

    private final Kms delegate;
    private final AuditSink sink;
    private final String process;

    public AuditedKms(Kms delegate, AuditSink sink, String process) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.process = Objects.requireNonNull(process, "process");
    }

    /** The connection this one audits. */
    public Kms delegate() {
        return delegate;
    }

    @Override
    public String kind() {
        return delegate.kind();
    }

    @Override
    public CompletionStage<KeyInfo> describe(String keyRef) {
        return audited("describe", keyRef, null, null, () -> delegate.describe(keyRef), KeyInfo::currentVersion);
    }

    @Override
    public CompletionStage<GeneratedDek> generate(String keyRef, EncryptionContext context) {
        return audited("generate", keyRef, null, context, () -> delegate.generate(keyRef, context), g -> g.kek().keyVersion());
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
        String ref = kek == null ? null : kek.keyId();
        String version = kek == null ? null : kek.keyVersion();
        return audited("unwrap", ref, version, context, () -> delegate.unwrap(kek, edek, context), null);
    }

    @Override
    public CompletionStage<WrappedKey> wrap(String keyRef, DataKey key, EncryptionContext context) {
        return audited("wrap", keyRef, null, context, () -> delegate.wrap(keyRef, key, context), w -> w.kek().keyVersion());
    }

    @Override
    public CompletionStage<KeyInfo> rotate(String keyRef) {
        return audited("rotate", keyRef, null, null, () -> delegate.rotate(keyRef), KeyInfo::currentVersion);
    }

    @Override
    public CompletionStage<List<String>> keyProblems(String keyRef) {
        return audited("keyProblems", keyRef, null, null, () -> delegate.keyProblems(keyRef), null);
    }

    @Override
    public CompletionStage<Void> checkAccess(String keyRef) {
        return audited("checkAccess", keyRef, null, null, () -> delegate.checkAccess(keyRef), null);
    }

    /**
     * @param version     the version the call names up front (an unwrap's KEK), or null
     * @param versionOfResult the version a successful answer names, or null when it names none
     */
    private <T> CompletionStage<T> audited(String operation, String keyRef, String version, EncryptionContext context,
                                           Supplier<CompletionStage<T>> call, Function<T, String> versionOfResult) {
        long start = System.nanoTime();
        CompletionStage<T> stage;
        try {
            stage = call.get();
        } catch (RuntimeException e) {
            stage = Kms.failed(e); // a provider that breaks the contract and throws
        }
        return stage.whenComplete((value, err) -> {
            try {
                long millis = (System.nanoTime() - start) / 1_000_000;
                String v = version;
                if (err == null && value != null && versionOfResult != null) {
                    v = versionOfResult.apply(value);
                }
                Throwable cause = err == null ? null : KmsCalls.cause(err);
                AuditEvent.Builder e = AuditEvent.of(AuditEventType.KMS_CALL, process).provider(delegate.kind()).key(keyRef)
                        .keyVersion(v == null || v.isEmpty() ? null : v).operation(operation).outcome(outcome(cause))
                        .latencyMillis(millis).cluster(context == null ? null : context.pairs().get(EncryptionContext.CLUSTER));
                if (cause != null) {
                    e.message(describe(cause));
                }
                sink.record(e.build());
            } catch (RuntimeException ignored) {
                // auditing must never change the call's outcome; a sink reports its own failures
            }
        });
    }

    /** The outcome vocabulary of the audit trail. */
    public static String outcome(Throwable cause) {
        if (cause == null) {
            return "ok";
        }
        if (cause instanceof KmsDeniedException d) {
            return d.reason() == KmsDeniedException.Reason.INVALID_CIPHERTEXT ? "invalid-ciphertext" : "denied";
        }
        return cause instanceof KmsUnavailableException ? "unavailable" : "error";
    }

    private static String describe(Throwable cause) {
        String reason = cause instanceof KmsDeniedException d ? d.reason().name()
                : cause instanceof KmsUnavailableException u ? u.reason().name() : cause.getClass().getSimpleName();
        String text = cause.getMessage();
        String out = text == null || text.isBlank() ? reason : reason + ": " + text;
        return out.length() > MAX_MESSAGE ? out.substring(0, MAX_MESSAGE) + "..." : out;
    }

    @Override
    public void forget(String keyRef) {
        delegate.forget(keyRef);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
