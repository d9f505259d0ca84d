package io.keyhold.kms.vault.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import io.keyhold.kms.vault.VaultKeyRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A wire-level fake of Vault's HTTP API for the Transit secrets engine, on 127.0.0.1 over HTTPS
 * (a keytool-made certificate): no Vault or OpenBao server can be installed where the tests run.
 * It models what Keyhold relies on: {@code X-Vault-Token} checking (one static token and AppRole
 * logins with leases, {@code renew-self}), an optional namespace ({@code X-Vault-Namespace}),
 * key read ({@code type}, {@code derived}, {@code latest_version}, {@code min_decryption_version},
 * {@code deletion_allowed}), {@code encrypt}/{@code decrypt} with {@code associated_data} and real
 * AES-256-GCM, {@code rotate}, {@code sys/capabilities-self}, and Vault's status codes and error
 * texts (403 permission denied, 400 "disallowed by policy (too old)", 400 "cipher: message
 * authentication failed", 503 sealed). Keyhold's policy on each key is one of {@link Access}.
 *
 * <p>It is also the conformance kit's admin, acting as a Vault operator does: create keys, "disable"
 * one for Keyhold (a policy that leaves it readable, neither encrypt nor decrypt), remove access,
 * rotate, delete (deletion_allowed then delete), seal or hang the server.
 */
public final class FakeVault implements KmsFakeAdmin.CanDelete, KmsFakeAdmin.CanDenyAccess, KmsFakeAdmin.CanCauseOutages, AutoCloseable {
    public static final String MOUNT = "transit";
    public static final String ROLE_ID = "keyhold-role";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TRANSIT = Pattern.compile("/v1/(.+)/(keys|encrypt|decrypt)/([A-Za-z0-9._-]+)(/rotate)?");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Keyhold's policy on a key. */
    public enum Access { FULL, DISABLED, NO_DECRYPT, NONE }

    /** One certificate per JVM: keytool takes a while, and a fake lives for one test. */
    private static final TestTls TLS = TestTls.create();
    private final TestTls tls = TLS;
    private final HttpsServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-vault");
        t.setDaemon(true);
        return t;
    });
    private final String namespace;
    private final String staticToken = "hvs." + random();
    private final String secretId = random();
    private final Map<String, FakeTransitKey> keys = new ConcurrentHashMap<>();
    private final Map<String, Access> access = new ConcurrentHashMap<>();
    /** AppRole tokens and when they expire (epoch millis). */
    private final Map<String, Long> leases = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicInteger names = new AtomicInteger();
    private final AtomicLong leaseSeconds = new AtomicLong(3600);
    private volatile Outage outage = Outage.NONE;
    private volatile CountDownLatch hang = new CountDownLatch(0);
    private final Path dir;

    private FakeVault(String namespace) throws IOException {
        this.namespace = namespace;
        this.dir = Files.createTempDirectory("keyhold-fake-vault");
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /** A fake Vault without namespaces. */
    public static FakeVault start() {
        return start(null);
    }

    /** A fake Vault that requires {@code X-Vault-Namespace: namespace} (null: none). */
    public static FakeVault start(String namespace) {
        try {
            return new FakeVault(namespace);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public URI address() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Settings of a connection with the static token in an owner-only file. */
    public KmsConfig tokenConfig() {
        Map<String, String> m = base();
        m.put("token-file", secretFile("token", staticToken).toString());
        return KmsConfig.of(m);
    }

    /** Settings of a connection that logs in with AppRole (role id and secret id in owner-only files). */
    public KmsConfig approleConfig() {
        Map<String, String> m = base();
        m.put("auth", "approle");
        m.put("role-id-file", secretFile("role-id", ROLE_ID).toString());
        m.put("secret-id-file", secretFile("secret-id", secretId).toString());
        return KmsConfig.of(m);
    }

    private Map<String, String> base() {
        Map<String, String> m = new HashMap<>();
        m.put("address", address().toString());
        m.put("ca-file", tls.caPem().toString());
        m.put("timeout-ms", "3000");
        if (namespace != null) {
            m.put("namespace", namespace);
        }
        return m;
    }

    public String staticToken() {
        return staticToken;
    }

    /** How long AppRole tokens issued from now on live. */
    public void leaseSeconds(long seconds) {
        leaseSeconds.set(seconds);
    }

    /** How many requests of {@code op} ({@code login}, {@code renew}, {@code encrypt}, ...) were answered. */
    public int count(String op) {
        return counts.getOrDefault(op, new AtomicInteger()).get();
    }

    // --- admin -----------------------------------------------------------------------------------------------------------------

    @Override
    public String createKey() {
        return createKey("aes256-gcm96", false);
    }

    public String createKey(String type, boolean derived) {
        String name = "key-" + names.incrementAndGet();
        keys.put(name, new FakeTransitKey(type, derived));
        access.put(name, Access.FULL);
        return new VaultKeyRef(MOUNT, name).ref();
    }

    @Override
    public String unknownKeyRef() {
        return new VaultKeyRef(MOUNT, "no-such-key").ref();
    }

    @Override
    public void disable(String keyRef) {
        access.put(name(keyRef), Access.DISABLED);
    }

    @Override
    public void enable(String keyRef) {
        access.put(name(keyRef), Access.FULL);
    }

    @Override
    public void denyAccess(String keyRef) {
        access.put(name(keyRef), Access.NONE);
    }

    @Override
    public void denyUnwrap(String keyRef) {
        access.put(name(keyRef), Access.NO_DECRYPT);
    }

    @Override
    public void allowAccess(String keyRef) {
        access.put(name(keyRef), Access.FULL);
    }

    @Override
    public void rotate(String keyRef) {
        key(keyRef).rotate();
    }

    /** Vault deletes only a key with deletion_allowed; there is no waiting period. */
    @Override
    public void scheduleDeletion(String keyRef) {
        FakeTransitKey k = key(keyRef);
        k.deletionAllowed = true;
        keys.remove(name(keyRef));
    }

    /** {@code vault write <mount>/keys/<name>/config min_decryption_version=N}. */
    public void minDecryptionVersion(String keyRef, int version) {
        key(keyRef).minDecryptionVersion = version;
    }

    public void deletionAllowed(String keyRef, boolean allowed) {
        key(keyRef).deletionAllowed = allowed;
    }

    @Override
    public void outage(Outage mode) {
        if (mode == Outage.HANG) {
            hang = new CountDownLatch(1);
        } else {
            hang.countDown();
        }
        outage = mode;
    }

    @Override
    public void close() {
        hang.countDown();
        server.stop(0);
        threads.shutdownNow();
    }

    private FakeTransitKey key(String keyRef) {
        FakeTransitKey k = keys.get(name(keyRef));
        if (k == null) {
            throw new IllegalArgumentException("no key " + keyRef);
        }
        return k;
    }

    private static String name(String keyRef) {
        return VaultKeyRef.parse(keyRef).name();
    }

    // --- the HTTP API --------------------------------------------------------------------------------------------------------------

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (outage == Outage.HANG) {
                hang.await(30, TimeUnit.SECONDS);
            }
            if (outage == Outage.ERROR_503) {
                send(ex, 503, errors("Vault is sealed"));
                return;
            }
            if (namespace != null && !namespace.equals(ex.getRequestHeaders().getFirst("X-Vault-Namespace"))) {
                send(ex, 403, errors("permission denied")); // the token does not exist in another namespace
                return;
            }
            String path = ex.getRequestURI().getPath();
            JsonNode body = ex.getRequestMethod().equals("POST") ? JSON.readTree(ex.getRequestBody().readAllBytes()) : JSON.createObjectNode();
            if (body == null) {
                body = JSON.createObjectNode();
            }
            if (path.equals("/v1/auth/approle/login")) {
                login(ex, body);
                return;
            }
            String token = ex.getRequestHeaders().getFirst("X-Vault-Token");
            if (!valid(token)) {
                send(ex, 403, errors("permission denied"));
                return;
            }
            if (path.equals("/v1/auth/token/renew-self")) {
                renew(ex, token);
            } else if (path.equals("/v1/sys/capabilities-self")) {
                capabilities(ex, body);
            } else {
                transit(ex, path, body);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | GeneralSecurityException e) {
            send(ex, 500, errors("internal error: " + e.getClass().getSimpleName()));
        }
    }

    private boolean valid(String token) {
        if (token == null) {
            return false;
        }
        if (token.equals(staticToken)) {
            return true;
        }
        Long expires = leases.get(token);
        return expires != null && expires > System.currentTimeMillis();
    }

    private void login(HttpExchange ex, JsonNode body) throws IOException {
        counted("login");
        if (!ROLE_ID.equals(body.path("role_id").asText()) || !secretId.equals(body.path("secret_id").asText())) {
            send(ex, 400, errors("invalid role or secret ID"));
            return;
        }
        String token = "hvs." + random();
        long lease = leaseSeconds.get();
        leases.put(token, System.currentTimeMillis() + lease * 1000);
        ObjectNode out = JSON.createObjectNode();
        out.putObject("auth").put("client_token", token).put("lease_duration", lease).put("renewable", true);
        send(ex, 200, out);
    }

    private void renew(HttpExchange ex, String token) throws IOException {
        counted("renew");
        if (!leases.containsKey(token)) {
            send(ex, 400, errors("lease is not renewable"));
            return;
        }
        long lease = leaseSeconds.get();
        leases.put(token, System.currentTimeMillis() + lease * 1000);
        ObjectNode out = JSON.createObjectNode();
        out.putObject("auth").put("client_token", token).put("lease_duration", lease).put("renewable", true);
        send(ex, 200, out);
    }

    private void capabilities(HttpExchange ex, JsonNode body) throws IOException {
        ObjectNode out = JSON.createObjectNode();
        for (JsonNode p : body.path("paths")) {
            Matcher m = TRANSIT.matcher("/v1/" + p.asText());
            Access a = m.matches() && m.group(1).equals(MOUNT) ? access.getOrDefault(m.group(3), Access.FULL) : Access.NONE;
            String op = m.matches() ? m.group(2) : "";
            boolean allowed = switch (a) {
                case FULL -> true;
                case DISABLED -> op.equals("keys");
                case NO_DECRYPT -> !op.equals("decrypt");
                case NONE -> false;
            };
            out.putArray(p.asText()).add(allowed ? (op.equals("keys") ? "read" : "update") : "deny");
        }
        send(ex, 200, out);
    }

    private void transit(HttpExchange ex, String path, JsonNode body) throws IOException, GeneralSecurityException {
        Matcher m = TRANSIT.matcher(path);
        if (!m.matches() || !m.group(1).equals(MOUNT)) {
            send(ex, 404, errors("no handler for route \"" + path + "\". route entry not found."));
            return;
        }
        String op = m.group(2) + (m.group(4) != null ? "-rotate" : "");
        String name = m.group(3);
        counted(op);
        Access a = access.getOrDefault(name, Access.FULL);
        boolean allowed = switch (a) {
            case FULL -> true;
            case DISABLED -> op.equals("keys");
            case NO_DECRYPT -> !op.equals("decrypt");
            case NONE -> false;
        };
        if (!allowed) {
            send(ex, 403, errors("1 error occurred:\n\t* permission denied\n\n"));
            return;
        }
        FakeTransitKey key = keys.get(name);
        switch (op) {
            case "keys" -> {
                if (key == null) {
                    send(ex, 404, errors(""));
                    return;
                }
                ObjectNode data = JSON.createObjectNode().put("name", name).put("type", key.type).put("derived", key.derived)
                        .put("deletion_allowed", key.deletionAllowed).put("exportable", false).put("latest_version", key.latest())
                        .put("min_decryption_version", key.minDecryptionVersion).put("min_encryption_version", 0)
                        .put("supports_encryption", true).put("supports_decryption", true);
                ObjectNode versions = data.putObject("keys");
                for (int v = 1; v <= key.latest(); v++) {
                    versions.put(Integer.toString(v), 1700000000L + v);
                }
                ObjectNode out = JSON.createObjectNode();
                out.set("data", data);
                send(ex, 200, out);
            }
            case "keys-rotate" -> {
                if (key == null) {
                    send(ex, 400, errors("encryption key not found"));
                    return;
                }
                key.rotate();
                send(ex, 200, JSON.createObjectNode());
            }
            case "encrypt" -> {
                if (key == null) {
                    send(ex, 403, errors("1 error occurred:\n\t* permission denied\n\n")); // upsert needs "create", which Keyhold lacks
                    return;
                }
                if (key.derived && !body.has("context")) {
                    send(ex, 400, errors("missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key"));
                    return;
                }
                byte[] plaintext = Base64.getDecoder().decode(body.path("plaintext").asText(""));
                String ct = key.encrypt(plaintext, Base64.getDecoder().decode(body.path("associated_data").asText("")));
                ObjectNode out = JSON.createObjectNode();
                out.putObject("data").put("ciphertext", ct).put("key_version", key.latest());
                send(ex, 200, out);
            }
            case "decrypt" -> {
                if (key == null) {
                    send(ex, 400, errors("encryption key not found"));
                    return;
                }
                Object r = key.decrypt(body.path("ciphertext").asText(""), Base64.getDecoder().decode(body.path("associated_data").asText("")));
                if (r instanceof String error) {
                    send(ex, 400, errors(error));
                    return;
                }
                ObjectNode out = JSON.createObjectNode();
                out.putObject("data").put("plaintext", Base64.getEncoder().encodeToString((byte[]) r));
                send(ex, 200, out);
            }
            default -> send(ex, 405, errors("unsupported operation"));
        }
    }

    private void counted(String op) {
        counts.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
    }

    private static ObjectNode errors(String message) {
        ObjectNode out = JSON.createObjectNode();
        if (!message.isEmpty()) {
            out.putArray("errors").add(message);
        } else {
            out.putArray("errors");
        }
        return out;
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    private Path secretFile(String name, String value) {
        try {
            Path file = dir.resolve(name + "-" + random());
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, value + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String random() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
