package io.keyhold.bench;

import io.keyhold.kms.AuditedKms;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.kms.local.LocalKmsOptions;
import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.ProxyConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The encrypting proxy in its own JVM (so its CPU time can be read from /proc), configured as a
 * standalone proxy is by default: record DEKs derived from cluster keys, which a local KMS (in a
 * temporary directory) wraps. Every call that reaches the KMS is counted by the same
 * {@link AuditedKms} that writes the audit trail. Reads commands from standard input, one a line:
 * {@code kms} prints {@code KMS <calls so far>}; end of input stops the proxy.
 */
public final class BenchProxy {
    private BenchProxy() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("keyhold-bench-kms");
        AtomicLong kmsCalls = new AtomicLong();
        try (LocalKms local = LocalKms.open(LocalKmsOptions.of(dir, null))) {
            local.create("bench-kek");
            AuditedKms kms = new AuditedKms(local, e -> {
                if (e.type() == AuditEventType.KMS_CALL) {
                    kmsCalls.incrementAndGet();
                }
            }, "bench-proxy");
            ProxyConfig config = ProxyConfig.builder("bench", List.of(args[0]), "bench-kek")
                    .clusterKeys(ProxyConfig.ClusterKeys.DEFAULT).build();
            try (KeyholdProxy proxy = KeyholdProxy.start(config, kms, Math.max(1, Runtime.getRuntime().availableProcessors()))) {
                System.out.println("PROXY " + proxy.bootstrapServers());
                System.out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.trim().equals("kms")) {
                        System.out.println("KMS " + kmsCalls.get());
                        System.out.flush();
                    }
                }
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
