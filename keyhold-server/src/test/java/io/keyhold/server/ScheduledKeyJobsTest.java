package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The server's key jobs and what they record. Local KMS keys rotate on the {@code local-key-rotation}
 * schedule (here one minute of the server's clock, so the job looks every six seconds): a key whose
 * version is older gets a new one, recorded on the key and in the trail as done by {@code system}.
 * The end of a release hold (here two seconds) is recorded once as KEY_RELEASED. The settings'
 * defaults and {@code off}.
 */
class ScheduledKeyJobsTest extends ApiTestBase {
    @Override
    protected ServerConfig.Builder database(ServerConfig.Builder b) {
        return b.localKeyRotation(Duration.ofMinutes(1)).releaseHold(Duration.ofSeconds(2));
    }

    @Test
    void theEndOfAReleaseHoldIsRecordedOnce() {
        String key = validLocalKey(unique("held"));
        io.keyhold.server.support.Api.Res cluster = admin.post("/cmk/v2/clusters", clusterBody(unique("c"), env, "LOCAL", "local", key));
        assertThat(cluster.status()).as(cluster.toString()).isEqualTo(202);
        String id = cluster.body().get("id").asText();
        io.keyhold.server.support.Api.Res deleted = admin.delete("/cmk/v2/clusters/" + id + "?environment=" + env);
        assertThat(deleted.status()).as(deleted.toString()).isIn(202, 204);
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("IN_USE"); // held
        sleep(2_500);
        assertThat(events("KEY_RELEASED", key)).as("not before the hold ended on the server's clock").isEmpty();
        clock.advance(Duration.ofSeconds(3));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (events("KEY_RELEASED", key).isEmpty() && System.nanoTime() < deadline) {
            sleep(100);
        }
        JsonNode released = events("KEY_RELEASED", key).get(0);
        assertThat(released.path("principal").asText()).isEqualTo("system");
        assertThat(released.path("message").asText()).contains("release hold ended");
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("state").asText()).isEqualTo("AVAILABLE");
        sleep(2_500);
        assertThat(events("KEY_RELEASED", key)).as("recorded once").hasSize(1);
    }

    private JsonNode events(String type, String key) {
        return admin.get("/audit/v1/events?event_type=" + type + "&key=" + key).body().path("data");
    }

    @Test
    void aLocalKeyOlderThanTheIntervalGetsANewVersionFromTheSchedule() {
        String key = validLocalKey(unique("scheduled"));
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("current_version").asText()).isEqualTo("1");
        clock.advance(Duration.ofMinutes(2));
        JsonNode rotated = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            rotated = admin.get("/byok/v1/keys/" + key).body();
            if (rotated.path("current_version").asText().equals("2")) {
                break;
            }
            sleep(200);
        }
        assertThat(rotated.path("current_version").asText()).as("rotated by the schedule within 30 s").isEqualTo("2");
        assertThat(rotated.path("last_rotated_at").isTextual()).isTrue();
        JsonNode event = null;
        while (System.nanoTime() < deadline + Duration.ofSeconds(10).toNanos() && event == null) {
            JsonNode data = admin.get("/audit/v1/events?event_type=KEY_ROTATED&key=" + key).body().path("data");
            event = data.isEmpty() ? null : data.get(0);
            sleep(100);
        }
        assertThat(event).isNotNull();
        assertThat(event.path("principal").asText()).isEqualTo("system");
        assertThat(event.path("message").asText()).contains("scheduled rotation").contains("version 1 -> 2");
        // rotated just now: the next runs leave it alone until another interval has passed
        sleep(7_000);
        assertThat(admin.get("/byok/v1/keys/" + key).body().path("current_version").asText()).isEqualTo("2");
    }

    @Test
    void rotationAndRetentionSettingsHaveTheirDefaultsAndRotationCanBeTurnedOff() {
        ServerConfig defaults = ServerConfigLoader.load(Map.of(), Map.of(), null).build();
        assertThat(defaults.localKeyRotation()).isEqualTo(Duration.ofDays(31));
        assertThat(defaults.auditRetention()).isEqualTo(Duration.ofDays(400));
        ServerConfig set = ServerConfigLoader.load(Map.of("local-key-rotation", "off"), Map.of("KEYHOLD_AUDIT_RETENTION", "30d"), null)
                .build();
        assertThat(set.localKeyRotation()).isNull();
        assertThat(set.auditRetention()).isEqualTo(Duration.ofDays(30));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ServerConfigLoader.load(Map.of("audit-retention", "1h"), Map.of(), null)
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("audit-retention");
    }
}
