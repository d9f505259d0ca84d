package io.keyhold.proxy.cli;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.RetryPolicy;
import io.keyhold.kms.audit.AuditSink;
import io.keyhold.kms.audit.ProcessName;
import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.ProxyMetrics;
import io.keyhold.proxy.StandaloneConfig;
import io.keyhold.proxy.internal.AuditFile;
import io.keyhold.proxy.internal.MetricsEndpoint;
import io.keyhold.proxy.internal.ProxyKeyWatch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code keyhold proxy --config proxy.yaml}: runs only the encrypting proxy, for one or more
 * clusters, until stopped (SIGINT/SIGTERM). Register with the root command as a subcommand.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "Run the encrypting Kafka proxy for the clusters in a config file, until stopped.")
public final class ProxyCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "proxy.yaml (see docs/PROXY.md)")
    Path config;

    private final CountDownLatch stop = new CountDownLatch(1);
    private final UnaryOperator<String> environment;
    private final AuditSink audit;

    public ProxyCommand() {
        this(System::getenv);
    }

    /** For embedding and tests: {@code environment} resolves {@code ${NAME}} and {@code metrics.token-env}. */
    public ProxyCommand(UnaryOperator<String> environment) {
        this(environment, AuditSink.NONE);
    }

    /**
     * @param audit where lock, unlock and outage events go, besides {@code audit.file} of the config
     *              ({@link AuditSink#NONE} for none); it must not block
     */
    public ProxyCommand(UnaryOperator<String> environment, AuditSink audit) {
        this.environment = environment;
        this.audit = audit;
    }

    @Override
    public Integer call() throws Exception {
        StandaloneConfig cfg = StandaloneConfig.load(config, environment);
        List<AutoCloseable> open = new ArrayList<>();
        List<ProxyMetrics> metrics = new ArrayList<>();
        // One KMS connection per distinct (provider, settings), shared by the clusters that name it.
        Map<List<Object>, Kms> connections = new HashMap<>();
        // The proxy's audit trail. It talks to no control plane, so the file is where its KMS calls are recorded.
        AuditFile file = cfg.auditFile() == null ? null : AuditFile.open(cfg.auditFile());
        try {
            // The file gets every KMS call and lifecycle event; the given sink (an embedding's) the lifecycle events too.
            AuditSink trail = file == null ? AuditSink.NONE : file;
            AuditSink given = audit;
            AuditSink events = file == null ? given : e -> {
                file.record(e);
                given.record(e);
            };
            System.out.println(file == null ? "audit trail: none (add 'audit: {file: PATH}' to " + config + " to record every KMS call)"
                    : "audit trail: " + cfg.auditFile());
            String process = ProcessName.of("proxy");
            for (StandaloneConfig.Cluster c : cfg.clusters()) {
                Kms kms = connections.computeIfAbsent(List.of(c.kmsProvider(), c.kmsSettings()), k -> {
                    Kms opened = KmsRegistry.wrap(KmsProviders.require(c.kmsProvider()).open(c.kmsSettings()), RetryPolicy.DEFAULT,
                            trail, process);
                    open.add(opened);
                    return opened;
                });
                KmsCalls.await(kms.checkAccess(c.proxy().kekId()));
                KeyholdProxy proxy = KeyholdProxy.start(c.proxy(), kms);
                open.add(0, proxy);
                // Closed before the proxy (the list closes front to back): no lock or unlock after a proxy stopped.
                open.add(0, ProxyKeyWatch.start(proxy, kms, cfg.healthInterval(), cfg.kmsUnavailableGrace(), events, process));
                metrics.add(proxy.metrics());
                System.out.println("cluster " + c.proxy().clusterId() + ": bootstrap " + proxy.bootstrapServers()
                        + " -> " + String.join(",", c.proxy().upstreamBootstrap()));
            }
            StandaloneConfig.Metrics m = cfg.metrics();
            if (m != null) {
                MetricsEndpoint endpoint = MetricsEndpoint.start(m.listen(), m.token(), m.tls(), metrics);
                open.add(0, endpoint);
                System.out.println("metrics: " + (m.tls() == null ? "http" : "https") + "://" + m.listen() + "/metrics"
                        + " (Authorization: Bearer $" + m.tokenEnv() + ")");
            }
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "keyhold-proxy-shutdown"));
            stop.await();
            return 0;
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("error while stopping: " + e.getMessage());
                }
            }
            if (file != null) {
                file.close(); // last: what the proxies did until they stopped is written
            }
        }
    }

    /** Stops a running {@link #call()} (tests, embedding). */
    public void stop() {
        stop.countDown();
    }
}
