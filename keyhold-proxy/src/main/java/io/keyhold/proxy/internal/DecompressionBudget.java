package io.keyhold.proxy.internal;

/**
 * How many bytes the compressed batches of one produce request may still decompress to. Charged
 * record by record as they come out of the decompressor; the request is refused with
 * {@code INVALID_RECORD} once its records would exceed it. Used on one event loop only.
 */
public final class DecompressionBudget {
    private final long limit;
    private long left;

    public DecompressionBudget(long limit) {
        this.limit = limit;
        this.left = limit;
    }

    /** Charges {@code bytes} of decompressed records. */
    void take(long bytes) {
        check(bytes);
        left -= bytes;
    }

    /** Fails unless {@code bytes} more would still fit, without charging them. */
    void check(long bytes) {
        if (bytes > left) {
            throw new ExceededException(limit);
        }
    }

    /** The request's records decompress to more than the limit. */
    public static final class ExceededException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        ExceededException(long limit) {
            super("its compressed records decompress to more than " + limit + " bytes, the proxy's limit per produce request"
                    + " (max-decompressed-bytes); send smaller requests or raise the limit");
        }
    }
}
