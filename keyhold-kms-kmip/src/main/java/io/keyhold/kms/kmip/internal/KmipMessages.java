package io.keyhold.kms.kmip.internal;

import java.util.List;

/**
 * KMIP request and response messages of one batch item each (KMIP 1.4 section 7): the header with
 * the protocol version and batch count, the operation and its payload; and reading a response's
 * result status, reason and message.
 */
public final class KmipMessages {
    private KmipMessages() {
    }

    public static Ttlv request(ProtocolVersion version, int operation, List<Ttlv> payload) {
        return Ttlv.structure(Tags.REQUEST_MESSAGE,
                Ttlv.structure(Tags.REQUEST_HEADER, version.toTtlv(), Ttlv.integer(Tags.BATCH_COUNT, 1)),
                Ttlv.structure(Tags.BATCH_ITEM, Ttlv.enumeration(Tags.OPERATION, operation),
                        Ttlv.structure(Tags.REQUEST_PAYLOAD, payload)));
    }

    /**
     * The payload of a response to {@code operation} (an empty structure when the server sent none);
     * throws {@link KmipResultException} when the server answered with a failure, {@link TtlvException}
     * when the answer is not a response of one batch item.
     */
    public static Ttlv payload(Ttlv response, String operation) {
        if (response.tag() != Tags.RESPONSE_MESSAGE || response.type() != Ttlv.Type.STRUCTURE) {
            throw new TtlvException("the KMIP server's answer to " + operation + " is not a Response Message");
        }
        List<Ttlv> items = response.children(Tags.BATCH_ITEM);
        if (items.size() != 1) {
            throw new TtlvException("the KMIP server answered " + operation + " with " + items.size() + " batch items, not 1");
        }
        Ttlv item = items.get(0);
        int status = item.required(Tags.RESULT_STATUS).intValue();
        if (status != KmipEnums.ResultStatus.SUCCESS) {
            int reason = item.child(Tags.RESULT_REASON).map(Ttlv::intValue).orElse(KmipEnums.ResultReason.GENERAL_FAILURE);
            String message = item.child(Tags.RESULT_MESSAGE).map(Ttlv::textValue).orElse(null);
            if (status != KmipEnums.ResultStatus.OPERATION_FAILED) {
                message = "Result Status " + status + (message == null ? "" : ": " + message);
            }
            throw new KmipResultException(operation, reason, message);
        }
        return item.child(Tags.RESPONSE_PAYLOAD).orElse(Ttlv.structure(Tags.RESPONSE_PAYLOAD));
    }

    /** The protocol version in a response's header. */
    public static ProtocolVersion version(Ttlv response) {
        return ProtocolVersion.of(response.required(Tags.RESPONSE_HEADER).required(Tags.PROTOCOL_VERSION));
    }
}
