package io.keyhold.server;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code keyhold server}: runs the control plane until SIGTERM / Ctrl-C, then shuts down cleanly.
 * Every option can also come from a {@code KEYHOLD_*} environment variable or the {@code --config} YAML file.
 */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run the Keyhold control plane (REST API, database, background jobs) until stopped.",
                "Every option is also read from KEYHOLD_<OPTION> (e.g. KEYHOLD_HTTP_PORT) and from the --config YAML file."})
public final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Data directory (default: ./data).")
    String dataDir;
    @Option(names = "--http-port", paramLabel = "PORT", description = "HTTP port (default: 8090; 0 = any free port).")
    String httpPort;
    @Option(names = "--bind", paramLabel = "ADDR", description = "Address to listen on (default: 127.0.0.1).")
    String bind;
    @Option(names = "--config", paramLabel = "FILE", description = "YAML file with options (keys are the option names).")
    Path config;
    @Option(names = "--public-url", paramLabel = "URL", description = "Base URL for links in responses (default: http(s)://BIND:PORT).")
    String publicUrl;
    @Option(names = "--database-url", paramLabel = "JDBC_URL", description = "jdbc:postgresql://... (default: embedded H2 in the data dir).")
    String databaseUrl;
    @Option(names = "--database-user", paramLabel = "USER", description = "Database user.")
    String databaseUser;
    @Option(names = "--database-password-file", paramLabel = "FILE",
            description = "File holding the database password (or set KEYHOLD_DATABASE_PASSWORD); never given on the command line.")
    Path databasePasswordFile;
    @Option(names = "--local-kms-passphrase-file", paramLabel = "FILE",
            description = "File holding the local KMS passphrase (else $KEYHOLD_LOCAL_KMS_PASSPHRASE, else a generated key file).")
    String localKmsPassphraseFile;
    @Option(names = "--release-hold", paramLabel = "DURATION", description = "Key release hold after a cluster is deleted (default: 5d).")
    String releaseHold;
    @Option(names = "--audit-retention", paramLabel = "DURATION", description = "How long audit events are kept (default: 400d).")
    String auditRetention;
    @Option(names = "--local-key-rotation", paramLabel = "DURATION|off",
            description = "How often local KMS keys get a new version (default: 31d; off: only on request).")
    String localKeyRotation;
    @Option(names = "--max-keys-per-org", paramLabel = "N", description = "Quota byok.max_keys.per_org (default: 50).")
    String maxKeys;
    @Option(names = "--rate-limit", paramLabel = "N", description = "Requests per API key per window (default: 6000).")
    String rateLimit;
    @Option(names = "--rate-limit-window", paramLabel = "DURATION", description = "Rate-limit window (default: 1m).")
    String rateLimitWindow;
    @Option(names = "--tls-cert-file", paramLabel = "FILE",
            description = "PEM certificate (chain) to serve the API over HTTPS with; re-read when the file changes.")
    String tlsCertFile;
    @Option(names = "--tls-key-file", paramLabel = "FILE", description = "PEM private key of --tls-cert-file (unencrypted, owner-only).")
    String tlsKeyFile;
    @Option(names = "--cluster-tls-certificate", paramLabel = "FILE",
            description = "PEM certificate (chain) every cluster endpoint serves TLS with (default: no TLS).")
    String clusterTlsCertificate;
    @Option(names = "--cluster-tls-key", paramLabel = "FILE", description = "PEM private key of --cluster-tls-certificate.")
    String clusterTlsKey;
    @Option(names = "--cluster-tls-client-auth", paramLabel = "MODE",
            description = "none (default), requested or required: whether Kafka clients must present a certificate.")
    String clusterTlsClientAuth;
    @Option(names = "--cluster-tls-trust", paramLabel = "FILE", description = "PEM CA file client certificates must chain to.")
    String clusterTlsTrust;
    @Option(names = "--insecure-http",
            description = "Allow plain HTTP on a non-loopback --bind address (only behind a TLS proxy on a network you trust).")
    boolean insecureHttp;

    @Override
    public Integer call() throws Exception {
        Map<String, String> flags = new HashMap<>();
        flags.put("data-dir", dataDir);
        flags.put("http-port", httpPort);
        flags.put("bind", bind);
        flags.put("public-url", publicUrl);
        flags.put("database-url", databaseUrl);
        flags.put("database-user", databaseUser);
        if (databasePasswordFile != null) {
            flags.put("database-password", java.nio.file.Files.readString(databasePasswordFile).strip());
        }
        flags.put("kms.local.passphrase-file", localKmsPassphraseFile);
        flags.put("release-hold", releaseHold);
        flags.put("max-keys-per-org", maxKeys);
        flags.put("audit-retention", auditRetention);
        flags.put("local-key-rotation", localKeyRotation);
        flags.put("rate-limit", rateLimit);
        flags.put("rate-limit-window", rateLimitWindow);
        flags.put("tls-cert-file", tlsCertFile);
        flags.put("tls-key-file", tlsKeyFile);
        flags.put("insecure-http", insecureHttp ? "true" : null);
        flags.put("cluster-tls.certificate", clusterTlsCertificate);
        flags.put("cluster-tls.key", clusterTlsKey);
        flags.put("cluster-tls.client-auth", clusterTlsClientAuth);
        flags.put("cluster-tls.trust", clusterTlsTrust);
        ServerConfig.Builder builder = ServerConfigLoader.load(flags, System.getenv(), config);
        // One set of KMS connections for the whole process: the control plane and every cluster's proxy.
        builder.kms(builder.build().kms());
        // A data plane on the class path (keyhold-embedded) runs the clusters; without one they stay records.
        ClusterRuntime runtime = ClusterRuntimeProvider.installed().map(p -> p.create(builder.build())).orElse(ClusterRuntime.NONE);
        ServerConfig cfg = builder.clusterRuntime(runtime).build();
        CountDownLatch stopped = new CountDownLatch(1);
        KeyholdServer server = KeyholdServer.start(cfg);
        Thread hook = new Thread(() -> {
            server.close();
            if (runtime instanceof AutoCloseable) {
                try {
                    ((AutoCloseable) runtime).close();
                } catch (Exception e) {
                    spec.commandLine().getErr().println("error while stopping clusters: " + e.getMessage());
                }
            }
            stopped.countDown();
        }, "keyhold-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        spec.commandLine().getOut().printf("Keyhold control plane listening on %s (data directory %s). Press Ctrl-C to stop.%n",
                server.url(), cfg.dataDir().toAbsolutePath());
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    /** Runs {@code keyhold server} without the CLI module, e.g. {@code java -cp ... io.keyhold.server.ServerCommand}. */
    public static void main(String[] args) {
        System.exit(new picocli.CommandLine(new ServerCommand()).execute(args));
    }
}
