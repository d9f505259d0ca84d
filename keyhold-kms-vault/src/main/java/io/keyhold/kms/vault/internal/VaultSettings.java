package io.keyhold.kms.vault.internal;

import io.keyhold.kms.KmsConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The vault provider's settings, from {@link KmsConfig} (the server's {@code kms.vault.*}); see
 * docs/kms/vault.md. Secrets (the token, the AppRole secret id) are never settings: they come from
 * files only their owner reads or from environment variables, are read when needed (a rotated
 * file is picked up) and appear in no message. {@link #toString()} names none.
 */
public final class VaultSettings {
    /** Where the token or AppRole credentials come from. */
    public enum AuthMethod { TOKEN, APPROLE }

    private final URI address;
    private final Optional<String> namespace;
    private final AuthMethod auth;
    private final Supplier<String> token;
    private final Supplier<String> roleId;
    private final Supplier<String> secretId;
    private final String approleMount;
    private final Optional<Path> caFile;
    private final Duration timeout;
    private final int threads;

    private VaultSettings(URI address, Optional<String> namespace, AuthMethod auth, Supplier<String> token, Supplier<String> roleId,
                          Supplier<String> secretId, String approleMount, Optional<Path> caFile, Duration timeout, int threads) {
        this.address = address;
        this.namespace = namespace;
        this.auth = auth;
        this.token = token;
        this.roleId = roleId;
        this.secretId = secretId;
        this.approleMount = approleMount;
        this.caFile = caFile;
        this.timeout = timeout;
        this.threads = threads;
    }

    public static VaultSettings from(KmsConfig config) {
        return from(config, System::getenv);
    }

    static VaultSettings from(KmsConfig config, UnaryOperator<String> env) {
        for (String secret : new String[] {"token", "secret-id"}) {
            if (config.get(secret).isPresent()) {
                throw new IllegalArgumentException("the Vault " + secret + " is not a KMS setting (it would show on command lines and in files):"
                        + " give '" + secret + "-file' (a file only its owner reads) or '" + secret + "-env' (an environment variable's name)");
            }
        }
        String addr = config.get("address").map(String::trim).filter(s -> !s.isEmpty()).or(() -> Optional.ofNullable(env.apply("VAULT_ADDR")))
                .orElseThrow(() -> new IllegalArgumentException("KMS setting 'address' (Vault's URL, e.g. https://vault.example:8200) is required"));
        URI address = URI.create(addr.endsWith("/") ? addr.substring(0, addr.length() - 1) : addr);
        if (!"https".equals(address.getScheme()) && !("http".equals(address.getScheme()) && config.bool("allow-http", false))) {
            throw new IllegalArgumentException("KMS setting 'address' must be an https:// URL (data keys travel in its requests), got '" + addr
                    + "'; 'allow-http: true' allows http:// for a Vault on the same host");
        }
        Optional<String> namespace = config.get("namespace").map(String::trim).filter(s -> !s.isEmpty())
                .or(() -> Optional.ofNullable(env.apply("VAULT_NAMESPACE")).filter(s -> !s.isBlank()));
        String method = config.get("auth").map(String::trim).orElse(config.get("role-id-file").isPresent()
                || config.get("role-id-env").isPresent() ? "approle" : "token");
        AuthMethod auth = switch (method) {
            case "token" -> AuthMethod.TOKEN;
            case "approle" -> AuthMethod.APPROLE;
            default -> throw new IllegalArgumentException("KMS setting 'auth' must be token or approle, got '" + method + "'");
        };
        Supplier<String> token = auth == AuthMethod.TOKEN ? secret(config, "token", "VAULT_TOKEN", env) : () -> null;
        Supplier<String> roleId = auth == AuthMethod.APPROLE ? secret(config, "role-id", null, env) : () -> null;
        Supplier<String> secretId = auth == AuthMethod.APPROLE ? secret(config, "secret-id", null, env) : () -> null;
        if (auth == AuthMethod.TOKEN) {
            token.get(); // fail at open, not at the first call
        } else {
            roleId.get();
            secretId.get();
        }
        return new VaultSettings(address, namespace, auth, token, roleId, secretId, config.get("approle-mount").orElse("approle"),
                config.path("ca-file"), Duration.ofMillis(config.integer("timeout-ms", 5000, 100, 120_000)), config.integer("threads", 8, 1, 256));
    }

    /** A secret from {@code <name>-file} or the environment variable {@code <name>-env} names (default {@code defaultEnv}). */
    private static Supplier<String> secret(KmsConfig config, String name, String defaultEnv, UnaryOperator<String> env) {
        Optional<Path> file = config.path(name + "-file");
        Optional<String> var = config.get(name + "-env").map(String::trim).filter(s -> !s.isEmpty()).or(() -> Optional.ofNullable(defaultEnv));
        if (file.isPresent() && config.get(name + "-env").isPresent()) {
            throw new IllegalArgumentException("KMS settings '" + name + "-file' and '" + name + "-env' exclude each other");
        }
        if (file.isPresent()) {
            Path f = file.get();
            return () -> fromFile(name, f);
        }
        if (var.isEmpty()) {
            throw new IllegalArgumentException("KMS setting '" + name + "-file' or '" + name + "-env' is required for AppRole");
        }
        String v = var.get();
        return () -> {
            String value = env.apply(v);
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("the Vault " + name + " is missing: set the environment variable " + v + ", or KMS setting '"
                        + name + "-file'");
            }
            return value.strip();
        };
    }

    private static String fromFile(String name, Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IllegalArgumentException("KMS setting '" + name + "-file': " + file + " is readable by others; make it owner-only (chmod 600)");
            }
            String value = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
            if (value.isEmpty()) {
                throw new IllegalArgumentException("KMS setting '" + name + "-file': " + file + " is empty");
            }
            return value;
        } catch (IOException e) {
            throw new IllegalArgumentException("KMS setting '" + name + "-file': cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("KMS setting '" + name + "-file': " + file + " is on a file system without owner-only permissions");
        }
    }

    public URI address() {
        return address;
    }

    public Optional<String> namespace() {
        return namespace;
    }

    public AuthMethod auth() {
        return auth;
    }

    /** The token, read now (from its file or variable). */
    public String token() {
        return token.get();
    }

    public String roleId() {
        return roleId.get();
    }

    public String secretId() {
        return secretId.get();
    }

    public String approleMount() {
        return approleMount;
    }

    public Optional<Path> caFile() {
        return caFile;
    }

    public Duration timeout() {
        return timeout;
    }

    public int threads() {
        return threads;
    }

    @Override
    public String toString() {
        return "VaultSettings[address=" + address + ", namespace=" + namespace.orElse("-") + ", auth=" + auth + ", threads=" + threads + "]";
    }
}
