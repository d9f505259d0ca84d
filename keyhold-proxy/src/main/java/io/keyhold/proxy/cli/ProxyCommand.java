package io.keyhold.proxy.cli;

import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.ResilientKms;
import io.keyhold.kms.RetryPolicy;
import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.StandaloneConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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

    @Override
    public Integer call() throws Exception {
        StandaloneConfig cfg = StandaloneConfig.load(config);
        List<AutoCloseable> open = new ArrayList<>();
        try {
            for (StandaloneConfig.Cluster c : cfg.clusters()) {
                Kms kms = new ResilientKms(KmsProviders.require(c.kmsProvider()).open(c.kmsSettings()), RetryPolicy.DEFAULT);
                open.add(kms);
                kms.checkAccess(c.proxy().kekId());
                KeyholdProxy proxy = KeyholdProxy.start(c.proxy(), kms);
                open.add(0, proxy);
                System.out.println("cluster " + c.proxy().clusterId() + ": bootstrap " + proxy.bootstrapServers()
                        + " -> " + String.join(",", c.proxy().upstreamBootstrap()));
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
        }
    }

    /** Stops a running {@link #call()} (tests, embedding). */
    public void stop() {
        stop.countDown();
    }
}
