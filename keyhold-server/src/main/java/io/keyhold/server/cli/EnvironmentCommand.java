package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyhold environment ...}: environments (org/v2). */
@Command(name = "environment", mixinStandardHelpOptions = true, description = "Manage environments.",
        subcommands = {EnvironmentCommand.ListEnvs.class, EnvironmentCommand.Create.class, EnvironmentCommand.Delete.class,
                EnvironmentCommand.Use.class})
public final class EnvironmentCommand {

    static Map<String, Object> row(JsonNode e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.path("id").asText());
        m.put("name", e.path("display_name").asText());
        m.put("created_at", e.path("metadata").path("created_at").asText());
        return m;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List environments.")
    static final class ListEnvs extends ClientCommand {
        @Override
        void run(ApiClient api) {
            printList(api, "/org/v2/environments", EnvironmentCommand::row, List.of("id", "name"));
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create an environment.")
    static final class Create extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        void run(ApiClient api) {
            Output.object(out(), format, row(api.post("/org/v2/environments", ApiClient.JSON.createObjectNode().put("display_name", name))));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an environment (refused while it has clusters).")
    static final class Delete extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ENV_ID")
        String id;

        @Override
        void run(ApiClient api) {
            api.delete("/org/v2/environments/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
            out().println("Deleted environment \"" + id + "\".");
            out().flush();
        }
    }

    @Command(name = "use", mixinStandardHelpOptions = true, description = "Make an environment the default for cluster commands.")
    static final class Use extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ENV_ID")
        String id;

        @Override
        void run(ApiClient api) throws Exception {
            api.get("/org/v2/environments/" + URLEncoder.encode(id, StandardCharsets.UTF_8));
            CliContext ctx = CliContext.require(env);
            ctx.withEnvironment(id).save(env);
            out().println("Using environment \"" + id + "\".");
            out().flush();
        }
    }
}
