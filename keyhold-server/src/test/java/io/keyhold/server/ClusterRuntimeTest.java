package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.server.support.Api;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The data-plane hook: the server hands clusters to a ClusterRuntime and shows what it reports. */
class ClusterRuntimeTest {
    @TempDir
    Path tmp;

    /** Records calls and reports PROVISIONED with an endpoint, as a real runtime would once brokers run. */
    static final class RecordingRuntime implements ClusterRuntime {
        final List<String> calls = new CopyOnWriteArrayList<>();
        /** What it runs: the clusters provisioned here, and one the server never heard of (another organization's, say). */
        final List<String> running = new CopyOnWriteArrayList<>(List.of("lkc-elsewhere"));
        /** The clusters whose endpoint serves (none until a test says so). */
        final Set<String> serving = ConcurrentHashMap.newKeySet();
        volatile StatusSink sink;

        @Override
        public void provision(Cluster cluster, StatusSink sink) {
            this.sink = sink;
            running.add(cluster.id());
            calls.add("provision " + cluster.id() + " " + (cluster.key() == null ? "automatic" : cluster.key().kmsKind() + ":"
                    + cluster.key().kmsKeyId()));
            sink.report(cluster.id(), ClusterPhase.PROVISIONED, null, "127.0.0.1:19092");
        }

        @Override
        public void deprovision(String clusterId) {
            calls.add("deprovision " + clusterId);
        }

        @Override
        public void writeMetrics(Appendable out, java.util.function.Predicate<String> include) throws java.io.IOException {
            out.append("# HELP test_cluster_up Test.\n# TYPE test_cluster_up gauge\n");
            for (String id : running) {
                if (include.test(id)) {
                    out.append("test_cluster_up{cluster=\"").append(id).append("\"} 1\n");
                }
            }
        }

        @Override
        public Set<String> notServing(Collection<String> clusterIds) {
            return clusterIds.stream().filter(id -> !serving.contains(id)).collect(Collectors.toSet());
        }

        @Override
        public void lock(String clusterId, String reason, StatusSink sink) {
            calls.add("lock " + clusterId);
            sink.report(clusterId, ClusterPhase.LOCKED, reason, null);
        }

        @Override
        public void unlock(String clusterId, StatusSink sink) {
            calls.add("unlock " + clusterId);
            sink.report(clusterId, ClusterPhase.PROVISIONED, null, null);
        }
    }

    @Test
    void runtimeReportsBecomeStatusPhaseAndEndpoint() throws Exception {
        RecordingRuntime runtime = new RecordingRuntime();
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp).httpPort(0)
                .bootstrapCredentials("RTKEY", "runtime-secret").clusterRuntime(runtime).printBootstrapSecret(false).build())) {
            Api api = new Api(server.url(), "RTKEY", "runtime-secret");
            assertThat(api.post("/keyhold/v1/local-kms/keys", "{\"name\":\"rt\"}").status()).isEqualTo(201);
            String key = api.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"rt\"}}").body().get("id").asText();
            for (int i = 0; i < 200 && !api.get("/byok/v1/keys/" + key).body().path("validation").path("phase").asText().equals("VALID"); i++) {
                Thread.sleep(50);
            }
            String env = server.bootstrapEnvironmentId();
            JsonNode c = api.post("/cmk/v2/clusters", ApiTestBase.clusterBody("rt", env, "LOCAL", "local", key)).body();
            String id = c.get("id").asText();
            assertThat(c.path("status").path("phase").asText()).isEqualTo("PROVISIONED");
            assertThat(c.path("spec").path("kafka_bootstrap_endpoint").asText()).isEqualTo("127.0.0.1:19092");
            // the runtime gets the local KMS store name: the key lives in the organization's part of the store
            assertThat(runtime.calls).containsExactly("provision " + id + " local:" + server.bootstrapOrganizationId() + "/rt");

            runtime.sink.report(id, ClusterPhase.LOCKED, "The key was disabled in its KMS.", null);
            JsonNode locked = api.get("/cmk/v2/clusters/" + id + "?environment=" + env).body();
            assertThat(locked.path("status").path("phase").asText()).isEqualTo("LOCKED");
            assertThat(locked.path("status").path("message").asText()).contains("disabled");
            assertThat(locked.path("spec").path("kafka_bootstrap_endpoint").asText()).isEqualTo("127.0.0.1:19092");

            assertThat(api.delete("/cmk/v2/clusters/" + id + "?environment=" + env).status()).isEqualTo(204);
            // deleting locks first (DEKs wiped, produce and fetch refused), and only then deprovisions
            assertThat(runtime.calls).containsExactly("provision " + id + " local:" + server.bootstrapOrganizationId() + "/rt",
                    "lock " + id, "deprovision " + id);
        }
    }

    @Test
    void theEndOfAReleaseHoldIsAuditedOnceAndFreesTheKey() throws Exception {
        RecordingRuntime runtime = new RecordingRuntime();
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp).httpPort(0)
                .bootstrapCredentials("RTKEY", "runtime-secret").clusterRuntime(runtime).printBootstrapSecret(false)
                .releaseHold(java.time.Duration.ofSeconds(2)).healthInterval(java.time.Duration.ofMillis(300)).build())) {
            List<io.keyhold.kms.audit.AuditEvent> audit = new CopyOnWriteArrayList<>();
            server.config().audit().subscribe(audit::add); // sees what the durable store gets
            Api api = new Api(server.url(), "RTKEY", "runtime-secret");
            assertThat(api.post("/keyhold/v1/local-kms/keys", "{\"name\":\"held\"}").status()).isEqualTo(201);
            String key = api.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"held\"}}").body().get("id").asText();
            for (int i = 0; i < 200 && !api.get("/byok/v1/keys/" + key).body().path("validation").path("phase").asText().equals("VALID"); i++) {
                Thread.sleep(50);
            }
            String env = server.bootstrapEnvironmentId();
            String id = api.post("/cmk/v2/clusters", ApiTestBase.clusterBody("held", env, "LOCAL", "local", key)).body().get("id").asText();
            assertThat(api.delete("/cmk/v2/clusters/" + id + "?environment=" + env).status()).isEqualTo(204);
            assertThat(api.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("IN_USE"); // held

            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
            while (audit.stream().noneMatch(e -> e.type() == io.keyhold.kms.audit.AuditEventType.KEY_RELEASED)
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            Thread.sleep(1000); // several more runs of the job: still one event
            assertThat(audit).filteredOn(e -> e.type() == io.keyhold.kms.audit.AuditEventType.KEY_RELEASED).singleElement()
                    .satisfies(e -> {
                        assertThat(e.key()).isEqualTo(key);
                        assertThat(e.organization()).isEqualTo(server.bootstrapOrganizationId());
                        assertThat(e.principal()).isEqualTo("system");
                    });
            assertThat(audit).extracting(io.keyhold.kms.audit.AuditEvent::type).containsSubsequence(
                    io.keyhold.kms.audit.AuditEventType.CLUSTER_LOCKED, io.keyhold.kms.audit.AuditEventType.DEK_PURGED,
                    io.keyhold.kms.audit.AuditEventType.CLUSTER_DELETED, io.keyhold.kms.audit.AuditEventType.KEY_RELEASED);
            assertThat(api.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("AVAILABLE");
            // a new cluster may use it again
            assertThat(api.post("/cmk/v2/clusters", ApiTestBase.clusterBody("again", env, "LOCAL", "local", key)).status()).isEqualTo(202);
        }
    }

    @Test
    void metricsShowTheRuntimesMetricsOfTheCallersOrganizationsClustersOnly() throws Exception {
        RecordingRuntime runtime = new RecordingRuntime();
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp).httpPort(0)
                .bootstrapCredentials("RTKEY", "runtime-secret").clusterRuntime(runtime).printBootstrapSecret(false).build())) {
            Api api = new Api(server.url(), "RTKEY", "runtime-secret");
            String env = server.bootstrapEnvironmentId();
            String id = api.post("/cmk/v2/clusters", ApiTestBase.clusterBody("m", env, "AWS", "us-east-1", null)).body().get("id").asText();

            Api.Res mine = api.get("/metrics");
            assertThat(mine.status()).isEqualTo(200);
            assertThat(mine.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
            assertThat(mine.raw().body()).contains("keyhold_http_requests_seconds_count")
                    .contains("test_cluster_up{cluster=\"" + id + "\"} 1\n").doesNotContain("lkc-elsewhere");

            // Another organization on the same server sees the server's meters, never this organization's clusters.
            Api.Res theirs = otherOrganizationsAdmin(api).get("/metrics");
            assertThat(theirs.status()).isEqualTo(200);
            assertThat(theirs.raw().body()).contains("keyhold_http_requests_seconds_count").doesNotContain(id)
                    .doesNotContain("test_cluster_up");
        }
    }

    @Test
    void readyzWaitsForEveryProvisionedClusterAndNamesItOnlyToCallersWhoMayReadIt() throws Exception {
        RecordingRuntime runtime = new RecordingRuntime();
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp).httpPort(0)
                .bootstrapCredentials("RTKEY", "runtime-secret").clusterRuntime(runtime).printBootstrapSecret(false).build())) {
            Api api = new Api(server.url(), "RTKEY", "runtime-secret");
            Api probe = api.anonymous();
            String env = server.bootstrapEnvironmentId();
            assertThat(probe.get("/readyz").raw().body()).isEqualTo("{\"status\":\"ready\"}");
            String id = api.post("/cmk/v2/clusters", ApiTestBase.clusterBody("orders", env, "AWS", "us-east-1", null)).body()
                    .get("id").asText();

            // PROVISIONED in the database, but the runtime says its endpoint does not serve (yet).
            Api.Res anonymous = probe.get("/readyz");
            assertThat(anonymous.status()).isEqualTo(503);
            assertThat(anonymous.raw().body()).isEqualTo("{\"status\":\"not_ready\"}");
            assertThat(anonymous.header("X-RateLimit-Limit")).isNull();
            Api.Res detailed = api.get("/readyz");
            assertThat(detailed.status()).isEqualTo(503);
            assertThat(detailed.header("X-RateLimit-Limit")).as("with credentials it is an ordinary call").isNotNull();
            assertThat(detailed.body().path("database").asText()).isEqualTo("ok");
            assertThat(detailed.body().path("clusters").path("provisioned").asInt()).isEqualTo(1);
            assertThat(detailed.body().path("clusters").path("serving").asInt()).isEqualTo(0);
            assertThat(detailed.body().path("clusters").path("not_serving").path(0).path("id").asText()).isEqualTo(id);
            assertThat(detailed.body().path("clusters").path("not_serving").path(0).path("display_name").asText()).isEqualTo("orders");
            assertThat(api.as("RTKEY", "wrong-secret").get("/readyz").status()).isEqualTo(401);
            Api.Res theirs = otherOrganizationsAdmin(api).get("/readyz");
            assertThat(theirs.status()).as("readiness is the server's").isEqualTo(503);
            assertThat(theirs.raw().body()).doesNotContain(id).doesNotContain("orders");
            assertThat(theirs.body().path("clusters").path("provisioned").asInt()).isEqualTo(0);

            runtime.serving.add(id);
            assertThat(probe.get("/readyz").status()).isEqualTo(200);
            Api.Res ready = api.get("/readyz");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.body().path("status").asText()).isEqualTo("ready");
            assertThat(ready.body().path("clusters").path("serving").asInt()).isEqualTo(1);

            // A locked cluster (its key was disabled) is not expected to serve: the server stays ready.
            runtime.serving.remove(id);
            runtime.sink.report(id, ClusterPhase.LOCKED, "The key was disabled in its KMS.", null);
            assertThat(probe.get("/readyz").status()).isEqualTo(200);
        }
    }

    /** The admin of a second organization on the same server. */
    private Api otherOrganizationsAdmin(Api api) throws java.sql.SQLException {
        String orgB = java.util.UUID.randomUUID().toString();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(io.keyhold.server.internal.db.Database.embeddedUrl(tmp))) {
            long now = System.currentTimeMillis();
            io.keyhold.server.internal.iam.Accounts.insertOrganization(c, orgB, "Other", now);
            String sa = io.keyhold.server.internal.iam.Accounts.insertServiceAccount(c, orgB, "admin", "", now);
            io.keyhold.server.internal.iam.Accounts.insertRoleBinding(c, orgB, sa,
                    io.keyhold.server.internal.auth.Role.OrganizationAdmin, null, now);
            io.keyhold.server.internal.iam.Accounts.insertHashedApiKey(c, "ORGBKEY", orgB, sa, "k", "",
                    io.keyhold.server.support.LegacyHashes.OTHER_HASH, now);
        }
        return api.as("ORGBKEY", io.keyhold.server.support.LegacyHashes.OTHER_SECRET);
    }

    @Test
    void aRuntimeThatFailsLeavesAFailedCluster() {
        ClusterRuntime broken = new ClusterRuntime() {
            @Override
            public void provision(Cluster cluster, StatusSink sink) {
                throw new IllegalStateException("no disk space for the broker");
            }

            @Override
            public void deprovision(String clusterId) {
            }

            @Override
            public void lock(String clusterId, String reason, StatusSink sink) {
            }

            @Override
            public void unlock(String clusterId, StatusSink sink) {
            }
        };
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp).httpPort(0)
                .bootstrapCredentials("RTKEY", "runtime-secret").clusterRuntime(broken).printBootstrapSecret(false).build())) {
            Api api = new Api(server.url(), "RTKEY", "runtime-secret");
            Api.Res r = api.post("/cmk/v2/clusters", ApiTestBase.clusterBody("x", server.bootstrapEnvironmentId(), "AWS", "us-east-1", null));
            assertThat(r.status()).isEqualTo(202);
            assertThat(r.body().path("status").path("phase").asText()).isEqualTo("FAILED");
            assertThat(r.body().path("status").path("message").asText()).contains("no disk space");
        }
    }

    @Test
    void disablingTheKeyLocksTheClusterAndEnablingItUnlocks() throws Exception {
        RecordingRuntime runtime = new RecordingRuntime();
        try (KeyholdServer server = KeyholdServer.start(ServerConfig.builder().dataDir(tmp).httpPort(0)
                .bootstrapCredentials("RTKEY", "runtime-secret").clusterRuntime(runtime).healthInterval(java.time.Duration.ofMillis(200))
                .validationInterval(java.time.Duration.ofMillis(100)).printBootstrapSecret(false).build())) {
            Api api = new Api(server.url(), "RTKEY", "runtime-secret");
            String env = server.bootstrapEnvironmentId();
            api.post("/keyhold/v1/local-kms/keys", "{\"name\":\"watched\"}");
            String key = api.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"watched\"}}").body().get("id").asText();
            awaitKeyPhase(api, key, "VALID");
            String id = api.post("/cmk/v2/clusters", ApiTestBase.clusterBody("w", env, "LOCAL", "local", key)).body().get("id").asText();

            assertThat(api.post("/keyhold/v1/local-kms/keys/watched/disable", null).status()).isEqualTo(200);
            JsonNode locked = awaitClusterPhase(api, id, env, "LOCKED");
            assertThat(locked.path("status").path("message").asText()).containsIgnoringCase("disabled");
            JsonNode invalid = awaitKeyPhase(api, key, "INVALID");
            assertThat(invalid.path("validation").path("message").asText()).containsIgnoringCase("disabled");

            assertThat(api.post("/keyhold/v1/local-kms/keys/watched/enable", null).status()).isEqualTo(200);
            awaitClusterPhase(api, id, env, "PROVISIONED");
            awaitKeyPhase(api, key, "VALID");
            assertThat(runtime.calls).containsExactly("provision " + id + " local:" + server.bootstrapOrganizationId() + "/watched",
                    "lock " + id, "unlock " + id);

            // the monitor's flips are the key's lifecycle events too, in the durable audit trail, as the validator's are
            JsonNode invalidated = awaitEvents(api, "KEY_INVALIDATED", key, 1).get(0);
            assertThat(invalidated.path("principal").asText()).isEqualTo("system");
            assertThat(invalidated.path("cluster").asText()).isEqualTo(id);
            assertThat(invalidated.path("message").asText()).containsIgnoringCase("disabled");
            // newest first: the monitor's VALID after the unlock, then the validator's first one
            JsonNode validated = awaitEvents(api, "KEY_VALIDATED", key, 2);
            assertThat(validated.get(0).path("message").asText()).isEqualTo("Access to the key was restored.");
            assertThat(validated.get(0).path("principal").asText()).isEqualTo("system");
        }
    }

    /** The audit trail's events of one type for a key, once at least {@code count} are there (its writer is asynchronous). */
    private static JsonNode awaitEvents(Api api, String type, String key, int count) throws InterruptedException {
        JsonNode data = null;
        for (int i = 0; i < 400; i++) {
            data = api.get("/audit/v1/events?event_type=" + type + "&key=" + key).body().path("data");
            if (data.size() >= count) {
                return data;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the audit trail has no " + count + " " + type + " events of key " + key + ": " + data);
    }

    private static JsonNode awaitKeyPhase(Api api, String key, String phase) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            JsonNode k = api.get("/byok/v1/keys/" + key).body();
            if (k.path("validation").path("phase").asText().equals(phase)) {
                return k;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("key " + key + " never became " + phase);
    }

    private static JsonNode awaitClusterPhase(Api api, String id, String env, String phase) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            JsonNode c = api.get("/cmk/v2/clusters/" + id + "?environment=" + env).body();
            if (c.path("status").path("phase").asText().equals(phase)) {
                return c;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("cluster " + id + " never became " + phase);
    }
}
