package io.keyhold.kms.kmip.pykmip;

import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.kmip.internal.KmipClient;
import io.keyhold.kms.kmip.internal.ServerSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real KMIP server for tests: Debian's {@code pykmip-server} (python3-pykmip 0.10), started on a
 * free 127.0.0.1 port with a configuration, certificates ({@link TestCertificates}) and SQLite
 * database in a directory of the test, requiring client certificates (mutual TLS; the client's CN is
 * its KMIP user). {@link #close()} kills it, and so does the JVM's exit.
 */
public final class PyKmipServer implements AutoCloseable {
    /** The KMIP user Keyhold connects as (its client certificate's CN). */
    public static final String KEYHOLD_USER = "keyhold";
    private static final Path EXECUTABLE = Path.of("/usr/bin/pykmip-server");

    private final Path dir;
    private final TestCertificates pki;
    private final int port;
    private final Process process;
    private final Thread killer;

    private PyKmipServer(Path dir, TestCertificates pki, int port, Process process) {
        this.dir = dir;
        this.pki = pki;
        this.port = port;
        this.process = process;
        this.killer = new Thread(() -> killTree(process.toHandle()), "pykmip-server-killer");
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Starts a server with its files in {@code dir} and waits until it accepts connections. */
    public static PyKmipServer start(Path dir) {
        try {
            Files.createDirectories(dir.resolve("policies"));
            TestCertificates pki = TestCertificates.create(dir);
            pki.client(KEYHOLD_USER);
            int port = freePort();
            Path config = dir.resolve("server.conf");
            Files.writeString(config, String.join("\n",
                    "[server]",
                    "hostname=127.0.0.1",
                    "port=" + port,
                    "certificate_path=" + pki.cert("server"),
                    "key_path=" + pki.key("server"),
                    "ca_path=" + pki.ca(),
                    "auth_suite=TLS1.2",
                    "policy_path=" + dir.resolve("policies"),
                    "enable_tls_client_auth=True",
                    "logging_level=INFO",
                    "database_path=" + database(dir),
                    ""));
            Process process = new ProcessBuilder(EXECUTABLE.toString(), "-f", config.toString(), "-l", dir.resolve("server.log").toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("server.out").toFile()).start();
            PyKmipServer server = new PyKmipServer(dir, pki, port, process);
            server.awaitListening();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path database(Path dir) {
        return dir.resolve("pykmip.db");
    }

    public int port() {
        return port;
    }

    public Path dir() {
        return dir;
    }

    /** The provider settings of this server under the name {@code server}, connecting as {@code user}. */
    public Map<String, String> settings(String server, String user) {
        pki.client(user);
        return Map.of(server + ".address", "127.0.0.1:" + port,
                server + ".client-cert", pki.cert(user).toString(),
                server + ".client-key", pki.key(user).toString(),
                server + ".ca", pki.ca().toString());
    }

    public KmsConfig config(String server) {
        return KmsConfig.of(settings(server, KEYHOLD_USER));
    }

    /** A KMIP client of this server as {@code user}, for admin operations. */
    public KmipClient client(String user) {
        return new KmipClient(ServerSettings.read("admin", KmsConfig.of(settings("admin", user))));
    }

    /** Waits until the server's port accepts TCP connections (it binds once its TLS setup is done). */
    private void awaitListening() {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("pykmip-server exited with " + process.exitValue() + ": " + output());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return;
            } catch (IOException notYet) {
                sleep(100);
            }
        }
        close();
        throw new IllegalStateException("pykmip-server did not listen within 60 s: " + output());
    }

    private String output() {
        try {
            return Files.readString(dir.resolve("server.out"));
        } catch (IOException e) {
            return "(no output)";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops the server and every process it started: pykmip-server runs a multiprocessing manager
     * in a child process, which would outlive its parent if only the parent were killed.
     */
    @Override
    public void close() {
        java.util.List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        children.forEach(ProcessHandle::destroyForcibly);
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    private static void killTree(ProcessHandle root) {
        java.util.List<ProcessHandle> children = root.descendants().toList();
        root.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
    }
}
