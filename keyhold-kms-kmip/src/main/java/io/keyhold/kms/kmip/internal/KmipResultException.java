package io.keyhold.kms.kmip.internal;

/** A KMIP server answered an operation with Operation Failed: its Result Reason and Result Message. */
public final class KmipResultException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int reason;

    public KmipResultException(String operation, int reason, String serverMessage) {
        super("KMIP " + operation + " failed: " + reasonName(reason) + (serverMessage == null || serverMessage.isBlank() ? ""
                : " (" + serverMessage + ")"));
        this.reason = reason;
    }

    /** The Result Reason (see {@link KmipEnums.ResultReason}). */
    public int reason() {
        return reason;
    }

    static String reasonName(int reason) {
        return switch (reason) {
            case KmipEnums.ResultReason.ITEM_NOT_FOUND -> "Item Not Found";
            case KmipEnums.ResultReason.AUTHENTICATION_NOT_SUCCESSFUL -> "Authentication Not Successful";
            case KmipEnums.ResultReason.INVALID_MESSAGE -> "Invalid Message";
            case KmipEnums.ResultReason.OPERATION_NOT_SUPPORTED -> "Operation Not Supported";
            case KmipEnums.ResultReason.INVALID_FIELD -> "Invalid Field";
            case KmipEnums.ResultReason.FEATURE_NOT_SUPPORTED -> "Feature Not Supported";
            case KmipEnums.ResultReason.CRYPTOGRAPHIC_FAILURE -> "Cryptographic Failure";
            case KmipEnums.ResultReason.ILLEGAL_OPERATION -> "Illegal Operation";
            case KmipEnums.ResultReason.PERMISSION_DENIED -> "Permission Denied";
            case KmipEnums.ResultReason.OBJECT_ARCHIVED -> "Object Archived";
            case KmipEnums.ResultReason.GENERAL_FAILURE -> "General Failure";
            default -> "Result Reason 0x" + Integer.toHexString(reason);
        };
    }
}
