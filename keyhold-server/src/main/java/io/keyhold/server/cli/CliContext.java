package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyhold.common.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the CLI finds its server: {@code ~/.keyhold/config} (written by {@code keyhold login},
 * owner-only), overridden field by field by {@code KEYHOLD_URL}, {@code KEYHOLD_API_KEY},
 * {@code KEYHOLD_API_SECRET}, {@code KEYHOLD_ENVIRONMENT} and {@code KEYHOLD_CA_FILE}. {@code HOME}
 * decides where ~ is.
 *
 * @param caFile PEM certificates to trust for an https:// server instead of the JVM's CAs (a private
 *               CA, or the server's self-signed certificate); null: the JVM's
 */
public record CliContext(String url, String apiKey, String apiSecret, String environment, String caFile) {

    public static Path configFile(Map<String, String> env) {
        String home = env.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(home, ".keyhold", "config");
    }

    /** The configured context, if a URL is configured at all. */
    public static Optional<CliContext> resolve(Map<String, String> env) {
        JsonNode file = read(configFile(env));
        String url = pick(env, "KEYHOLD_URL", file, "url");
        if (url == null) {
            return Optional.empty();
        }
        return Optional.of(new CliContext(url, pick(env, "KEYHOLD_API_KEY", file, "api_key"),
                pick(env, "KEYHOLD_API_SECRET", file, "api_secret"), pick(env, "KEYHOLD_ENVIRONMENT", file, "environment"),
                pick(env, "KEYHOLD_CA_FILE", file, "ca_file")));
    }

    /** The context, or an error telling the user how to configure one. */
    public static CliContext require(Map<String, String> env) {
        CliContext c = resolve(env).orElseThrow(() -> new ApiError(2, 0,
                "no Keyhold server configured: run 'keyhold login --url URL --api-key KEY --api-secret SECRET' or set KEYHOLD_URL"));
        if (c.apiKey() == null || c.apiSecret() == null) {
            throw new ApiError(2, 0, "no API key configured: run 'keyhold login' or set KEYHOLD_API_KEY and KEYHOLD_API_SECRET");
        }
        return c;
    }

    public ApiClient client() {
        return new ApiClient(url, apiKey, apiSecret, caFile == null ? null : Path.of(caFile));
    }

    /** Writes the context to the config file, atomically and owner-only. */
    public void save(Map<String, String> env) throws IOException {
        Path file = configFile(env);
        AtomicFiles.createPrivateDirectories(file.getParent());
        ObjectNode o = ApiClient.JSON.createObjectNode().put("url", url).put("api_key", apiKey).put("api_secret", apiSecret);
        if (environment != null) {
            o.put("environment", environment);
        }
        if (caFile != null) {
            o.put("ca_file", Path.of(caFile).toAbsolutePath().toString());
        }
        AtomicFiles.write(file, (o.toPrettyString() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public CliContext withEnvironment(String env) {
        return new CliContext(url, apiKey, apiSecret, env, caFile);
    }

    /** Never shows the secret: contexts end up in error messages and debug output. */
    @Override
    public String toString() {
        return "CliContext[url=" + url + ", apiKey=" + apiKey + ", apiSecret=" + (apiSecret == null ? "none" : "***")
                + ", environment=" + environment + (caFile == null ? "" : ", caFile=" + caFile) + "]";
    }

    private static String pick(Map<String, String> env, String var, JsonNode file, String field) {
        String v = env.get(var);
        if (v != null && !v.isEmpty()) {
            return v;
        }
        JsonNode f = file == null ? null : file.get(field);
        return f == null || !f.isTextual() ? null : f.asText();
    }

    private static JsonNode read(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return ApiClient.JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ApiError(5, 0, "cannot read " + file + ": " + e.getMessage());
        }
    }
}
