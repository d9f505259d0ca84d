package io.keyhold.cli.internal;

import io.keyhold.kms.local.LocalKms;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code keyhold server}: runs Keyhold on its embedded defaults. Today that is the embedded local
 * KMS on the data directory; the control plane (REST API) and clusters join it as they land.
 */
@Command(name = "server", mixinStandardHelpOptions = true, description = "Run Keyhold on its embedded defaults until stopped (Ctrl-C / SIGTERM).")
public final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    LocalKmsAccess store;

    @Override
    public Integer call() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        try (LocalKms kms = store.open()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "keyhold-shutdown"));
            spec.commandLine().getOut().printf("Keyhold %s running on data directory %s%n", VersionProvider.version(), store.dataDir().toAbsolutePath());
            spec.commandLine().getOut().printf("Local KMS: %d key(s), protected by %s. Press Ctrl-C to stop.%n", kms.list().size(), kms.protection());
            spec.commandLine().getOut().flush();
            stop.await();
        }
        return 0;
    }
}
