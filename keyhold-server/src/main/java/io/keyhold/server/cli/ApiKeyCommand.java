package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyhold api-key ...}: API keys (iam/v2). The secret is shown once, at creation. */
@Command(name = "api-key", mixinStandardHelpOptions = true, description = "Manage API keys.",
        subcommands = {ApiKeyCommand.Create.class, ApiKeyCommand.ListKeys.class, ApiKeyCommand.Delete.class})
public final class ApiKeyCommand {

    static Map<String, Object> row(JsonNode k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", k.path("id").asText());
        if (k.path("spec").has("secret")) {
            m.put("secret", k.path("spec").path("secret").asText());
        }
        m.put("description", k.path("spec").path("description").asText());
        m.put("owner", k.path("spec").path("owner").path("id").asText());
        m.put("created_at", k.path("metadata").path("created_at").asText());
        return m;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an API key; the secret is shown only now.")
    static final class Create extends ClientCommand {
        @Option(names = "--service-account", paramLabel = "SA_ID", description = "Owner (default: the caller's service account).")
        String serviceAccount;
        @Option(names = "--description", paramLabel = "TEXT")
        String description;

        @Override
        void run(ApiClient api) {
            ObjectNode body = ApiClient.JSON.createObjectNode();
            ObjectNode spec = body.putObject("spec");
            if (description != null) {
                spec.put("description", description);
            }
            if (serviceAccount != null) {
                spec.putObject("owner").put("id", serviceAccount);
            }
            Output.object(out(), format, row(api.post("/iam/v2/api-keys", body)));
            if (format == Output.Format.human) {
                out().println("\nSave the secret now: it can not be shown again.");
                out().flush();
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List API keys (never their secrets).")
    static final class ListKeys extends ClientCommand {
        @Override
        void run(ApiClient api) {
            printList(api, "/iam/v2/api-keys", ApiKeyCommand::row, List.of("key", "description", "owner", "created_at"));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete (revoke) an API key at once.")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "KEY")
        String key;
        @Option(names = "--force", description = "Skip the confirmation.")
        boolean force;

        @Override
        void run(ApiClient api) {
            deleteConfirmed(api, force, "/iam/v2/api-keys/" + URLEncoder.encode(key, StandardCharsets.UTF_8), "API key \"" + key + "\"");
        }
    }
}
