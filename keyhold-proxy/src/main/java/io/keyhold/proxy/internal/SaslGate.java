package io.keyhold.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

/**
 * Whether the requests of one client connection may be processed yet. Behind a broker that
 * requires SASL, nothing but {@code ApiVersions}, {@code SaslHandshake} and {@code SaslAuthenticate}
 * is processed until the broker has authenticated the client: a Produce sent before that is never
 * decoded, decompressed or encrypted, and costs no KMS call. The connection is closed instead,
 * which is what the broker itself does with such a request ("Unexpected Kafka request of type ...
 * during SASL handshake").
 *
 * <p>The proxy does not speak SASL; it watches the broker's answers. The exchange has as many
 * {@code SaslAuthenticate} rounds as the mechanism needs (PLAIN one, SCRAM two, GSSAPI more), and
 * only the broker knows which round was the last. So when the client, after at least one round the
 * broker accepted, sends anything else, the proxy first asks the broker itself: it sends an
 * {@code ApiVersions} request of its own (the client's own, replayed) and holds the client's
 * request until the answer. A broker that has authenticated the connection answers it; one still
 * expecting SASL answers {@code ILLEGAL_SASL_STATE} and closes, and so does the proxy, without
 * having processed the request. The answer never reaches the client. This costs one round trip
 * per connection, once.
 *
 * <p>Whether the broker requires SASL is known from the configuration ({@code upstream-sasl:
 * required}) or learnt (see {@link UpstreamSaslState}); a connection whose client starts a SASL
 * handshake is treated as one in any case. While a connection has not authenticated, its frames
 * are limited to {@link #MAX_AUTH_FRAME_BYTES}. Lives on the connection's event loop.
 */
final class SaslGate {
    /**
     * Largest frame before authentication: the default of the broker's
     * {@code sasl.server.max.receive.size}, which refuses larger ones while authenticating.
     */
    static final int MAX_AUTH_FRAME_BYTES = 524_288;
    /** Correlation id of the proxy's own ApiVersions request (the client never sees its answer). */
    static final int CONFIRMATION_CORRELATION_ID = 0x6b68_0001;
    /** The client's ApiVersions request is replayed only if it is this small. */
    private static final int MAX_REPLAYED_BYTES = 1024;

    /** A request the broker would close the connection for, sent before authentication. */
    static final class UnauthenticatedRequestException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnauthenticatedRequestException(String message) {
            super(message);
        }
    }

    /** What to do with a request. */
    enum Verdict {
        /** As the proxy always does. */
        PROCESS,
        /** Forward it, and hold the connection's later requests until the broker has answered it. */
        PROCESS_THEN_WAIT,
        /** Ask the broker whether the connection is authenticated first, holding this request. */
        CONFIRM_FIRST,
        /** Close the connection without processing it. */
        CLOSE
    }

    private enum State {
        /** The broker is not known to require SASL and the client has not started a handshake. */
        OPEN,
        /** SASL is required; no authentication round has succeeded yet. */
        HANDSHAKE,
        /** At least one SaslAuthenticate round succeeded; whether it was the last, only the broker knows. */
        AUTHENTICATING,
        /** The broker authenticated the connection (or SASL is not in play): everything is processed. */
        AUTHENTICATED
    }

    private final UpstreamSaslState upstream;
    private final int maxFrameBytes;
    private State state;
    /** A copy of the client's last ApiVersions request before authentication, to replay as the confirmation. */
    private byte[] apiVersionsRequest;

    SaslGate(UpstreamSaslState upstream, int maxFrameBytes) {
        this.upstream = upstream;
        this.maxFrameBytes = maxFrameBytes;
        this.state = State.HANDSHAKE; // until start(): nothing is read before
    }

    /** The connection starts reading: from what the proxy knows about the brokers now. */
    void start() {
        state = upstream.required() ? State.HANDSHAKE : State.OPEN;
    }

    /** The largest frame this connection may send now. */
    int frameLimit() {
        return state == State.HANDSHAKE || state == State.AUTHENTICATING ? Math.min(maxFrameBytes, MAX_AUTH_FRAME_BYTES)
                : maxFrameBytes;
    }

    /** Whether the connection has not (yet) been authenticated although SASL is in play. */
    boolean unauthenticated() {
        return state == State.HANDSHAKE || state == State.AUTHENTICATING;
    }

    /** What to do with a request for {@code api} (null: unknown to the proxy) at {@code version}. */
    Verdict admit(ApiKeys api, short version) {
        if (state == State.OPEN) {
            if (api != ApiKeys.SASL_HANDSHAKE) {
                return Verdict.PROCESS;
            }
            state = State.HANDSHAKE; // the client speaks SASL, so the broker does: gate from here on
        }
        if (state == State.AUTHENTICATED) {
            return Verdict.PROCESS;
        }
        if (api == ApiKeys.API_VERSIONS) {
            return Verdict.PROCESS;
        }
        if (api == ApiKeys.SASL_HANDSHAKE) {
            // v0 is followed by raw SASL tokens without Kafka headers (clients before Kafka 1.0),
            // which the proxy cannot tell apart from requests.
            return version >= 1 ? Verdict.PROCESS_THEN_WAIT : Verdict.CLOSE;
        }
        if (api == ApiKeys.SASL_AUTHENTICATE) {
            return Verdict.PROCESS_THEN_WAIT;
        }
        return state == State.AUTHENTICATING ? Verdict.CONFIRM_FIRST : Verdict.CLOSE;
    }

    /** Why {@link Verdict#CLOSE}, for the log. */
    String closeReason(ApiKeys api, short version) {
        if (api == ApiKeys.SASL_HANDSHAKE) {
            return "SaslHandshake v0 (raw SASL tokens) cannot pass through the proxy; clients since Kafka 1.0 use v1";
        }
        return (api == null ? "an unknown request" : api.name + " v" + version) + " before SASL authentication";
    }

    /** Remembers the client's ApiVersions request (the frame, without its size) while unauthenticated. */
    void sawApiVersions(ByteBuf frame) {
        if (state != State.AUTHENTICATED && frame.readableBytes() <= MAX_REPLAYED_BYTES) {
            byte[] copy = new byte[frame.readableBytes()];
            frame.getBytes(frame.readerIndex(), copy);
            apiVersionsRequest = copy;
        }
    }

    /** The broker answered a SaslHandshake or SaslAuthenticate with {@code error}. */
    void answered(ApiKeys api, Errors error) {
        if (api == ApiKeys.SASL_HANDSHAKE && (error == Errors.NONE || error == Errors.UNSUPPORTED_SASL_MECHANISM)) {
            upstream.learnRequired(); // only a SASL listener answers a handshake so
        } else if (api == ApiKeys.SASL_AUTHENTICATE && error == Errors.NONE && state == State.HANDSHAKE) {
            state = State.AUTHENTICATING;
        }
    }

    /**
     * The proxy's own ApiVersions request asking the broker whether the connection is
     * authenticated: the client's, replayed with another correlation id, or a v0 one.
     */
    ByteBuf confirmationRequest(ByteBufAllocator alloc) {
        if (apiVersionsRequest != null) {
            ByteBuf out = alloc.heapBuffer(apiVersionsRequest.length).writeBytes(apiVersionsRequest);
            out.setInt(4, CONFIRMATION_CORRELATION_ID);
            return out;
        }
        // header v1: api key, version 0, correlation id, null client id; v0 has no body
        return alloc.heapBuffer(10).writeShort(ApiKeys.API_VERSIONS.id).writeShort(0)
                .writeInt(CONFIRMATION_CORRELATION_ID).writeShort(-1);
    }

    /** The version of {@link #confirmationRequest}, to read its answer. */
    short confirmationVersion() {
        return apiVersionsRequest != null ? (short) ((apiVersionsRequest[2] << 8) | (apiVersionsRequest[3] & 0xff)) : 0;
    }

    /** The broker answered the confirmation with {@code error}: true when the connection is authenticated. */
    boolean confirmed(Errors error) {
        if (error == Errors.NONE) {
            state = State.AUTHENTICATED;
            apiVersionsRequest = null;
            return true;
        }
        return false;
    }
}
