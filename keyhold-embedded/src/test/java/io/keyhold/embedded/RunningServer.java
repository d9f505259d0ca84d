package io.keyhold.embedded;

import io.keyhold.server.ClusterRuntime;
import io.keyhold.server.KeyholdServer;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.ServerConfigLoader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A running {@code keyhold server} with its embedded cluster runtime, wired as ServerCommand wires
 * them, on 127.0.0.1 and a free HTTP port, for the end-to-end tests. Closing it stops the server
 * first, then the runtime with its brokers and proxies.
 */
final class RunningServer implements AutoCloseable {
    /** The health interval the tests run with: short, so that a lock takes seconds. */
    static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);

    private final KeyholdServer server;
    private final ClusterRuntime runtime;

    private RunningServer(KeyholdServer server, ClusterRuntime runtime) {
        this.server = server;
        this.runtime = runtime;
    }

    /**
     * Starts a server on {@code dataDir} with the tests' intervals, {@code moreFlags} on top, the
     * environment {@code env} and the YAML file {@code config} (or none) as ServerConfigLoader reads
     * them; its runtime sees {@code runtimeEnv} as its environment (the tests' port ranges).
     */
    static RunningServer start(String apiKey, String apiSecret, Path dataDir, Map<String, String> moreFlags, Map<String, String> env,
            Path config, Map<String, String> runtimeEnv) throws Exception {
        Map<String, String> flags = new HashMap<>(Map.of("data-dir", dataDir.toString(), "http-port", "0", "bind", "127.0.0.1",
                "validation-interval", "100ms", "health-interval", HEALTH_INTERVAL.toMillis() + "ms"));
        flags.putAll(moreFlags);
        ServerConfig.Builder builder = ServerConfigLoader.load(flags, env, config);
        builder.kms(builder.build().kms());
        ClusterRuntime runtime = new EmbeddedRuntimeProvider().create(builder.build(), runtimeEnv);
        try {
            KeyholdServer server = KeyholdServer.start(builder.clusterRuntime(runtime).bootstrapCredentials(apiKey, apiSecret)
                    .printBootstrapSecret(false).build());
            return new RunningServer(server, runtime);
        } catch (Exception | Error e) {
            ((AutoCloseable) runtime).close();
            throw e;
        }
    }

    /** As {@link #start(String, String, Path, Map, Map, Path, Map)}, the runtime seeing this process's environment. */
    static RunningServer start(String apiKey, String apiSecret, Path dataDir, Map<String, String> moreFlags, Map<String, String> env,
            Path config) throws Exception {
        return start(apiKey, apiSecret, dataDir, moreFlags, env, config, System.getenv());
    }

    /**
     * The flag that gives the server's local KMS its passphrase: {@code passphrase} written to
     * {@code passphrase.txt} in {@code dir}, as an operator keeps it.
     */
    static Map<String, String> localKmsPassphrase(Path dir, String passphrase) throws IOException {
        Path file = Files.writeString(dir.resolve("passphrase.txt"), passphrase);
        return Map.of("kms.local.passphrase-file", file.toString());
    }

    /**
     * A runtime environment whose clusters take their ports above a port that was free just now
     * (busy ones are skipped), instead of the default range, which another test may hold.
     */
    static Map<String, String> freePortRange() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = socket.getLocalPort();
            int start = port > 60000 ? 40000 : port + 1;
            return Map.of("KEYHOLD_CLUSTER_PORTS", start + "-" + (start + 40));
        }
    }

    KeyholdServer server() {
        return server;
    }

    /** The embedded cluster runtime, for tests that drive it below the API (a lock without the monitor). */
    ClusterRuntime runtime() {
        return runtime;
    }

    String url() {
        return server.url();
    }

    @Override
    public void close() throws Exception {
        try {
            server.close();
        } finally {
            ((AutoCloseable) runtime).close();
        }
    }
}
