package io.keyhold.embedded.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * Asks a cluster endpoint what a Kafka client's first two requests ask: ApiVersions, then Metadata.
 * The endpoint serves when both come back through it from a broker and the metadata lists at least
 * one live broker, which is what a produce needs (the proxy answers neither itself, and a KRaft
 * broker lists only brokers the controller has unfenced). Blocking, one short connection, no threads.
 *
 * <p>Brokers that require SASL close the connection on an unauthenticated Metadata request (only
 * ApiVersions is allowed before authentication); the probe has no credentials (clients' SASL passes
 * through the proxy), so for those a broker's ApiVersions answer is the evidence it can get.
 */
public final class EndpointProbe {
    private static final String CLIENT_ID = "keyhold-readiness";
    /** Understood by every Kafka since 2.4; the proxy shrinks the answer to the versions it handles. */
    private static final short API_VERSIONS_VERSION = 3;

    private final int timeoutMillis;
    private final SSLSocketFactory tls;

    public EndpointProbe(int timeoutMillis) {
        this(timeoutMillis, null);
    }

    /** @param tls for endpoints that serve TLS (see {@link ProbeTls}), or null for plaintext ones */
    public EndpointProbe(int timeoutMillis, SSLSocketFactory tls) {
        this.timeoutMillis = timeoutMillis;
        this.tls = tls;
    }

    /** Whether {@code endpoint} serves Kafka clients now; never throws. */
    public boolean serves(InetSocketAddress endpoint) {
        try (Socket plain = new Socket()) {
            plain.connect(endpoint, timeoutMillis);
            plain.setSoTimeout(timeoutMillis);
            plain.setTcpNoDelay(true);
            Socket socket = plain;
            if (tls != null) {
                SSLSocket ssl = (SSLSocket) tls.createSocket(plain, endpoint.getHostString(), endpoint.getPort(), true);
                ssl.startHandshake();
                socket = ssl;
            }
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            ApiVersionsResponse versions = (ApiVersionsResponse) exchange(out, in, 1,
                    new ApiVersionsRequest.Builder().build(API_VERSIONS_VERSION));
            if (versions.data().errorCode() != Errors.NONE.code()) {
                return false;
            }
            ApiVersionsResponseData.ApiVersion metadata = versions.apiVersion(ApiKeys.METADATA.id);
            if (metadata == null) {
                return false;
            }
            short version = (short) Math.min(metadata.maxVersion(), ApiKeys.METADATA.latestVersion());
            MetadataResponse answer;
            try {
                answer = (MetadataResponse) exchange(out, in, 2, new MetadataRequest.Builder(
                        new MetadataRequestData().setTopics(List.of()).setAllowAutoTopicCreation(false)).build(version));
            } catch (EOFException e) {
                return true; // a broker answered ApiVersions and wants authentication first (see above)
            }
            return !answer.brokers().isEmpty();
        } catch (IOException | RuntimeException e) {
            return false; // nothing listens, the proxy cannot reach a broker, or no answer in time
        }
    }

    private static AbstractResponse exchange(DataOutputStream out, DataInputStream in, int correlationId, AbstractRequest request)
            throws IOException {
        RequestHeader header = new RequestHeader(request.apiKey(), request.version(), CLIENT_ID, correlationId);
        ByteBuffer frame = request.serializeWithHeader(header);
        out.writeInt(frame.remaining());
        out.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
        out.flush();
        int size = in.readInt();
        if (size < 4) {
            // No response is shorter than its correlation id. The proxy flushes an empty frame just
            // before it closes a connection whose broker side closed: that is the end, not an answer.
            throw new EOFException("the endpoint closed the connection");
        }
        if (size > 1 << 20) {
            throw new IOException("implausible response size " + size);
        }
        byte[] body = new byte[size];
        in.readFully(body);
        return AbstractResponse.parseResponse(ByteBuffer.wrap(body), header);
    }
}
