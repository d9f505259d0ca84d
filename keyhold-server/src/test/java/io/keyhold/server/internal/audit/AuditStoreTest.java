package io.keyhold.server.internal.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.kms.audit.AuditEvent;
import io.keyhold.kms.audit.AuditEventType;
import io.keyhold.server.internal.db.Database;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.iam.Accounts;
import io.keyhold.server.internal.keys.ExistingKeyIdentities;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durable store on a real (H2) database with the server's schema: events are written by its own
 * thread, find their organization from the cluster or the KMS key they name, are counted, cut to the
 * columns' widths, and expire with the retention; what can not be written is counted as dropped.
 */
class AuditStoreTest {
    private static final String PROCESS = "server@test:1";

    @TempDir
    Path dataDir;
    private Database db;
    private Sql sql;
    private SimpleMeterRegistry metrics;
    private AuditStore store;
    private String env;

    @BeforeEach
    void open() throws Exception {
        db = Database.open(null, null, null, dataDir, 4, new ExistingKeyIdentities());
        sql = new Sql(db);
        metrics = new SimpleMeterRegistry();
        store = new AuditStore(sql, metrics);
        long now = System.currentTimeMillis();
        try (Connection c = db.connection()) {
            Accounts.insertOrganization(c, "org-a", "A", now);
            Accounts.insertOrganization(c, "org-b", "B", now);
            env = Accounts.insertEnvironment(c, "org-a", "default", now);
        }
        sql.update("INSERT INTO clusters (id, seq, org_id, environment_id, display_name, availability, cloud, region, config_json, phase, "
                + "created_at, updated_at) VALUES ('lkc-a', 1, 'org-a', ?, 'a', 'SINGLE_ZONE', 'LOCAL', 'local', '{}', 'PROVISIONED', ?, ?)",
                env, now, now);
        sql.update("INSERT INTO byok_keys (id, seq, org_id, display_name, kind, provider, key_ident, key_json, validation_phase, "
                + "validation_since, validation_message, created_at, updated_at, kms_ref) VALUES ('cck-b', 1, 'org-b', '', 'LocalKey', "
                + "'Local', 'k', '{}', 'VALID', ?, '', ?, ?, 'org-b/k')", now, now, now);
    }

    @AfterEach
    void close() {
        store.close();
        db.close();
    }

    @Test
    void eventsFindTheirOrganizationAndKeyObjectAndAreCountedAndExpire() throws Exception {
        Instant old = Instant.now().minus(Duration.ofDays(401));
        store.record(call("org-b/k", null).build()); // a KMS call names the reference: key object and organization found
        store.record(call("keyhold-auto-x", "lkc-a").build()); // an automatic key: the cluster tells the organization
        store.record(AuditEvent.of(AuditEventType.API_KEY_CREATED, PROCESS).organization("org-a").principal("sa-1")
                .message("x".repeat(5000)).time(old).build());
        store.record(call("arn:aws:kms:us-west-2:1:key/unknown", null).build()); // nobody's: the server's own
        awaitWritten(4);

        AuditQuery q = new AuditQuery(sql);
        AuditQuery.Filter all = new AuditQuery.Filter(null, null, null, null, null, null);
        List<AuditQuery.Row> b = q.list("org-b", all, 0, 10);
        assertThat(b).singleElement().satisfies(r -> {
            assertThat(r.keyId()).isEqualTo("cck-b");
            assertThat(r.kmsKey()).isEqualTo("org-b/k");
            assertThat(r.outcome()).isEqualTo("ok");
            assertThat(r.latencyMillis()).isEqualTo(7);
        });
        assertThat(q.list("org-b", new AuditQuery.Filter("cck-b", null, null, null, null, null), 0, 10)).hasSize(1);
        assertThat(q.list("org-b", new AuditQuery.Filter("org-b/k", null, null, null, null, null), 0, 10)).hasSize(1);
        List<AuditQuery.Row> a = q.list("org-a", all, 0, 10);
        assertThat(a).extracting(AuditQuery.Row::type).containsExactly("KMS_CALL", "API_KEY_CREATED"); // newest first
        assertThat(a.get(0).cluster()).isEqualTo("lkc-a");
        assertThat(a.get(1).message()).hasSize(1024);
        assertThat(sql.count("SELECT COUNT(*) FROM audit_events WHERE org_id IS NULL")).isEqualTo(1);
        assertThat(metrics.counter("keyhold.audit.events").count()).isEqualTo(4);

        assertThat(store.deleteOlderThan(Instant.now().minus(Duration.ofDays(400)).toEpochMilli())).isEqualTo(1);
        assertThat(q.count("org-a", all)).isEqualTo(1);
    }

    @Test
    void whatIsRecordedAfterCloseIsCountedAsDropped() {
        store.close();
        store.record(call("org-b/k", null).build());
        assertThat(metrics.counter("keyhold.audit.dropped").count()).isEqualTo(1);
        assertThat(sql.count("SELECT COUNT(*) FROM audit_events")).isZero();
    }

    private static AuditEvent.Builder call(String ref, String cluster) {
        return AuditEvent.of(AuditEventType.KMS_CALL, PROCESS).provider("local").key(ref).cluster(cluster).operation("generate")
                .outcome("ok").latencyMillis(7).keyVersion("1");
    }

    private void awaitWritten(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (metrics.counter("keyhold.audit.events").count() < n && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(metrics.counter("keyhold.audit.events").count()).isEqualTo(n);
    }
}
