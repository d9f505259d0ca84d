package io.keyhold.server.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyhold service-quota list organization}: applied quotas and their usage. */
@Command(name = "service-quota", mixinStandardHelpOptions = true, description = "Look at service quotas.",
        subcommands = ServiceQuotaCommand.ListQuotas.class)
public final class ServiceQuotaCommand {

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the quotas of a scope (organization).")
    static final class ListQuotas extends ClientCommand {
        @Parameters(index = "0", paramLabel = "SCOPE", description = "organization")
        String scope;

        @Override
        void run(ApiClient api) {
            List<Map<String, Object>> rows = new ArrayList<>();
            api.list("/service-quota/v1/applied-quotas?scope=" + scope.toUpperCase(Locale.ROOT)).forEach(q -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("quota_code", q.path("id").asText());
                m.put("name", q.path("display_name").asText());
                m.put("scope", q.path("scope").asText());
                m.put("applied_limit", q.path("applied_limit").asInt());
                m.put("usage", q.path("usage").asInt());
                m.put("organization", q.path("organization").path("id").asText());
                rows.add(m);
            });
            Output.list(out(), format, rows, List.of("quota_code", "name", "scope", "applied_limit", "usage"));
        }
    }
}
