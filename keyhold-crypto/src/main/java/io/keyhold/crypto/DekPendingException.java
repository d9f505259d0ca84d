package io.keyhold.crypto;

import java.util.concurrent.CompletionStage;

/**
 * A DEK cache has no usable key yet and has asked its KMS for one: the caller must not wait on the
 * spot (it may be an event loop), but give the work back and retry it once {@link #ready()}
 * completes. {@code ready()} completes normally when the key is in the cache, or exceptionally with
 * the KMS's error (then retrying will not help until something changes).
 *
 * <p>Thrown, not returned, so that the record paths stay free of per-record checks: it surfaces
 * only on the rare miss. It carries no stack trace.
 */
public final class DekPendingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient CompletionStage<?> ready;

    public DekPendingException(CompletionStage<?> ready) {
        super("waiting for a data key from the KMS", null, false, false);
        this.ready = ready;
    }

    /** Completes when a retry can find the key (normally) or when the KMS refused (exceptionally). */
    public CompletionStage<?> ready() {
        return ready;
    }
}
