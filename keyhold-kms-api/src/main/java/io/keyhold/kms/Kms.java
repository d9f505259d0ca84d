package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.DekSource;
import io.keyhold.crypto.DekUnwrapper;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;

/**
 * A connection to one key management service. Keys (KEKs) stay inside the KMS wherever it can wrap
 * and unwrap; Keyhold only ever sees DEKs.
 *
 * <p>Every method may throw {@link KmsDeniedException} (the key is disabled, revoked, missing or
 * destroyed: lock the cluster) or {@link KmsUnavailableException} (network, timeout, throttling:
 * retry). Implementations are thread-safe. Wrap one in {@link ResilientKms} for timeouts and retries.
 */
public interface Kms extends DekSource, DekUnwrapper, AutoCloseable {

    /** The provider kind, e.g. {@code local}; also the {@link KekRef#provider()} of what it wraps. */
    String kind();

    /** What the KMS says about a key: state, algorithm, region, current version. */
    KeyInfo describe(String keyId);

    /**
     * A new 256-bit DEK wrapped under the current version of {@code keyId}. Its {@link KekRef} is
     * {@code (kind(), keyId, version)} with {@code keyId} exactly as given: that is how a proxy
     * recognises records under its own key (any version) and refuses every other KEK.
     */
    @Override
    GeneratedDek generate(String keyId);

    /** The DEK inside {@code edek}; the caller owns the result and must destroy it. */
    @Override
    DataKey unwrap(KekRef kek, byte[] edek);

    /**
     * Creates a new key version that wraps from now on; older versions still unwrap.
     *
     * @throws UnsupportedOperationException when this KMS cannot rotate on demand
     */
    KeyInfo rotate(String keyId);

    /**
     * A cheap check that the key exists and can be used right now; throws the same typed errors as
     * the other calls. Used by the key health monitor.
     */
    void checkAccess(String keyId);

    @Override
    void close();
}
