package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DekSource;
import io.keyhold.crypto.DekUnwrapper;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A connection to one key management service (SPI version 2). Keys (KEKs) stay inside the KMS
 * wherever it can wrap and unwrap; Keyhold only ever sees DEKs.
 *
 * <h2>Contract, for every method</h2>
 * <ul>
 *   <li><b>Asynchronous.</b> Every method returns at once, without network or disk I/O on the
 *       calling thread, which may be a Netty event loop. Blocking providers run their calls on
 *       threads of their own ({@link BlockingKms} does that). The returned stage may complete on
 *       any thread: callers move to their own executor before doing real work.</li>
 *   <li><b>Typed failures.</b> A stage fails with {@link KmsDeniedException} when the KMS refused
 *       (the key is disabled, revoked, missing or destroyed, access was removed: lock the cluster;
 *       or, with reason {@link KmsDeniedException.Reason#INVALID_CIPHERTEXT}, the wrapped key is
 *       damaged or bound to another context: fail that data, lock nothing) and with
 *       {@link KmsUnavailableException} when the KMS could not answer now (network, throttling,
 *       5xx, timeouts: retry). Bad arguments fail the stage with {@link IllegalArgumentException};
 *       methods do not throw.</li>
 *   <li><b>No secrets in errors.</b> No message, {@code toString} or log line carries key material
 *       or credentials. KMS error text (ARNs, account ids) may be in messages: callers log it and
 *       never send it to Kafka clients.</li>
 *   <li><b>Thread-safe.</b> One connection serves every cluster of a process; wrap it once in
 *       {@link ResilientKms} for timeouts and retries ({@link KmsRegistry} does).</li>
 * </ul>
 *
 * <h2>Key references and identities</h2>
 * A <em>key reference</em> is what the customer gave (an AWS key or alias ARN, an Azure versionless
 * key URL, a Cloud KMS key name, a local key name). {@link #describe} resolves it to the key's
 * stable identity ({@link KeyInfo#keyId()}: an alias becomes its target key's ARN) and its current
 * version. Records name their KEK by {@link KekRef}{@code (kind(), keyRef, version)}: the reference
 * as given, so a proxy recognises its own key, and a version that tells the KMS exactly what to
 * unwrap with (a key version, or the key an alias pointed to when the DEK was wrapped). A new
 * version, or an alias moved to another key, therefore shows as a new {@code version} while every
 * older one still unwraps for as long as the KMS keeps it enabled.
 */
public interface Kms extends DekSource, DekUnwrapper, AutoCloseable {

    /** The provider kind, e.g. {@code local}, {@code aws}; also the {@link KekRef#provider()} of what it wraps. Never blocks. */
    String kind();

    /**
     * What the KMS says about the key {@code keyRef} names: its stable identity, state, algorithm,
     * region and current version.
     */
    CompletionStage<KeyInfo> describe(String keyRef);

    /**
     * A new 256-bit DEK wrapped under the current version of {@code keyRef}, bound to
     * {@code context}: it unwraps only with the same context. Its {@link KekRef} is
     * {@code (kind(), keyRef, version)} with {@code keyRef} exactly as given. The caller owns the
     * plaintext DEK and must destroy it.
     */
    @Override
    CompletionStage<GeneratedDek> generate(String keyRef, EncryptionContext context);

    /**
     * The DEK inside {@code edek}, wrapped under {@code kek} with {@code context}; the caller owns
     * the result and must destroy it. A different context, or an EDEK that is damaged or not from
     * this key, fails with {@link KmsDeniedException.Reason#INVALID_CIPHERTEXT}.
     */
    @Override
    CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context);

    /**
     * Wraps a key the caller already holds ({@code key}, which stays the caller's and must stay open
     * until the stage completes) under the current version of {@code keyRef}, bound to
     * {@code context}, so that {@link #unwrap} with that context gives the same bytes back. Used to
     * move Keyhold's cluster keys to another KMS key without changing them (an online re-key). The
     * default fails with {@link UnsupportedOperationException}: a provider that cannot encrypt a
     * given key (only generate one) cannot be the target of a re-key.
     */
    default CompletionStage<WrappedKey> wrap(String keyRef, DataKey key, EncryptionContext context) {
        return failed(new UnsupportedOperationException("the " + kind() + " KMS provider cannot wrap an existing key"
                + " (needed to re-key a cluster onto it)"));
    }

    /**
     * Creates a new key version that wraps from now on; older versions still unwrap. Fails with
     * {@link UnsupportedOperationException} when this KMS cannot rotate on demand.
     */
    CompletionStage<KeyInfo> rotate(String keyRef);

    /**
     * What keeps the key {@code keyRef} names from serving as a Keyhold KEK, each in words the
     * customer can act on ("the key is not a symmetric encryption key (key spec RSA_2048): ...");
     * empty when nothing does. The key validator shows them; it checks the region and does a
     * {@link #checkAccess} round trip itself. A refusal to describe the key fails the stage with
     * {@link KmsDeniedException}. The default looks at the state {@link #describe} reports;
     * providers add what their KMS requires (key type, usage, purge protection, ...).
     */
    default CompletionStage<List<String>> keyProblems(String keyRef) {
        return describe(keyRef).thenApply(info -> switch (info.state()) {
            case ENABLED -> List.of();
            case DISABLED -> List.of("the key is disabled");
            case PENDING_DELETION -> List.of("the key is pending deletion");
            case DESTROYED -> List.of("the key is destroyed");
        });
    }

    /**
     * Proves that the key can be used right now for everything Keyhold needs: by default a real
     * generate and unwrap round trip (a key whose unwrap permission was removed must fail this,
     * not only one that is disabled). Fails with the same typed errors as the other calls. Used by
     * the key validator and the key health monitors.
     */
    default CompletionStage<Void> checkAccess(String keyRef) {
        EncryptionContext context = EncryptionContext.forPurpose("health-check");
        return generate(keyRef, context).thenCompose(g -> unwrap(g.kek(), g.edek(), context).handle((back, err) -> {
            try (DataKey original = g.dek()) {
                if (err != null) {
                    throw KmsCalls.asCompletionFailure(err);
                }
                try (back) {
                    boolean same = original.withKeyBytes(a -> back.withKeyBytes(b -> Arrays.equals(a, b)));
                    if (!same) {
                        throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_KEY,
                                "a data key wrapped with the key did not unwrap to the same bytes");
                    }
                }
            }
            return null;
        }));
    }

    /**
     * Wipes any key material of {@code keyRef}'s key that this connection holds in memory (a KEK
     * itself, where the KMS hands it out: a KMIP 1.1 server's fetched key), so that nothing of that
     * key stays in this process; the next call fetches it again if it may. Called when a cluster on
     * that key locks, from any thread; never blocks and never fails. The default does nothing: the
     * provider holds no key material (its KMS wraps and unwraps inside itself).
     */
    default void forget(String keyRef) {
    }

    /** Closes the connection; calls after this fail. Does not wait for calls under way. */
    @Override
    void close();

    /** A failed stage, for providers' argument checks. */
    static <T> CompletionStage<T> failed(Throwable t) {
        return CompletableFuture.failedFuture(t);
    }
}
