package io.keyhold.proxy;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * A Kafka connection spoken by hand, for requests no well-behaved client sends: a Produce before
 * SASL authentication, a frame announced and never sent. Requests and responses use Kafka's own
 * message classes.
 */
final class RawKafka implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    private RawKafka(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(socket.getInputStream());
    }

    static RawKafka connect(InetSocketAddress to) throws IOException {
        Socket s = new Socket(to.getHostString(), to.getPort());
        s.setSoTimeout(10_000);
        return new RawKafka(s);
    }

    /** The bytes of {@code request} at {@code version} with its header and size prefix. */
    static byte[] frame(AbstractRequest.Builder<?> request, short version, int correlationId) {
        AbstractRequest r = request.build(version);
        ByteBuffer b = r.serializeWithHeader(new RequestHeader(r.apiKey(), version, "raw-test", correlationId));
        ByteBuffer framed = ByteBuffer.allocate(4 + b.remaining()).putInt(b.remaining()).put(b);
        return framed.array();
    }

    void send(AbstractRequest.Builder<?> request, short version, int correlationId) throws IOException {
        sendRaw(frame(request, version, correlationId));
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next response, which must answer {@code correlationId}. */
    AbstractResponse receive(ApiKeys api, short version, int correlationId) throws IOException {
        byte[] frame = new byte[in.readInt()];
        in.readFully(frame);
        ByteBuffer b = ByteBuffer.wrap(frame);
        ResponseHeader header = ResponseHeader.parse(b, api.responseHeaderVersion(version));
        if (header.correlationId() != correlationId) {
            throw new IOException("response to " + header.correlationId() + ", expected " + correlationId);
        }
        return AbstractResponse.parseResponse(api, new org.apache.kafka.common.protocol.ByteBufferAccessor(b), version);
    }

    /** Sends {@code request} and returns its response. */
    AbstractResponse exchange(AbstractRequest.Builder<?> request, short version, int correlationId) throws IOException {
        send(request, version, correlationId);
        return receive(request.apiKey(), version, correlationId);
    }

    /** Whether the peer closes the connection, writing nothing more, within the socket timeout. */
    boolean closedByPeerWithoutAnswer() throws IOException {
        try {
            return in.read() == -1;
        } catch (EOFException | SocketException e) {
            return true; // reset
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    void timeout(int millis) throws SocketException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
