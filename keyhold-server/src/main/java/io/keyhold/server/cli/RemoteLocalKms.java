package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The local KMS of a Keyhold server, through its API ({@code /keyhold/v1/local-kms/keys}): what
 * {@code keyhold kms key ...} uses when a server context is configured. Failures are {@link ApiError}s
 * with the CLI's exit codes.
 */
public final class RemoteLocalKms {
    private static final String PATH = "/keyhold/v1/local-kms/keys";
    private final ApiClient api;

    private RemoteLocalKms(ApiClient api) {
        this.api = api;
    }

    /** The server of the configured context ({@code KEYHOLD_URL} or {@code keyhold login}), if any. */
    public static Optional<RemoteLocalKms> fromContext() {
        return CliContext.resolve(ClientCommand.env).map(c -> new RemoteLocalKms(CliContext.require(ClientCommand.env).client()));
    }

    public String url() {
        return api.url();
    }

    public List<KeyInfo> list() {
        List<KeyInfo> out = new ArrayList<>();
        api.list(PATH).forEach(k -> out.add(info(k)));
        return out;
    }

    /**
     * Runs one operation on one key: {@code create}, {@code describe}, {@code rotate}, {@code disable},
     * {@code enable}, {@code schedule-deletion} (with {@code waitingDays}), {@code cancel-deletion}, {@code destroy}.
     */
    public KeyInfo apply(String operation, String name, Integer waitingDays) {
        String key = PATH + "/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        JsonNode k = switch (operation) {
            case "create" -> api.post(PATH, ApiClient.JSON.createObjectNode().put("name", name));
            case "describe" -> api.get(key);
            case "schedule-deletion" -> api.post(key + "/schedule-deletion",
                    ApiClient.JSON.createObjectNode().put("waiting_period_days", waitingDays == null ? 30 : waitingDays));
            case "rotate", "disable", "enable", "cancel-deletion", "destroy" -> api.post(key + "/" + operation, ApiClient.JSON.createObjectNode());
            default -> throw new IllegalArgumentException("unknown local KMS operation " + operation);
        };
        return info(k);
    }

    private static KeyInfo info(JsonNode k) {
        return new KeyInfo(k.path("name").asText(), KeyState.valueOf(k.path("state").asText()), k.path("algorithm").asText(),
                k.path("region").asText(), k.path("current_version").asText(), true, time(k.path("created_at")),
                time(k.path("deletion_date")));
    }

    private static Instant time(JsonNode n) {
        return n.isTextual() ? Instant.parse(n.asText()) : null;
    }
}
