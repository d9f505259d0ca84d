package io.keyhold.bench;

import io.keyhold.proxy.KeyholdProxy;
import io.keyhold.proxy.ProxyConfig;
import java.util.List;

/** The encrypting proxy in its own JVM (so its CPU time can be read from /proc); stops when stdin closes. */
public final class BenchProxy {
    private BenchProxy() {
    }

    public static void main(String[] args) throws Exception {
        BenchKms kms = new BenchKms();
        try (KeyholdProxy proxy = KeyholdProxy.start(ProxyConfig.builder("bench", List.of(args[0]), "bench-kek").build(),
                BenchKms.KIND, kms, kms, Math.max(1, Runtime.getRuntime().availableProcessors()))) {
            System.out.println("PROXY " + proxy.bootstrapServers());
            System.out.flush();
            while (System.in.read() >= 0) {
                // run until the parent closes our standard input
            }
        }
    }
}
