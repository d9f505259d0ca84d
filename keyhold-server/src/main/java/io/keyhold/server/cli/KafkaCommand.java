package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyhold kafka cluster ...}: clusters (cmk/v2) of an environment. */
@Command(name = "kafka", mixinStandardHelpOptions = true, description = "Manage Kafka clusters.", subcommands = KafkaCommand.Cluster.class)
public final class KafkaCommand {

    @Command(name = "cluster", mixinStandardHelpOptions = true, description = "Manage Kafka clusters.",
            subcommands = {Create.class, ListClusters.class, Describe.class, Update.class, Delete.class})
    static final class Cluster {
    }

    static Map<String, Object> row(JsonNode c) {
        JsonNode spec = c.path("spec");
        JsonNode enc = c.path("status").path("encryption");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.path("id").asText());
        m.put("name", spec.path("display_name").asText());
        m.put("type", spec.path("config").path("kind").asText());
        m.put("cku", spec.path("config").path("cku").asInt());
        m.put("availability", spec.path("availability").asText());
        m.put("cloud", spec.path("cloud").asText());
        m.put("region", spec.path("region").asText());
        m.put("environment", spec.path("environment").path("id").asText());
        m.put("status", c.path("status").path("phase").asText());
        m.put("endpoint", spec.path("kafka_bootstrap_endpoint").asText(""));
        m.put("encryption", enc.path("mode").asText(""));
        m.put("byok_key_id", spec.path("byok").path("id").asText(""));
        m.put("byok_provider", enc.path("provider").asText(""));
        m.put("byok_key", enc.path("key").asText(""));
        JsonNode status = c.path("status");
        if (status.has("endpoint_tls")) {
            m.put("endpoint_tls", status.path("endpoint_tls").asBoolean());
            m.put("endpoint_client_auth", status.path("endpoint_client_auth").asText(""));
        }
        if (status.has("endpoint_warning")) {
            m.put("endpoint_warning", status.path("endpoint_warning").asText());
        }
        return m;
    }

    static String path(String id, String env) {
        return "/cmk/v2/clusters/" + URLEncoder.encode(id, StandardCharsets.UTF_8) + "?environment=" + URLEncoder.encode(env, StandardCharsets.UTF_8);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a Dedicated cluster, encrypted with --byok KEY_ID "
            + "(self-managed) or with a platform key (automatic). The choice is fixed at creation.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--cloud", required = true, paramLabel = "CLOUD", description = "aws, gcp, azure or local.")
        String cloud;
        @Option(names = "--region", required = true, paramLabel = "REGION")
        String region;
        @Option(names = "--type", defaultValue = "dedicated", paramLabel = "TYPE", description = "Only dedicated (default).")
        String type;
        @Option(names = "--cku", defaultValue = "1", paramLabel = "N")
        int cku;
        @Option(names = "--availability", defaultValue = "single-zone", paramLabel = "A", description = "single-zone or multi-zone.")
        String availability;
        @Option(names = "--byok", paramLabel = "KEY_ID", description = "A registered key (cck-...) to encrypt the cluster with.")
        String byok;
        @Option(names = "--environment", paramLabel = "ENV_ID")
        String environment;

        @Override
        void run(ApiClient api) {
            if (!type.equalsIgnoreCase("dedicated")) {
                throw new ApiError(2, 0, "--type must be dedicated: Keyhold runs Dedicated clusters");
            }
            ObjectNode spec = ApiClient.JSON.createObjectNode();
            spec.put("display_name", name).put("availability", availability.toUpperCase(Locale.ROOT).replace('-', '_'))
                    .put("cloud", cloud.toUpperCase(Locale.ROOT)).put("region", region);
            spec.putObject("config").put("kind", "Dedicated").put("cku", cku);
            spec.putObject("environment").put("id", environment(environment));
            if (byok != null) {
                spec.putObject("byok").put("id", byok);
            }
            ObjectNode body = ApiClient.JSON.createObjectNode();
            body.set("spec", spec);
            Output.object(out(), format, row(api.post("/cmk/v2/clusters", body)));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the clusters of an environment.")
    static final class ListClusters extends ClientCommand {
        @Option(names = "--environment", paramLabel = "ENV_ID")
        String environment;

        @Override
        void run(ApiClient api) {
            printList(api, "/cmk/v2/clusters?environment=" + URLEncoder.encode(environment(environment), StandardCharsets.UTF_8),
                    KafkaCommand::row, List.of("id", "name", "type", "cloud", "region", "status", "byok_key_id"));
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = "Describe a cluster, including the key that encrypts it.")
    static final class Describe extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;
        @Option(names = "--environment", paramLabel = "ENV_ID")
        String environment;

        @Override
        void run(ApiClient api) {
            Output.object(out(), format, row(api.get(path(id, environment(environment)))));
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Rename a cluster, or move it to another key online (--byok: its cluster keys are re-wrapped, no record is rewritten).")
    static final class Update extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;
        @Option(names = "--name", paramLabel = "NAME")
        String name;
        @Option(names = "--byok", paramLabel = "KEY_ID", description = "The new key (VALID, unused, same cloud and region).")
        String byok;
        @Option(names = "--environment", paramLabel = "ENV_ID")
        String environment;

        @Override
        void run(ApiClient api) {
            if (name == null && byok == null) {
                throw new picocli.CommandLine.ParameterException(this.spec.commandLine(), "give --name, --byok or both");
            }
            String env = environment(environment);
            ObjectNode body = ApiClient.JSON.createObjectNode();
            ObjectNode spec = body.putObject("spec");
            if (name != null) {
                spec.put("display_name", name);
            }
            if (byok != null) {
                spec.putObject("byok").put("id", byok);
            }
            spec.putObject("environment").put("id", env);
            Output.object(out(), format, row(api.patch("/cmk/v2/clusters/" + URLEncoder.encode(id, StandardCharsets.UTF_8), body)));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a cluster; its key is held for 5 days, then available again.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID")
        String id;
        @Option(names = "--environment", paramLabel = "ENV_ID")
        String environment;
        @Option(names = "--force", description = "Skip the confirmation.")
        boolean force;

        @Override
        void run(ApiClient api) {
            deleteConfirmed(api, force, path(id, environment(environment)), "Kafka cluster \"" + id + "\"");
        }
    }
}
