package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.server.support.Api;
import io.keyhold.server.support.PostgresCluster;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code keyhold server} processes on one PostgreSQL: both serve the API, the background jobs
 * run on exactly one (the holder of the lease), and when that one is killed with {@code kill -9}
 * the other takes the lease within two health intervals and its health monitor locks a cluster
 * whose key was disabled meanwhile. Both share the data directory, as servers of one deployment
 * share their local KMS store (it locks and reloads its files, so two processes can use it).
 */
class ControlPlaneReplicasTest {
    private static final Duration HEALTH_INTERVAL = Duration.ofSeconds(2);
    private static final Pattern LISTENING = Pattern.compile("Keyhold control plane listening on (http://\\S+) \\(data");
    private static final String LEADS = "runs the background jobs";
    private static final String KEY = "REPLICAKEY";
    private static final String SECRET = "replica-secret-0123456789";

    @TempDir
    Path tmp;

    private PostgresCluster pg;
    private final List<Server> servers = new ArrayList<>();

    /** A server process and everything it printed so far (read on a thread, so that a kill does not lose it). */
    private static final class Server {
        final Process process;
        final StringBuffer output = new StringBuffer();
        String url;

        Server(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        output.append(line).append('\n');
                    }
                } catch (IOException e) {
                    // the pipe closes when the process dies
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        Server awaitUrl() throws InterruptedException {
            for (int i = 0; i < 1200; i++) {
                Matcher m = LISTENING.matcher(output);
                if (m.find()) {
                    url = m.group(1);
                    return this;
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("the server did not start:\n" + output);
        }

        Api api() {
            return new Api(url, KEY, SECRET);
        }

        long pid() {
            return process.pid();
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Server s : servers) {
            s.process.destroyForcibly();
            s.process.waitFor(30, TimeUnit.SECONDS);
        }
        if (pg != null) {
            pg.close();
        }
    }

    @Test
    void bothServeTheApiOneRunsTheJobsAndTheOtherTakesOverAfterKill9() throws Exception {
        pg = PostgresCluster.start();
        pg.createDatabase("keyhold");
        Server first = start().awaitUrl();
        await("the first server leads", Duration.ofSeconds(30), () -> leaseHolderPid() == first.pid());
        Server second = start().awaitUrl();

        // Both serve the API, on one database: what one writes, the other reads.
        Api a = first.api();
        Api b = second.api();
        String env = a.get("/org/v2/environments").body().path("data").get(0).path("id").asText();
        assertThat(b.post("/keyhold/v1/local-kms/keys", "{\"name\":\"replica-key\"}").status()).isEqualTo(201);
        String byok = a.post("/byok/v1/keys", "{\"key\":{\"kind\":\"LocalKey\",\"key_id\":\"replica-key\"}}").body().path("id").asText();
        await("the key is VALID", Duration.ofSeconds(60),
                () -> "VALID".equals(b.get("/byok/v1/keys/" + byok).body().path("validation").path("phase").asText()));
        Api.Res created = b.post("/cmk/v2/clusters", "{\"spec\":{\"display_name\":\"replicated\",\"availability\":\"SINGLE_ZONE\","
                + "\"cloud\":\"LOCAL\",\"region\":\"local\",\"config\":{\"kind\":\"Dedicated\",\"cku\":1},"
                + "\"environment\":{\"id\":\"" + env + "\"},\"byok\":{\"id\":\"" + byok + "\"}}}");
        assertThat(created.status()).as(created.toString()).isEqualTo(202);
        String cluster = created.body().path("id").asText();
        assertThat(a.get("/cmk/v2/clusters/" + cluster + "?environment=" + env).status()).isEqualTo(200);

        // Exactly one runs the jobs: the other has not started them, over several lease renewals.
        Thread.sleep(HEALTH_INTERVAL.toMillis() * 2);
        assertThat(leaseHolderPid()).isEqualTo(first.pid());
        assertThat(first.output.toString()).contains(LEADS);
        assertThat(second.output.toString()).doesNotContain(LEADS);

        first.process.destroyForcibly(); // SIGKILL: no shutdown hook, the lease is not given up
        long killed = System.nanoTime();
        assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        await("the second server takes the lease", HEALTH_INTERVAL.multipliedBy(10), () -> leaseHolderPid() == second.pid());
        Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
        assertThat(takeover).as("takeover after kill -9").isLessThanOrEqualTo(HEALTH_INTERVAL.multipliedBy(2));
        System.out.println("ControlPlaneReplicasTest: takeover after kill -9 took " + takeover.toMillis() + " ms (health interval "
                + HEALTH_INTERVAL.toMillis() + " ms)");
        await("the second server starts the jobs", Duration.ofSeconds(10), () -> second.output.toString().contains(LEADS));

        // Its health monitor now watches the keys: disabling the key locks the cluster.
        assertThat(b.post("/keyhold/v1/local-kms/keys/replica-key/disable", "{}").status()).isEqualTo(200);
        await("the cluster is LOCKED", HEALTH_INTERVAL.multipliedBy(10),
                () -> "LOCKED".equals(b.get("/cmk/v2/clusters/" + cluster + "?environment=" + env).body().path("status")
                        .path("phase").asText()));
        assertThat(second.output.toString()).contains("locking cluster " + cluster);
    }

    private Server start() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.keyhold.server.ServerCommand",
                "--data-dir", tmp.resolve("data").toString(), "--http-port", "0", "--database-url", pg.jdbcUrl("keyhold"),
                "--database-user", pg.user()).redirectErrorStream(true);
        pb.environment().put("KEYHOLD_BOOTSTRAP_API_KEY", KEY);
        pb.environment().put("KEYHOLD_BOOTSTRAP_API_SECRET", SECRET);
        pb.environment().put("KEYHOLD_LOCAL_KMS_PASSPHRASE", "replica test passphrase");
        pb.environment().put("KEYHOLD_HEALTH_INTERVAL", HEALTH_INTERVAL.toMillis() + "ms");
        pb.environment().put("KEYHOLD_VALIDATION_INTERVAL", "1s");
        Server s = new Server(pb.start());
        servers.add(s);
        return s;
    }

    /** The pid in the lease's holder ({@code server@host:pid/random}), or -1. */
    private long leaseHolderPid() {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl("keyhold"), pg.user(), "");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT holder FROM leader_lease")) {
            if (!rs.next()) {
                return -1;
            }
            Matcher m = Pattern.compile(":(\\d+)/").matcher(rs.getString(1));
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        } catch (java.sql.SQLException e) {
            return -1; // the schema is not there yet
        }
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(what + ": not within " + timeout);
    }
}
