package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyhold.server.ServerConfigLoader;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyhold audit ...}: the organization's audit trail ({@code GET /audit/v1/events}, a Keyhold extension). */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Read the audit trail: KMS calls and key lifecycle events.",
        subcommands = AuditCommand.ListEvents.class)
public final class AuditCommand {

    static Map<String, Object> row(JsonNode e) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String f : List.of("time", "event_type", "principal", "cluster", "key", "kms_key", "provider", "key_version", "operation",
                "outcome", "latency_ms", "process", "message")) {
            JsonNode v = e.path(f);
            m.put(f, v.isNull() || v.isMissingNode() ? null : v.isNumber() ? v.numberValue() : v.asText());
        }
        return m;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List audit events, newest first.")
    static final class ListEvents extends ClientCommand {
        @Option(names = "--key", paramLabel = "ID", description = "A key object (cck-...) or the KMS key reference a call named.")
        String key;
        @Option(names = "--cluster", paramLabel = "ID")
        String cluster;
        @Option(names = "--type", paramLabel = "TYPE", description = "An event type, e.g. KMS_CALL, KEY_ROTATED, CLUSTER_LOCKED.")
        String type;
        @Option(names = "--principal", paramLabel = "ID", description = "Who caused it: a service account id, or system.")
        String principal;
        @Option(names = "--since", paramLabel = "WHEN", description = "A duration back from now (30m, 1h, 7d) or an RFC 3339 time.")
        String since;
        @Option(names = "--until", paramLabel = "WHEN", description = "As --since; events before it.")
        String until;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N events (default: ${DEFAULT-VALUE}).")
        int limit;

        @Override
        void run(ApiClient api) {
            if (limit < 1) {
                throw new ApiError(2, 0, "--limit must be at least 1");
            }
            StringBuilder q = new StringBuilder("/audit/v1/events?");
            ByokCommand.add(q, "key", key);
            ByokCommand.add(q, "cluster", cluster);
            ByokCommand.add(q, "event_type", type == null ? null : type.toUpperCase(Locale.ROOT).replace('-', '_'));
            ByokCommand.add(q, "principal", principal);
            ByokCommand.add(q, "since", time("--since", since));
            ByokCommand.add(q, "until", time("--until", until));
            ByokCommand.add(q, "page_size", Integer.toString(Math.min(limit, 100)));
            List<Map<String, Object>> rows = new ArrayList<>();
            String next = q.toString();
            while (next != null && rows.size() < limit) {
                JsonNode page = api.get(next);
                for (JsonNode e : page.path("data")) {
                    if (rows.size() < limit) {
                        rows.add(row(e));
                    }
                }
                JsonNode n = page.path("metadata").path("next");
                next = n.isTextual() && !n.asText().isEmpty() ? n.asText() : null;
            }
            Output.list(out(), format, rows, List.of("time", "event_type", "principal", "cluster", "key", "operation", "outcome",
                    "key_version", "message"));
        }

        /** {@code when} as the API's RFC 3339 time: a duration means that long ago. */
        static String time(String option, String when) {
            if (when == null) {
                return null;
            }
            try {
                return OffsetDateTime.parse(when).toInstant().toString();
            } catch (DateTimeParseException notATime) {
                try {
                    return Instant.now().minus(ServerConfigLoader.duration(Map.of(option, when), option)).toString();
                } catch (IllegalArgumentException e) {
                    throw new ApiError(2, 0, option + " must be a duration such as 30m, 1h or 7d, or an RFC 3339 time such as "
                            + "2026-01-31T23:59:00Z; got '" + when + "'");
                }
            }
        }
    }
}
