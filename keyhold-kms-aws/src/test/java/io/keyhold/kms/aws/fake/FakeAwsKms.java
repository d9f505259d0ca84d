package io.keyhold.kms.aws.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * AWS KMS on the wire, in-process on 127.0.0.1: {@code POST /} with
 * {@code X-Amz-Target: TrentService.<Op>} and {@code application/x-amz-json-1.1} bodies, every
 * request's SigV4 signature verified with the test's secret key, errors as {@code __type} JSON
 * with AWS's status codes. Keys, aliases, rotation, encryption-context binding and access denial
 * are modelled ({@link FakeOperations}, {@link FakeBlob}); its admin side changes them directly,
 * as a customer in the AWS console would, and causes outages. Stops with {@link #close()}.
 */
public final class FakeAwsKms implements KmsFakeAdmin.CanDelete, KmsFakeAdmin.CanDenyAccess, KmsFakeAdmin.CanCauseOutages, AutoCloseable {
    /** The static test credentials the SDK signs with (read by the default chain from system properties). */
    public static final String ACCESS_KEY = "AKIAKEYHOLDTESTFAKE1";
    public static final String SECRET_KEY = "keyhold/fake/kms/secret/key/for/tests/only0";

    /** How the fake misbehaves: the kit's outages and AWS's other transient failures. */
    public enum Mode { NONE, HANG, ERROR_503, INTERNAL_500, THROTTLING }

    /** One request as the fake saw it. */
    public record Request(String op, String signingRegion, int status) {
    }

    private final String defaultRegion;
    private final FakeKeyStore store = new FakeKeyStore();
    private final FakeOperations ops = new FakeOperations(store);
    private final SigV4Check signatures = new SigV4Check(Map.of(ACCESS_KEY, SECRET_KEY));
    private final ObjectMapper json = new ObjectMapper();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final Map<String, FakeKey> byRef = new ConcurrentHashMap<>();
    private final AtomicInteger aliases = new AtomicInteger();
    private final Object modeChanged = new Object();
    private final ExecutorService threads;
    private final HttpServer server;
    private volatile Mode mode = Mode.NONE;
    private volatile boolean closed;

    private FakeAwsKms(String defaultRegion) throws IOException {
        this.defaultRegion = defaultRegion;
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fake-aws-kms");
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(threads);
        server.createContext("/", this::exchange);
        server.start();
    }

    /** A fake on a free loopback port whose admin creates keys in {@code defaultRegion}. */
    public static FakeAwsKms start(String defaultRegion) {
        try {
            return new FakeAwsKms(defaultRegion);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What to give the provider as its {@code endpoint} setting. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Every request so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public long count(String op) {
        return requests.stream().filter(r -> r.op().equals(op)).count();
    }

    public void misbehave(Mode m) {
        synchronized (modeChanged) {
            mode = m;
            modeChanged.notifyAll();
        }
    }

    private void exchange(HttpExchange x) throws IOException {
        String op = "";
        String region = "";
        int status = 200;
        byte[] out;
        try (x) {
            byte[] body = x.getRequestBody().readAllBytes();
            String target = String.valueOf(x.getRequestHeaders().getFirst("X-Amz-Target"));
            op = target.startsWith("TrentService.") ? target.substring("TrentService.".length()) : target;
            try {
                awaitService();
                region = signatures.verify(x.getRequestMethod(), x.getRequestURI().getRawPath(), x.getRequestURI().getRawQuery(),
                        x.getRequestHeaders(), body);
                if (!x.getRequestMethod().equals("POST") || !target.startsWith("TrentService.")) {
                    throw FakeKmsError.client("UnknownOperationException", null);
                }
                if (!"application/x-amz-json-1.1".equals(x.getRequestHeaders().getFirst("Content-Type"))) {
                    throw FakeKmsError.client("SerializationException", "expected Content-Type application/x-amz-json-1.1");
                }
                JsonNode req = body.length == 0 ? json.createObjectNode() : json.readTree(body);
                out = json.writeValueAsBytes(ops.handle(op, req, region));
            } catch (FakeKmsError e) {
                status = e.status;
                ObjectNode err = json.createObjectNode().put("__type", e.type);
                if (e.getMessage() != null) {
                    err.put("message", e.getMessage());
                }
                out = json.writeValueAsBytes(err);
            } catch (IOException e) {
                status = 400;
                out = ("{\"__type\":\"SerializationException\"}").getBytes(StandardCharsets.UTF_8);
            }
            requests.add(new Request(op, region, status));
            x.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
            x.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
            x.sendResponseHeaders(status, out.length);
            x.getResponseBody().write(out);
        }
    }

    /** Waits out a hang; answers the other outages as AWS's front end would. */
    private void awaitService() {
        synchronized (modeChanged) {
            while (mode == Mode.HANG && !closed) {
                try {
                    modeChanged.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new FakeKmsError(503, "ServiceUnavailableException", null);
                }
            }
        }
        switch (mode) {
            case ERROR_503:
                throw new FakeKmsError(503, "ServiceUnavailableException", "Service Unavailable");
            case INTERNAL_500:
                throw new FakeKmsError(500, "KMSInternalException", "An internal error occurred.");
            case THROTTLING:
                throw FakeKmsError.client("ThrottlingException", "Rate exceeded");
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

    // ---- the admin side: changes the model directly, as a customer would in AWS ----

    @Override
    public String createKey() {
        return createKeyIn(defaultRegion);
    }

    /** A new enabled symmetric key in {@code region}; returns its ARN. */
    public String createKeyIn(String region) {
        FakeKey k = store.create(region, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        byRef.put(k.arn, k);
        return k.arn;
    }

    /** A key of another spec (e.g. {@code HMAC_256}, {@code GENERATE_VERIFY_MAC}) in the default region; returns its ARN. */
    public String createKey(String keySpec, String keyUsage) {
        FakeKey k = store.create(defaultRegion, keySpec, keyUsage);
        byRef.put(k.arn, k);
        return k.arn;
    }

    /** A new alias to {@code keyArn}; returns the alias ARN. */
    public String createAlias(String keyArn) {
        FakeKey k = key(keyArn);
        String name = "alias/keyhold-" + aliases.incrementAndGet();
        store.alias(k.region, name, k, true);
        String arn = FakeKeyStore.aliasArn(k.region, name);
        byRef.put(arn, k);
        return arn;
    }

    /** Moves the alias {@code aliasArn} to {@code keyArn}. */
    public void moveAlias(String aliasArn, String keyArn) {
        FakeKey k = key(keyArn);
        store.alias(k.region, aliasArn.substring(aliasArn.indexOf(":alias/") + 1), k, false);
        byRef.put(aliasArn, k);
    }

    /** The ARN of the key a reference (key or alias ARN) points at now. */
    public String keyArn(String ref) {
        return key(ref).arn;
    }

    /** The id of the key material the key wraps with now (what DescribeKey reports as CurrentKeyMaterialId). */
    public String currentMaterial(String ref) {
        return key(ref).current().idHex();
    }

    /** How many key materials the key has had. */
    public int materials(String ref) {
        return key(ref).materials.size();
    }

    /** The id of the key material a ciphertext blob of this fake names. */
    public static String materialOf(byte[] blob) {
        return java.util.HexFormat.of().formatHex(FakeBlob.header(blob).materialId());
    }

    /** The size of this fake's blob for an n-byte plaintext. */
    public static int blobSize(int n) {
        return FakeBlob.OVERHEAD + n;
    }

    private FakeKey key(String ref) {
        FakeKey k = byRef.get(ref);
        if (k != null) {
            return k;
        }
        String[] arn = ref.split(":");
        if (arn.length < 6) {
            throw new IllegalArgumentException("the fake has no key " + ref);
        }
        return store.resolve(ref, arn[3], true); // made over the wire (CreateKey, CreateAlias)
    }

    @Override
    public String unknownKeyRef() {
        return "arn:aws:kms:" + defaultRegion + ":" + FakeKeyStore.ACCOUNT + ":key/" + UUID.randomUUID();
    }

    @Override
    public void disable(String keyRef) {
        key(keyRef).state = "Disabled";
    }

    @Override
    public void enable(String keyRef) {
        key(keyRef).state = "Enabled";
    }

    @Override
    public void rotate(String keyRef) {
        key(keyRef).rotate();
    }

    @Override
    public void scheduleDeletion(String keyRef) {
        FakeKey k = key(keyRef);
        k.state = "PendingDeletion";
        k.deletionDate = java.time.Instant.now().plus(java.time.Duration.ofDays(7));
    }

    /** Deletes the key for good, as AWS does at the end of the waiting period. */
    public void destroy(String keyRef) {
        store.destroy(key(keyRef));
    }

    @Override
    public void denyAccess(String keyRef) {
        key(keyRef).denied.add("*");
    }

    @Override
    public void allowAccess(String keyRef) {
        key(keyRef).denied.clear();
    }

    @Override
    public void denyUnwrap(String keyRef) {
        key(keyRef).denied.add("Decrypt");
    }

    /** Keyhold's principal may no longer do {@code op} (e.g. {@code DescribeKey}) with the key. */
    public void deny(String keyRef, String op) {
        key(keyRef).denied.add(op);
    }

    @Override
    public void outage(Outage outage) {
        misbehave(outage == Outage.HANG ? Mode.HANG : outage == Outage.ERROR_503 ? Mode.ERROR_503 : Mode.NONE);
    }
}
