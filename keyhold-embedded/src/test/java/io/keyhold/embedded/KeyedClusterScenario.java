package io.keyhold.embedded;

import static io.keyhold.embedded.RunningServer.HEALTH_INTERVAL;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The steps every bring-your-own-key provider's end-to-end test takes, each with its own KMS (a
 * wire-level fake or a real peer): a server using that KMS, the customer's key registered and
 * validated, a cluster keyed by it, kcat producing and consuming through it with nothing but
 * ciphertext on the broker's disk; the cluster locking when the customer takes the key away and
 * resuming, every acknowledged record intact, when they give it back; a rotation after which new
 * records are written and every record still reads. The provider's test drives its KMS between the
 * steps and asserts what only its provider shows (its calls, its key versions).
 */
final class KeyedClusterScenario implements AutoCloseable {
    /** A step that acts on the provider's KMS. */
    interface KmsStep {
        void run() throws Exception;
    }

    private static final String TOPIC = "payments";

    private final RunningServer server;
    private final RestClient rest;
    private final Path dataDir;
    private final List<String> written = new ArrayList<>();
    private String cluster;
    private String clusterPath;
    private String endpoint;
    private String canary;

    private KeyedClusterScenario(RunningServer server, RestClient rest, Path dataDir) {
        this.server = server;
        this.rest = rest;
        this.dataDir = dataDir;
    }

    /** A server on {@code dataDir} with the provider's flags, environment and YAML file (or none); see {@link RunningServer}. */
    static KeyedClusterScenario start(String apiKey, String apiSecret, Path dataDir, Map<String, String> moreFlags, Map<String, String> env,
            Path config) throws Exception {
        return new KeyedClusterScenario(RunningServer.start(apiKey, apiSecret, dataDir, moreFlags, env, config),
                new RestClient(apiKey, apiSecret), dataDir);
    }

    String url() {
        return server.url();
    }

    /** The REST client of the bootstrap API key, for what a provider's test asks the API itself. */
    RestClient rest() {
        return rest;
    }

    /** Registers the key {@code keyJson} (the API's {@code key} object) and waits until it is VALID; returns the API's answer. */
    JsonNode registerKey(String keyJson) throws Exception {
        return rest.registerKey(server.url(), keyJson);
    }

    /** The key object {@code byok}'s validation as the API shows it. */
    JsonNode validation(String byok) throws Exception {
        return rest.send(server.url(), "GET", "/byok/v1/keys/" + byok, null, 200).path("validation");
    }

    /**
     * Creates the cluster {@code <name>-orders} in {@code cloud}/{@code region}, keyed by the registered key {@code byok},
     * and waits until it is PROVISIONED; its records are {@code <name>-card-<uuid> #n}.
     */
    void createCluster(String name, String cloud, String region, String byok) throws Exception {
        String env = server.server().bootstrapEnvironmentId();
        cluster = rest.createCluster(server.url(), env, name + "-orders", cloud, region, byok);
        clusterPath = RestClient.clusterPath(cluster, env);
        endpoint = rest.awaitProvisioned(server.url(), clusterPath);
        canary = name + "-card-" + UUID.randomUUID();
    }

    /** The cluster's bootstrap endpoint (the proxy). */
    String endpoint() {
        return endpoint;
    }

    /** What every record of this cluster's topics starts with, for a test's own records. */
    String canary() {
        return canary;
    }

    /** Produces the next {@code n} records with kcat. */
    void write(int n) throws Exception {
        List<String> next = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            next.add(canary + " #" + (written.size() + next.size() + 1));
        }
        Kcat.produce(endpoint, TOPIC, next);
        written.addAll(next);
    }

    /** Every record written so far reads back with kcat, in order. */
    void readsAll() throws Exception {
        assertThat(Kcat.consume(endpoint, TOPIC, written.size())).containsExactlyElementsOf(written);
    }

    void writeAndReadAll(int n) throws Exception {
        write(n);
        readsAll();
    }

    /** No record's text stands anywhere in the broker's log directory. */
    void assertNoPlaintext() throws Exception {
        assertThat(OnDisk.plaintext(logDir(), canary)).as("plaintext on the broker's disk").isEmpty();
    }

    /** The KEK reference and version each stored record is under (the key wrapping its cluster key), oldest first. */
    List<String> recordKeks() throws Exception {
        return StoredEnvelopes.recordKeks(logDir(), cluster);
    }

    /**
     * Takes the key away ({@code what} says how, for the log line) and waits, {@code within} at most, for the
     * cluster to lock; a locked cluster takes no record and serves none. Returns how long it took to lock.
     */
    Duration lock(String what, KmsStep takeAway, Duration within) throws Exception {
        long at = System.nanoTime();
        takeAway.run();
        RestClient.await(() -> phase().equals("LOCKED"), "cluster LOCKED", within);
        Duration toLocked = Duration.ofNanos(System.nanoTime() - at);
        System.out.println(what + " -> cluster LOCKED in " + toLocked.toMillis() + " ms (health interval " + HEALTH_INTERVAL.toMillis() + " ms)");
        assertThat(Kcat.produceFails(endpoint, TOPIC, canary + " while locked")).isTrue();
        assertThat(Kcat.consume(endpoint, TOPIC, 1)).as("a locked cluster serves no records").isEmpty();
        return toLocked;
    }

    /** Gives the key back and waits, {@code within} at most, for the cluster to resume; a new record and every one before read. */
    void resume(KmsStep giveBack, Duration within) throws Exception {
        giveBack.run();
        RestClient.await(() -> phase().equals("PROVISIONED"), "cluster PROVISIONED again", within);
        writeAndReadAll(1);
    }

    /** After the customer rotated the key: waits three health intervals (the next checks see the rotation) and writes a record. */
    void writeAfterRotation() throws Exception {
        Thread.sleep(HEALTH_INTERVAL.multipliedBy(3).toMillis());
        write(1);
    }

    private String phase() throws Exception {
        return rest.phase(server.url(), clusterPath);
    }

    private Path logDir() {
        return dataDir.resolve("clusters").resolve(cluster).resolve("kafka");
    }

    @Override
    public void close() throws Exception {
        server.close();
    }
}
