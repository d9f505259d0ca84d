package io.keyhold.kms.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsRegistry;
import io.keyhold.kms.RetryPolicy;
import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.kms.audit.ProcessName;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every call through a {@link KmsRegistry} connection is one KMS_CALL event, with the local KMS as
 * the real provider: operation, key, version, cluster of the context, outcome and latency, and never
 * the bytes of a DEK or EDEK.
 */
class AuditedKmsTest {
    @TempDir
    Path dir;

    private final List<AuditEvent> events = new CopyOnWriteArrayList<>();

    @Test
    void everyCallOfARegistryConnectionIsAnEventWithItsOutcomeVersionClusterAndLatency() throws Exception {
        Path passphrase = dir.resolve("passphrase");
        java.nio.file.Files.writeString(passphrase, "audited kms test passphrase");
        Map<String, String> settings = Map.of("data-dir", dir.toString(), "passphrase-file", passphrase.toString());
        String process = ProcessName.of("proxy");
        try (KmsRegistry registry = new KmsRegistry(kind -> KmsConfig.of(settings), RetryPolicy.DEFAULT, events::add, process)) {
            {
                Kms kms = registry.get("local");
                LocalKms store = registry.unwrapped("local", LocalKms.class); // management calls bypass the trail
                store.create("orders");
                EncryptionContext ctx = EncryptionContext.forTopic("lkc-audited", "payments");
                GeneratedDek g = KmsCalls.await(kms.generate("orders", ctx));
                byte[] dek = g.dek().withKeyBytes(b -> b.clone());
                try (DataKey back = KmsCalls.await(kms.unwrap(g.kek(), g.edek(), ctx))) {
                    byte[] unwrapped = back.withKeyBytes(b -> b.clone());
                    assertThat(unwrapped).isEqualTo(dek);
                }
                KmsCalls.await(kms.rotate("orders"));
                assertThat(KmsCalls.await(kms.describe("orders")).currentVersion()).isEqualTo("2");
                assertThatThrownBy(() -> KmsCalls.await(kms.unwrap(g.kek(), g.edek(), EncryptionContext.forTopic("lkc-other", "payments"))))
                        .isInstanceOf(KmsDeniedException.class);
                store.disable("orders");
                assertThatThrownBy(() -> KmsCalls.await(kms.generate("orders", ctx))).isInstanceOf(KmsDeniedException.class);
                assertThatThrownBy(() -> KmsCalls.await(kms.rotate("orders"))).isInstanceOf(KmsDeniedException.class);

                awaitEvents(7);
                assertThat(events).extracting(AuditEvent::operation)
                        .containsExactly("generate", "unwrap", "rotate", "describe", "unwrap", "generate", "rotate");
                assertThat(events).extracting(AuditEvent::outcome)
                        .containsExactly("ok", "ok", "ok", "ok", "invalid-ciphertext", "denied", "denied");
                assertThat(events).extracting(AuditEvent::keyVersion).containsExactly("1", "1", "2", "2", "1", null, null);
                assertThat(events).extracting(AuditEvent::cluster)
                        .containsExactly("lkc-audited", "lkc-audited", null, null, "lkc-other", "lkc-audited", null);
                assertThat(events).allSatisfy(e -> {
                    assertThat(e.type()).isEqualTo(AuditEventType.KMS_CALL);
                    assertThat(e.provider()).isEqualTo("local");
                    assertThat(e.key()).isEqualTo("orders");
                    assertThat(e.process()).isEqualTo(process).startsWith("proxy@").endsWith(":" + ProcessHandle.current().pid());
                    assertThat(e.latencyMillis()).isGreaterThanOrEqualTo(0);
                    String text = e.toString();
                    assertThat(text).doesNotContain(HexFormat.of().formatHex(dek)).doesNotContain(HexFormat.of().formatHex(g.edek()));
                });
                assertThat(events.get(5).message()).startsWith("DISABLED");
                java.util.Arrays.fill(dek, (byte) 0);
                g.dek().destroy();
            }
        }
    }

    private void awaitEvents(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (events.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(events).hasSize(n);
    }
}
