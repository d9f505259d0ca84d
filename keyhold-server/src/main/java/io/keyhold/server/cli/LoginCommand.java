package io.keyhold.server.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyhold login}: checks the credentials against the server and stores them in ~/.keyhold/config (owner-only). */
@Command(name = "login", mixinStandardHelpOptions = true, description = "Store a server URL and API key in ~/.keyhold/config (owner-only).")
public final class LoginCommand extends ClientCommand {
    @Option(names = "--url", required = true, paramLabel = "URL", description = "Server URL, e.g. http://127.0.0.1:8090 or https://keyhold.example:8090.")
    String url;
    @Option(names = "--api-key", required = true, paramLabel = "KEY")
    String apiKey;
    @Option(names = "--api-secret", paramLabel = "SECRET", description = "The API secret (else $KEYHOLD_API_SECRET).")
    String apiSecret;
    @Option(names = "--environment", paramLabel = "ENV_ID", description = "Default environment for cluster commands.")
    String environment;
    @Option(names = "--ca-file", paramLabel = "FILE", description = {"PEM certificate(s) to trust for an https:// server instead of "
            + "the JVM's CAs: your private CA, or the server's self-signed certificate (else $KEYHOLD_CA_FILE)."})
    String caFile;

    @Override
    boolean needsServer() {
        return false;
    }

    @Override
    void run(ApiClient ignored) throws Exception {
        String secret = apiSecret != null ? apiSecret : env.get("KEYHOLD_API_SECRET");
        if (secret == null || secret.isEmpty()) {
            throw new ApiError(2, 0, "give --api-secret or set KEYHOLD_API_SECRET");
        }
        String ca = caFile != null ? caFile : env.get("KEYHOLD_CA_FILE");
        CliContext ctx = new CliContext(url, apiKey, secret, environment, ca == null || ca.isEmpty() ? null : ca);
        ctx.client().get("/org/v2/environments?page_size=1");
        ctx.save(env);
        out().println("Logged in to " + url + " as API key " + apiKey + "; context saved to " + CliContext.configFile(env));
        out().flush();
    }
}
