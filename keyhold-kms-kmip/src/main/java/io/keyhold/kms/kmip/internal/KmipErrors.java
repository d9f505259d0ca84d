package io.keyhold.kms.kmip.internal;

import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsException;
import io.keyhold.kms.KmsUnavailableException;
import java.io.UncheckedIOException;
import java.util.function.Function;

/**
 * KMIP failures as the SPI's typed errors. A server that refuses a key operation answers Permission
 * Denied whether the object is not Active (revoked, deactivated, not yet activated) or Keyhold may
 * not use it; {@link #of} then asks for the object's State so the reason says which.
 */
public final class KmipErrors {
    private KmipErrors() {
    }

    /**
     * @param what   the call and key, for the message
     * @param states the State of the object {@code uid}, looked up only after a Permission Denied
     */
    public static KmsException of(RuntimeException e, String what, String uid, Function<String, KeyAttributes> states) {
        if (e instanceof KmsException k) {
            return k;
        }
        if (e instanceof UncheckedIOException io) {
            KmsUnavailableException.Reason reason = io.getCause() instanceof java.net.SocketTimeoutException ? KmsUnavailableException.Reason.TIMEOUT : KmsUnavailableException.Reason.NETWORK;
            return new KmsUnavailableException(reason, what + ": " + e.getMessage(), e);
        }
        if (e instanceof TtlvException || e instanceof IllegalStateException) {
            return new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, what + ": " + e.getMessage(), e);
        }
        if (!(e instanceof KmipResultException r)) {
            throw e;
        }
        return switch (r.reason()) {
            case KmipEnums.ResultReason.ITEM_NOT_FOUND -> new KmsDeniedException(Reason.NOT_FOUND, what + ": " + r.getMessage(), r);
            case KmipEnums.ResultReason.PERMISSION_DENIED -> permissionDenied(r, what, uid, states);
            case KmipEnums.ResultReason.AUTHENTICATION_NOT_SUCCESSFUL ->
                    new KmsDeniedException(Reason.ACCESS_DENIED, what + ": " + r.getMessage(), r);
            case KmipEnums.ResultReason.CRYPTOGRAPHIC_FAILURE ->
                    new KmsDeniedException(Reason.INVALID_CIPHERTEXT, what + ": " + r.getMessage(), r);
            case KmipEnums.ResultReason.OBJECT_ARCHIVED -> new KmsDeniedException(Reason.DISABLED, what + ": " + r.getMessage(), r);
            case KmipEnums.ResultReason.GENERAL_FAILURE -> new KmsUnavailableException(KmsUnavailableException.Reason.INTERNAL, what + ": " + r.getMessage(), r);
            default -> new KmsDeniedException(Reason.INVALID_KEY, what + ": " + r.getMessage(), r);
        };
    }

    private static KmsException permissionDenied(KmipResultException r, String what, String uid,
                                                 Function<String, KeyAttributes> states) {
        KeyAttributes attributes;
        try {
            attributes = states.apply(uid);
        } catch (KmipResultException again) {
            return again.reason() == KmipEnums.ResultReason.ITEM_NOT_FOUND
                    ? new KmsDeniedException(Reason.NOT_FOUND, what + ": " + again.getMessage(), r)
                    : new KmsDeniedException(Reason.ACCESS_DENIED, what + ": " + r.getMessage(), r);
        } catch (RuntimeException unreachable) {
            // the refusal stands; what it means is unknown until the server answers again
            return new KmsUnavailableException(KmsUnavailableException.Reason.NETWORK, what + ": " + r.getMessage() + "; the object's state could not be read", r);
        }
        Reason reason = denial(attributes.state());
        return new KmsDeniedException(reason != null ? reason : Reason.ACCESS_DENIED, what + ": " + r.getMessage()
                + " (the object is " + KmipEnums.State.name(attributes.state()) + ")", r);
    }

    /** The denial a KMIP State means, or null for Active (usable). */
    public static Reason denial(int state) {
        return switch (state) {
            case KmipEnums.State.ACTIVE -> null;
            case KmipEnums.State.DESTROYED, KmipEnums.State.DESTROYED_COMPROMISED -> Reason.DESTROYED;
            default -> Reason.DISABLED; // Pre-Active, Deactivated (revoked), Compromised
        };
    }
}
