package io.keyhold.server.internal.iam;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.common.AtomicFiles;
import io.keyhold.server.ServerConfig;
import io.keyhold.server.internal.auth.Role;
import io.keyhold.server.internal.db.Sql;
import io.keyhold.server.internal.util.Ids;
import io.keyhold.server.internal.util.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * First start: one organization, its {@code default} environment, and an OrganizationAdmin API key
 * owned by a bootstrap service account. A generated secret is printed once and written, owner-only
 * and atomically, to {@code DATA_DIR/bootstrap-credentials.json}; with KEYHOLD_BOOTSTRAP_API_KEY/SECRET
 * set, those are used and nothing is written.
 */
public final class Bootstrap {
    public static final String FILE = "bootstrap-credentials.json";

    /** What the first start created. */
    public record Result(String orgId, String environmentId, String apiKey, boolean generated) {
    }

    private Bootstrap() {
    }

    /** Bootstraps when the database has no organization yet; returns null when it already had one. */
    public static Result runIfEmpty(Sql sql, ServerConfig config, String baseUrl, UnaryOperator<String> hashSecret, PrintStream out)
            throws IOException {
        if (sql.count("SELECT COUNT(*) FROM organizations") > 0) {
            return null;
        }
        boolean generated = config.bootstrapApiKey() == null;
        String key = generated ? Ids.apiKeyId() : config.bootstrapApiKey();
        String secret = generated ? Ids.apiSecret() : config.bootstrapApiSecret();
        long now = config.clock().millis();
        String orgId = UUID.randomUUID().toString();
        String[] env = new String[1];
        sql.tx(c -> {
            Accounts.insertOrganization(c, orgId, "Keyhold", now);
            env[0] = Accounts.insertEnvironment(c, orgId, "default", now);
            String sa = Accounts.insertServiceAccount(c, orgId, "bootstrap-admin", "Created on first start; OrganizationAdmin", now);
            Accounts.insertRoleBinding(c, orgId, sa, Role.OrganizationAdmin, null, now);
            Accounts.insertHashedApiKey(c, key, orgId, sa, "bootstrap", "OrganizationAdmin key created on first start",
                    hashSecret.apply(secret), now);
            return null;
        });
        if (generated) {
            ObjectNode creds = Json.object().put("url", baseUrl).put("api_key", key).put("api_secret", secret)
                    .put("organization_id", orgId).put("environment_id", env[0]);
            Path file = config.dataDir().resolve(FILE);
            AtomicFiles.write(file, (creds.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
            if (config.printBootstrapSecret()) {
                out.println("Keyhold bootstrap OrganizationAdmin API key (shown once; also in " + file.toAbsolutePath() + ", owner-only):");
                out.println("  API key:    " + key);
                out.println("  API secret: " + secret);
                out.println("Log the CLI in with: keyhold login --url " + baseUrl + " --api-key " + key + " --api-secret <the secret above>");
                out.flush();
            }
        }
        return new Result(orgId, env[0], key, generated);
    }
}
