package io.keyhold.kms.kmip.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One mutually authenticated TLS connection to a KMIP server, carrying one request at a time. The
 * server's certificate must chain to the configured CA and name the configured host (checked the
 * way HTTPS checks it). Not thread-safe: {@link KmipClient} lends it to one call at a time.
 */
final class KmipConnection implements AutoCloseable {
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;

    private KmipConnection(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static KmipConnection open(ServerSettings server) throws IOException {
        SSLSocket socket = (SSLSocket) server.tls().getSocketFactory().createSocket();
        try {
            int timeout = (int) server.timeout().toMillis();
            socket.connect(new InetSocketAddress(server.host(), server.port()), timeout);
            socket.setSoTimeout(timeout);
            socket.setTcpNoDelay(true);
            SSLParameters params = socket.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
            socket.setSSLParameters(params);
            socket.startHandshake();
            return new KmipConnection(socket);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** Sends one request message and reads the response message. */
    byte[] call(byte[] request) throws IOException {
        out.write(request);
        out.flush();
        return TtlvCodec.readMessage(in);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do: the connection is gone either way
        }
    }
}
