package io.keyhold.kms.azure.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import io.keyhold.kms.testkit.TestCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Azure Key Vault (or a Managed HSM) on the wire, HTTPS on 127.0.0.1 with a test CA: the key
 * operations of the REST API at the one {@code api-version} Keyhold speaks, behind Key Vault's
 * bearer-token challenge ({@code 401} with {@code WWW-Authenticate: Bearer authorization="...<tenant>",
 * resource="https://vault.azure.net"}) and tokens from a {@link FakeEntraId} for the vault's tenant
 * and audience. The provider reaches it through its {@code endpoint} setting, with key URLs of the
 * vault it stands for ({@code https://<name>.vault.azure.net/keys/...}). The admin side changes keys
 * as a customer would in the portal and causes outages. Stops with {@link #close()}.
 */
public final class FakeKeyVault implements KmsFakeAdmin.CanDelete, KmsFakeAdmin.CanDenyAccess, KmsFakeAdmin.CanCauseOutages,
        AutoCloseable {
    public static final String API_VERSION = "2025-07-01";
    private static final Pattern PATH = Pattern.compile("/keys/([A-Za-z0-9-]+)(?:/([A-Za-z0-9]+))?(?:/(wrapkey|unwrapkey|rotate))?/?");

    /** How the vault misbehaves: the kit's outages and Key Vault's other transient failures. */
    public enum Mode { NONE, HANG, ERROR_503, INTERNAL_500, THROTTLED_429 }

    /** One request as the vault saw it. */
    public record Request(String method, String path, String apiVersion, int status) {
    }

    private final String vaultUrl;
    private final String resource;
    private final String tenant;
    private final FakeEntraId entra;
    private final Map<String, FakeVaultKey> keys = new ConcurrentHashMap<>();
    private final FakeVaultOperations ops;
    private final ObjectMapper json = new ObjectMapper();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger names = new AtomicInteger();
    private final Object modeChanged = new Object();
    private final ExecutorService threads;
    private final HttpsServer server;
    private volatile Mode mode = Mode.NONE;
    private volatile boolean closed;
    private volatile int rsaBits = 2048;

    private FakeKeyVault(TestCa pki, FakeEntraId entra, String vaultName, boolean hsm, String tenant) throws IOException {
        this.vaultUrl = "https://" + vaultName + (hsm ? ".managedhsm.azure.net" : ".vault.azure.net");
        this.resource = hsm ? "https://managedhsm.azure.net" : "https://vault.azure.net";
        this.tenant = tenant;
        this.entra = entra;
        this.ops = new FakeVaultOperations(vaultUrl, keys);
        threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-key-vault");
            t.setDaemon(true);
            return t;
        });
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setHttpsConfigurator(new HttpsConfigurator(pki.serverContext()));
        server.setExecutor(threads);
        server.createContext("/", x -> {
            try {
                exchange(x);
            } catch (IOException | RuntimeException e) {
                e.printStackTrace(); // a fake's own bug: show it, the client sees the connection close
                throw e;
            }
        });
        server.start();
    }

    /** A Key Vault named {@code vaultName} (or, with {@code hsm}, a Managed HSM) in {@code tenant}, on a free loopback port. */
    public static FakeKeyVault start(TestCa pki, FakeEntraId entra, String vaultName, boolean hsm, String tenant) {
        try {
            return new FakeKeyVault(pki, entra, vaultName, hsm, tenant);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What to give the provider as its {@code endpoint} setting. */
    public URI endpoint() {
        return URI.create("https://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The vault's own URL, e.g. {@code https://orders.vault.azure.net}: key URLs start with it. */
    public String vaultUrl() {
        return vaultUrl;
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** How many requests ended with {@code status} on paths ending with {@code suffix} (e.g. {@code /wrapkey}). */
    public long count(String suffix, int status) {
        return requests.stream().filter(r -> r.path().endsWith(suffix) && r.status() == status).count();
    }

    public void misbehave(Mode m) {
        synchronized (modeChanged) {
            mode = m;
            modeChanged.notifyAll();
        }
    }

    private void exchange(HttpExchange x) throws IOException {
        int status = 200;
        byte[] out;
        String query = x.getRequestURI().getRawQuery() == null ? "" : x.getRequestURI().getRawQuery();
        String apiVersion = query.replaceAll(".*(?:^|&)api-version=([^&]*).*", "$1");
        try (x) {
            byte[] body = x.getRequestBody().readAllBytes();
            try {
                awaitService();
                authenticate(x);
                if (!query.matches("(?:.*&)?api-version=[^&]+(?:&.*)?")) {
                    throw FakeVaultError.badParameter("The api-version query parameter is required.");
                }
                if (!API_VERSION.equals(apiVersion)) {
                    throw FakeVaultError.badParameter("The specified version (" + apiVersion + ") is not recognized. Consider using the"
                            + " latest supported version (" + API_VERSION + ").");
                }
                out = json.writeValueAsBytes(route(x.getRequestMethod(), x.getRequestURI().getPath(), body));
            } catch (FakeVaultError e) {
                status = e.status;
                ObjectNode err = json.createObjectNode();
                ObjectNode error = err.putObject("error").put("code", e.code).put("message", e.getMessage());
                if (e.inner != null) {
                    error.putObject("innererror").put("code", e.inner);
                }
                out = json.writeValueAsBytes(err);
            } catch (IOException e) {
                status = 400;
                out = "{\"error\":{\"code\":\"BadParameter\",\"message\":\"The request body is not JSON.\"}}".getBytes(StandardCharsets.UTF_8);
            }
            requests.add(new Request(x.getRequestMethod(), x.getRequestURI().getPath(), apiVersion, status));
            x.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            x.getResponseHeaders().set("x-ms-request-id", UUID.randomUUID().toString());
            if (status == 429) {
                x.getResponseHeaders().set("Retry-After", "1");
            }
            x.sendResponseHeaders(status, out.length);
            x.getResponseBody().write(out);
        }
    }

    /** Key Vault's challenge: no token, a token of another tenant or audience, or an unknown one get a 401 naming this vault's tenant. */
    private void authenticate(HttpExchange x) {
        String auth = x.getRequestHeaders().getFirst("Authorization");
        FakeEntraId.Issued t = auth != null && auth.startsWith("Bearer ") ? entra.verify(auth.substring("Bearer ".length())) : null;
        String problem = auth == null ? "AKV10000: Request is missing a Bearer or PoP token."
                : t == null ? "AKV10022: Invalid audience or token." : !t.tenant().equals(tenant)
                ? "AKV10032: Invalid issuer. Expected one of https://sts.windows.net/" + tenant + "/, found https://sts.windows.net/" + t.tenant() + "/."
                : !t.audience().equals(resource) ? "AKV10022: Invalid audience. Expected " + resource + ", found: " + t.audience() + "." : null;
        if (problem != null) {
            x.getResponseHeaders().set("WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/" + tenant
                    + "\", resource=\"" + resource + "\"");
            throw new FakeVaultError(401, "Unauthorized", null, problem);
        }
    }

    private JsonNode route(String method, String path, byte[] body) throws IOException {
        Matcher m = PATH.matcher(path);
        if (!m.matches()) {
            throw new FakeVaultError(404, "NotFound", null, "The requested path is not served by this vault.");
        }
        String name = m.group(1);
        String version = m.group(2);
        String op = m.group(3);
        if (op == null && version != null && version.equals("rotate")) {
            op = "rotate";
            version = null;
        }
        if (method.equals("GET") && op == null) {
            return ops.get(name, version);
        }
        if (method.equals("POST") && "rotate".equals(op) && version == null) {
            return ops.rotate(name);
        }
        if (method.equals("POST") && version != null && ("wrapkey".equals(op) || "unwrapkey".equals(op))) {
            JsonNode req = json.readTree(body);
            return op.equals("wrapkey") ? ops.wrap(name, version, req) : ops.unwrap(name, version, req);
        }
        throw new FakeVaultError(405, "MethodNotAllowed", null, method + " is not allowed on " + path + ".");
    }

    private void awaitService() {
        synchronized (modeChanged) {
            while (mode == Mode.HANG && !closed) {
                try {
                    modeChanged.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FakeVaultError(503, "ServiceUnavailable", null, "interrupted");
                }
            }
        }
        switch (mode) {
            case ERROR_503:
                throw new FakeVaultError(503, "ServiceUnavailable", null, "The service is unavailable.");
            case INTERNAL_500:
                throw new FakeVaultError(500, "InternalServerError", null, "An internal error occurred.");
            case THROTTLED_429:
                throw new FakeVaultError(429, "Throttled", null, "Request was not processed because too many requests were received.");
            default:
                break;
        }
    }

    @Override
    public void close() {
        closed = true;
        misbehave(Mode.NONE);
        server.stop(0);
        threads.shutdownNow();
    }

    // ---- the admin side: changes the model directly, as a customer would in the portal ----

    /** The size of RSA keys {@link #createKey()} makes from now on (2048 by default). */
    public void rsaBits(int bits) {
        rsaBits = bits;
    }

    @Override
    public String createKey() {
        return createKey(vaultUrl.contains(".managedhsm.") ? "RSA-HSM" : "RSA");
    }

    /** A new key of type {@code kty} ({@code RSA}, {@code RSA-HSM}, {@code EC}, {@code EC-HSM}); returns its versionless URL. */
    public String createKey(String kty) {
        FakeVaultKey k = new FakeVaultKey("keyhold-" + names.incrementAndGet(), kty, rsaBits);
        keys.put(k.name, k);
        return vaultUrl + "/keys/" + k.name;
    }

    @Override
    public String unknownKeyRef() {
        return vaultUrl + "/keys/missing-" + names.incrementAndGet();
    }

    private FakeVaultKey key(String ref) {
        String name = ref.substring(ref.indexOf("/keys/") + "/keys/".length()).split("/")[0];
        FakeVaultKey k = keys.get(name);
        if (k == null) {
            throw new IllegalArgumentException("the fake vault has no key " + ref);
        }
        return k;
    }

    /** The current version's id. */
    public String currentVersion(String ref) {
        return key(ref).current().id;
    }

    public int versions(String ref) {
        return key(ref).versions.size();
    }

    /** Disables the current version, as {@code az keyvault key set-attributes --enabled false} does. */
    @Override
    public void disable(String keyRef) {
        key(keyRef).current().enabled = false;
    }

    @Override
    public void enable(String keyRef) {
        key(keyRef).current().enabled = true;
    }

    /** Disables or enables one version. */
    public void enableVersion(String keyRef, String version, boolean enabled) {
        key(keyRef).version(version).enabled = enabled;
    }

    /** Sets the current version's expiration and activation dates (null: none). */
    public void dates(String keyRef, Instant notBefore, Instant expires) {
        FakeVaultKey.Version v = key(keyRef).current();
        v.notBefore = notBefore;
        v.expires = expires;
    }

    /** The key's permitted operations, e.g. {@code List.of("encrypt", "decrypt")}. */
    public void keyOps(String keyRef, List<String> ops) {
        key(keyRef).keyOps = List.copyOf(ops);
    }

    /** The key's recovery level as Key Vault reports it, e.g. {@code Recoverable+Purgeable} (no purge protection). */
    public void recoveryLevel(String keyRef, String level) {
        key(keyRef).recoveryLevel = level;
    }

    /** A new version, as Azure's rotation policy or {@code az keyvault key rotate} makes. */
    @Override
    public void rotate(String keyRef) {
        key(keyRef).rotate();
    }

    /** Deletes the key (soft delete: it is not found from then on). */
    @Override
    public void scheduleDeletion(String keyRef) {
        key(keyRef).deleted = true;
    }

    @Override
    public void denyAccess(String keyRef) {
        key(keyRef).denied.add("*");
    }

    @Override
    public void denyUnwrap(String keyRef) {
        key(keyRef).denied.add("unwrap");
    }

    /** From now on the key's unwraps answer with one bit changed: a round trip that does not give back what was wrapped. */
    public void unwrapWrongly(String keyRef) {
        key(keyRef).unwrapsWrongly = true;
    }

    @Override
    public void allowAccess(String keyRef) {
        key(keyRef).denied.clear();
    }

    @Override
    public void outage(Outage outage) {
        misbehave(outage == Outage.HANG ? Mode.HANG : outage == Outage.ERROR_503 ? Mode.ERROR_503 : Mode.NONE);
    }
}
