package io.keyhold.kms.gcp.fake;

import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.KeyManagementServiceGrpc;
import io.grpc.Server;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.keyhold.kms.gcp.fake.FakeCryptoKey.Version;
import io.keyhold.kms.gcp.fake.FakeOperations.Integrity;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * Cloud KMS on the wire, in-process on 127.0.0.1: a gRPC server of
 * {@code google.cloud.kms.v1.KeyManagementService} built from the client's own method descriptors
 * ({@link KeyManagementServiceGrpc}) and protobuf marshallers. Over TLS (a test CA, {@link TestPki})
 * every call must carry a valid self-signed JWT of a trusted service account ({@link FakeAuth});
 * {@link #startPlaintext} is the emulator setting (no TLS, no credentials). Keys, versions, the
 * primary version, states, AAD binding, permissions and CRC32C fields are modelled
 * ({@link FakeOperations}); the admin side changes them directly, as a customer in the console would,
 * and causes outages and damage in transit. Stops with {@link #close()}.
 */
public final class FakeGcpKms implements KmsFakeAdmin.CanDelete, KmsFakeAdmin.CanDenyAccess, KmsFakeAdmin.CanCauseOutages, AutoCloseable {
    public static final String PROJECT = "keyhold-test";
    /** The service account the fake trusts from the start, and its key file. */
    private static TestServiceAccount keyholdAccount;

    /** How the fake misbehaves: the kit's outages, Cloud KMS's other transient failures, and damage in transit. */
    public enum Mode { NONE, HANG, UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, CORRUPT_RESPONSE, UNVERIFIED, DAMAGED_REQUEST }

    /**
     * One call as the fake saw it: the method, the status code answered, the caller, whether it
     * carried its CRC32C fields, and for an Encrypt answered the version id that wrapped ("" otherwise).
     */
    public record Request(String method, String code, String principal, boolean checksummed, String version) {
        Request(String method, String code, String principal, boolean checksummed) {
            this(method, code, principal, checksummed, "");
        }
    }

    private final String location;
    private final boolean tls;
    private final FakeOperations ops = new FakeOperations();
    private final FakeAuth auth = new FakeAuth();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<StreamObserver<?>> hanging = new ArrayList<>();
    private final AtomicInteger keys = new AtomicInteger();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-gcp-kms");
        t.setDaemon(true);
        return t;
    });
    private final Server server;
    private volatile Mode mode = Mode.NONE;

    private FakeGcpKms(String location, boolean tls) throws IOException {
        this.location = location;
        this.tls = tls;
        ServerServiceDefinition service = service();
        NettyServerBuilder b;
        InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls) {
            TestPki pki = TestPki.get();
            ServerCredentials creds = TlsServerCredentials.newBuilder()
                    .keyManager(new ByteArrayInputStream(pki.serverCertPem()), new ByteArrayInputStream(pki.serverKeyPem())).build();
            b = NettyServerBuilder.forAddress(loopback, creds);
            auth.trust(keyhold());
            b.addService(ServerInterceptors.intercept(service, auth));
        } else {
            b = NettyServerBuilder.forAddress(loopback);
            b.addService(service);
        }
        this.server = b.executor(threads).build().start();
    }

    /** A fake over TLS on a free loopback port whose admin creates keys in {@code location} (e.g. {@code us-central1}). */
    public static FakeGcpKms start(String location) {
        return start(location, true);
    }

    /** A fake without TLS or credentials, as an emulator runs: for the provider's {@code plaintext} setting. */
    public static FakeGcpKms startPlaintext(String location) {
        return start(location, false);
    }

    private static FakeGcpKms start(String location, boolean tls) {
        try {
            return new FakeGcpKms(location, tls);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The service account every TLS fake trusts (one key pair per test JVM). */
    public static synchronized TestServiceAccount keyhold() {
        if (keyholdAccount == null) {
            keyholdAccount = new TestServiceAccount("keyhold", PROJECT);
        }
        return keyholdAccount;
    }

    /** The provider's {@code endpoint} setting: {@code 127.0.0.1:<port>}. */
    public String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    /**
     * The provider settings a user would give for this fake: {@code endpoint}, and over TLS the test
     * CA as {@code ca-file} and the service account's key as {@code credentials-file}; without TLS
     * {@code plaintext=true}. Short client timeouts, so calls a hanging fake holds end soon.
     */
    public Map<String, String> settings() {
        Map<String, String> s = new HashMap<>(Map.of("endpoint", endpoint(), "attempt-timeout-ms", "2000", "call-timeout-ms", "4000"));
        if (tls) {
            s.put("ca-file", TestPki.get().caFile().toString());
            s.put("credentials-file", keyhold().file().toString());
        } else {
            s.put("plaintext", "true");
        }
        return s;
    }

    /** Lets another service account's self-signed JWTs in. */
    public void trust(TestServiceAccount account) {
        auth.trust(account);
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public long count(String method) {
        return requests.stream().filter(r -> r.method().equals(method)).count();
    }

    // ---- the service ----

    private ServerServiceDefinition service() {
        return ServerServiceDefinition.builder(KeyManagementServiceGrpc.SERVICE_NAME)
                .addMethod(KeyManagementServiceGrpc.getGetCryptoKeyMethod(), handler("GetCryptoKey", (r, i) -> ops.getCryptoKey(r)))
                .addMethod(KeyManagementServiceGrpc.getGetCryptoKeyVersionMethod(), handler("GetCryptoKeyVersion", (r, i) -> ops.getCryptoKeyVersion(r)))
                .addMethod(KeyManagementServiceGrpc.getEncryptMethod(), handler("Encrypt", ops::encrypt))
                .addMethod(KeyManagementServiceGrpc.getDecryptMethod(), handler("Decrypt", ops::decrypt))
                .addMethod(KeyManagementServiceGrpc.getCreateKeyRingMethod(), handler("CreateKeyRing", (r, i) -> ops.createKeyRing(r)))
                .addMethod(KeyManagementServiceGrpc.getCreateCryptoKeyMethod(), handler("CreateCryptoKey", (r, i) -> ops.createCryptoKey(r)))
                .addMethod(KeyManagementServiceGrpc.getCreateCryptoKeyVersionMethod(),
                        handler("CreateCryptoKeyVersion", (r, i) -> ops.createCryptoKeyVersion(r)))
                .addMethod(KeyManagementServiceGrpc.getUpdateCryptoKeyPrimaryVersionMethod(),
                        handler("UpdateCryptoKeyPrimaryVersion", (r, i) -> ops.updatePrimary(r)))
                .addMethod(KeyManagementServiceGrpc.getUpdateCryptoKeyVersionMethod(), handler("UpdateCryptoKeyVersion", (r, i) -> ops.updateVersion(r)))
                .addMethod(KeyManagementServiceGrpc.getDestroyCryptoKeyVersionMethod(), handler("DestroyCryptoKeyVersion", (r, i) -> ops.destroy(r)))
                .addMethod(KeyManagementServiceGrpc.getRestoreCryptoKeyVersionMethod(), handler("RestoreCryptoKeyVersion", (r, i) -> ops.restore(r)))
                .addMethod(KeyManagementServiceGrpc.getListCryptoKeyVersionsMethod(), handler("ListCryptoKeyVersions", (r, i) -> ops.listVersions(r)))
                .build();
    }

    private <Q, R> ServerCallHandler<Q, R> handler(String method, BiFunction<Q, Integrity, R> op) {
        return ServerCalls.asyncUnaryCall((request, response) -> serve(method, request, response, op));
    }

    private <Q, R> void serve(String method, Q request, StreamObserver<R> response, BiFunction<Q, Integrity, R> op) {
        String principal = tls ? FakeAuth.PRINCIPAL.get() : "";
        boolean checksummed = request instanceof EncryptRequest e ? e.hasPlaintextCrc32C() && e.hasAdditionalAuthenticatedDataCrc32C()
                : request instanceof DecryptRequest d && d.hasCiphertextCrc32C() && d.hasAdditionalAuthenticatedDataCrc32C();
        if (park(response)) {
            requests.add(new Request(method, "HANG", principal, checksummed));
            return; // answered UNAVAILABLE when the hang ends
        }
        Status outage = outageStatus();
        try {
            if (outage != null) {
                throw outage.asRuntimeException();
            }
            R answer = op.apply(request, integrity());
            String version = answer instanceof com.google.cloud.kms.v1.EncryptResponse e
                    ? e.getName().substring(e.getName().lastIndexOf('/') + 1) : "";
            requests.add(new Request(method, "OK", principal, checksummed, version));
            response.onNext(answer);
            response.onCompleted();
        } catch (StatusRuntimeException e) {
            requests.add(new Request(method, e.getStatus().getCode().name(), principal, checksummed));
            response.onError(e);
        }
    }

    /** Holds the call while the fake hangs; true when it did. */
    private boolean park(StreamObserver<?> response) {
        synchronized (hanging) {
            if (mode == Mode.HANG) {
                hanging.add(response);
                return true;
            }
            return false;
        }
    }

    /** The status an outage answers with, or null. */
    private Status outageStatus() {
        switch (mode) {
            case UNAVAILABLE:
                return Status.UNAVAILABLE.withDescription("The service is currently unavailable.");
            case INTERNAL:
                return Status.INTERNAL.withDescription("Internal error encountered.");
            case RESOURCE_EXHAUSTED:
                return Status.RESOURCE_EXHAUSTED.withDescription("Quota exceeded for quota metric 'Cryptographic requests'.");
            case DEADLINE_EXCEEDED:
                return Status.DEADLINE_EXCEEDED.withDescription("Deadline exceeded.");
            default:
                return null;
        }
    }

    private Integrity integrity() {
        switch (mode) {
            case CORRUPT_RESPONSE:
                return Integrity.CORRUPT_RESPONSE;
            case UNVERIFIED:
                return Integrity.UNVERIFIED;
            case DAMAGED_REQUEST:
                return Integrity.DAMAGED_REQUEST;
            default:
                return Integrity.NORMAL;
        }
    }

    public void misbehave(Mode m) {
        List<StreamObserver<?>> release;
        synchronized (hanging) {
            mode = m;
            if (m == Mode.HANG) {
                return;
            }
            release = new ArrayList<>(hanging);
            hanging.clear();
        }
        for (StreamObserver<?> r : release) {
            try {
                r.onError(Status.UNAVAILABLE.withDescription("The service is currently unavailable.").asRuntimeException());
            } catch (RuntimeException cancelledMeanwhile) {
                // the client gave up on the call
            }
        }
    }

    @Override
    public void close() {
        misbehave(Mode.NONE);
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        threads.shutdownNow();
    }

    // ---- the admin side: changes the model directly, as a customer would in the console ----

    @Override
    public String createKey() {
        return createKeyIn(location);
    }

    /** A new symmetric ENCRYPT_DECRYPT key with an enabled primary version 1, in key ring {@code keyhold} of {@code location}. */
    public String createKeyIn(String location) {
        return create(location, CryptoKeyPurpose.ENCRYPT_DECRYPT, CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION, true);
    }

    /** A key of another purpose and algorithm (e.g. {@code ASYMMETRIC_SIGN}, {@code EC_SIGN_P256_SHA256}), or without versions. */
    public String createKey(CryptoKeyPurpose purpose, CryptoKeyVersionAlgorithm algorithm, boolean firstVersion) {
        return create(location, purpose, algorithm, firstVersion);
    }

    private String create(String location, CryptoKeyPurpose purpose, CryptoKeyVersionAlgorithm algorithm, boolean firstVersion) {
        return ops.create(keyRing(location), "key-" + keys.incrementAndGet(), purpose, algorithm, firstVersion).name;
    }

    private static String keyRing(String location) {
        return "projects/" + PROJECT + "/locations/" + location + "/keyRings/keyhold";
    }

    @Override
    public String unknownKeyRef() {
        return keyRing(location) + "/cryptoKeys/missing-" + keys.incrementAndGet();
    }

    /** Disables the primary version: Encrypt fails, and so does Decrypt of what it wrapped. */
    @Override
    public void disable(String keyRef) {
        disableVersion(keyRef, primaryVersion(keyRef));
    }

    /** Enables the primary version again. */
    @Override
    public void enable(String keyRef) {
        enableVersion(keyRef, primaryVersion(keyRef));
    }

    /** A new version, made primary (a manual rotation, or what Google's automatic rotation does on schedule). */
    @Override
    public void rotate(String keyRef) {
        FakeCryptoKey k = ops.key(keyRef);
        k.primary = k.addVersion().id;
    }

    /** Schedules every version for destruction (Cloud KMS cannot delete keys, only destroy their versions). */
    @Override
    public void scheduleDeletion(String keyRef) {
        for (Version v : ops.key(keyRef).versions) {
            if (v.state == CryptoKeyVersionState.ENABLED || v.state == CryptoKeyVersionState.DISABLED) {
                v.state = CryptoKeyVersionState.DESTROY_SCHEDULED;
                v.destroyTime = java.time.Instant.now().plus(java.time.Duration.ofDays(30));
            }
        }
    }

    /** Destroys a version's key material for good, as Cloud KMS does at the end of the scheduled duration. */
    public void destroyVersion(String keyRef, int version) {
        Version v = ops.key(keyRef).version(version);
        v.state = CryptoKeyVersionState.DESTROYED;
    }

    public void disableVersion(String keyRef, int version) {
        ops.key(keyRef).version(version).state = CryptoKeyVersionState.DISABLED;
    }

    public void enableVersion(String keyRef, int version) {
        ops.key(keyRef).version(version).state = CryptoKeyVersionState.ENABLED;
    }

    /** Makes an existing version primary (UpdateCryptoKeyPrimaryVersion, as a customer rolls back). */
    public void makePrimary(String keyRef, int version) {
        ops.key(keyRef).primary = version;
    }

    public int primaryVersion(String keyRef) {
        return ops.key(keyRef).primary;
    }

    public int versions(String keyRef) {
        return ops.key(keyRef).versions.size();
    }

    public CryptoKeyVersionState state(String keyRef, int version) {
        return ops.key(keyRef).version(version).state;
    }

    /** The size of this fake's ciphertext for an n-byte plaintext (113 bytes for a 32-byte DEK, as Cloud KMS's). */
    public static int ciphertextSize(int n) {
        return FakeCiphertext.size(n);
    }

    @Override
    public void denyAccess(String keyRef) {
        ops.key(keyRef).denied.add("*");
    }

    @Override
    public void denyUnwrap(String keyRef) {
        deny(keyRef, "cloudkms.cryptoKeyVersions.useToDecrypt");
    }

    /** Keyhold's principal loses one permission (e.g. {@code cloudkms.cryptoKeys.get}) on the key. */
    public void deny(String keyRef, String permission) {
        ops.key(keyRef).denied.add(permission);
    }

    @Override
    public void allowAccess(String keyRef) {
        ops.key(keyRef).denied.clear();
    }

    @Override
    public void outage(Outage outage) {
        misbehave(outage == Outage.HANG ? Mode.HANG : outage == Outage.ERROR_503 ? Mode.UNAVAILABLE : Mode.NONE);
    }
}
