package io.keyhold.server.cli;

import java.util.List;

/** The command groups over the API, for the {@code keyhold} entry point to register. */
public final class ClientCommands {
    private ClientCommands() {
    }

    public static List<Class<?>> all() {
        return List.of(LoginCommand.class, ByokCommand.class, KafkaCommand.class, EnvironmentCommand.class, ApiKeyCommand.class,
                ServiceQuotaCommand.class, AuditCommand.class);
    }

    /** Replaces the environment variables the commands read (tests). */
    public static void useEnvironment(java.util.Map<String, String> env) {
        ClientCommand.env = env;
    }
}
