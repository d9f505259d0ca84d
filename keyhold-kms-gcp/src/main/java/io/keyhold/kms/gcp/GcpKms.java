package io.keyhold.kms.gcp;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.api.gax.rpc.UnaryCallable;
import com.google.cloud.kms.v1.CreateCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.GetCryptoKeyRequest;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.UpdateCryptoKeyPrimaryVersionRequest;
import com.google.protobuf.ByteString;
import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.gcp.internal.Crc32c;
import io.keyhold.kms.gcp.internal.GcpErrors;
import io.keyhold.kms.gcp.internal.GcpSettings;
import io.keyhold.kms.gcp.internal.KeyDescriptions;
import io.keyhold.kms.gcp.internal.KeyName;
import io.keyhold.kms.gcp.internal.KmsClients;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * A connection to Google Cloud KMS through the official client ({@code google-cloud-kms}, gRPC).
 * The client's calls are asynchronous ({@code futureCall}), so this implements {@link Kms}
 * directly: no method blocks its caller or holds a thread of its own while Cloud KMS answers;
 * stages complete on the client's threads.
 *
 * <p>Key references are key names ({@code projects/.../cryptoKeys/<key>}). Keyhold makes each
 * 256-bit DEK itself ({@link DataKey#generate}) and wraps it with {@code Encrypt} under the key
 * (the service picks the primary version and names it in its answer: the KEK reference's version),
 * with the encryption context's canonical bytes as {@code additional_authenticated_data};
 * {@code Decrypt} names the key only (the ciphertext names its version). Every request carries
 * CRC32C fields and every response's are checked; a mismatch is unavailable (retry), as Google
 * recommends. See docs/kms/gcp.md.
 */
public final class GcpKms implements Kms {
    public static final String KIND = "gcp";

    private final KmsClients.Opened opened;
    private final KeyManagementServiceClient client;
    private volatile boolean closed;

    GcpKms(GcpSettings settings) {
        this.opened = KmsClients.open(settings);
        this.client = opened.client();
    }

    /** Opens a connection with the settings described in docs/kms/gcp.md ({@code endpoint}, {@code credentials-file}, ...). */
    public static GcpKms open(KmsConfig config) {
        return new GcpKms(GcpSettings.from(config));
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public CompletionStage<KeyInfo> describe(String keyRef) {
        return withKey(keyRef, key -> cryptoKey(key).thenApply(k -> KeyDescriptions.info(key, k)));
    }

    /** Purpose, algorithm, the primary version's state and a single-region location, as {@link GcpKeyChecks} words them. */
    @Override
    public CompletionStage<List<String>> keyProblems(String keyRef) {
        return withKey(keyRef, key -> cryptoKey(key).thenApply(k -> GcpKeyChecks.problems(key, k)));
    }

    /** A new random DEK, wrapped by {@link #wrap}: Cloud KMS has no call that makes data keys. */
    @Override
    public CompletionStage<GeneratedDek> generate(String keyRef, EncryptionContext context) {
        if (context == null) {
            return Kms.failed(new IllegalArgumentException("an encryption context is required"));
        }
        DataKey dek = DataKey.generate();
        return wrap(keyRef, dek, context).handle((wrapped, err) -> {
            if (err != null) {
                dek.destroy();
                throw KmsCalls.asCompletionFailure(err);
            }
            return new GeneratedDek(dek, wrapped.kek(), wrapped.edek());
        });
    }

    /** {@code Encrypt} of the key under the key's primary version, with the context as additional authenticated data. */
    @Override
    public CompletionStage<WrappedKey> wrap(String keyRef, DataKey key, EncryptionContext context) {
        if (key == null || context == null) {
            return Kms.failed(new IllegalArgumentException("wrap needs a key and an encryption context"));
        }
        return withKey(keyRef, name -> {
            // the plaintext's ByteString copy and gRPC's buffers are beyond reach: left to the garbage collector
            ByteString plaintext = key.withKeyBytes(ByteString::copyFrom);
            ByteString aad = ByteString.copyFrom(context.canonicalBytes());
            EncryptRequest request = EncryptRequest.newBuilder().setName(name.name())
                    .setPlaintext(plaintext).setPlaintextCrc32C(Crc32c.field(plaintext))
                    .setAdditionalAuthenticatedData(aad).setAdditionalAuthenticatedDataCrc32C(Crc32c.field(aad)).build();
            return call("Encrypt", name, client.encryptCallable(), request, false)
                    .thenApply(r -> new WrappedKey(new KekRef(KIND, keyRef, wrappedUnder(name, r)), r.getCiphertext().toByteArray()));
        });
    }

    /** The version that wrapped, after checking the response arrived whole and the service verified the request. */
    private static String wrappedUnder(KeyName key, EncryptResponse r) {
        if (!r.getVerifiedPlaintextCrc32C() || !r.getVerifiedAdditionalAuthenticatedDataCrc32C()) {
            throw GcpErrors.damaged("Encrypt", key, "the service did not confirm the request's CRC32C checksums");
        }
        if (!Crc32c.matches(r.hasCiphertextCrc32C(), r.getCiphertextCrc32C(), r.getCiphertext())) {
            throw GcpErrors.damaged("Encrypt", key, "the ciphertext does not match its CRC32C checksum");
        }
        String version = key.versionId(r.getName());
        if (version == null) {
            throw GcpErrors.damaged("Encrypt", key, "the answer names '" + r.getName() + "', no version of the key");
        }
        return version;
    }

    @Override
    public CompletionStage<DataKey> unwrap(KekRef kek, byte[] edek, EncryptionContext context) {
        if (kek == null || edek == null || edek.length == 0 || context == null) {
            return Kms.failed(new IllegalArgumentException("unwrap needs a KEK reference, a wrapped DEK and an encryption context"));
        }
        if (!KIND.equals(kek.provider())) {
            return Kms.failed(new IllegalArgumentException("not a Cloud KMS key: " + kek));
        }
        ByteString ciphertext = ByteString.copyFrom(edek);
        return withKey(kek.keyId(), key -> {
            ByteString aad = ByteString.copyFrom(context.canonicalBytes());
            DecryptRequest request = DecryptRequest.newBuilder().setName(key.name())
                    .setCiphertext(ciphertext).setCiphertextCrc32C(Crc32c.field(ciphertext))
                    .setAdditionalAuthenticatedData(aad).setAdditionalAuthenticatedDataCrc32C(Crc32c.field(aad)).build();
            return call("Decrypt", key, client.decryptCallable(), request, true).thenApply(r -> dataKey(key, r));
        });
    }

    private static DataKey dataKey(KeyName key, DecryptResponse r) {
        ByteString plaintext = r.getPlaintext();
        if (!Crc32c.matches(r.hasPlaintextCrc32C(), r.getPlaintextCrc32C(), plaintext)) {
            throw GcpErrors.damaged("Decrypt", key, "the plaintext does not match its CRC32C checksum");
        }
        if (plaintext.size() != DataKey.LENGTH) {
            throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, "Cloud KMS Decrypt of " + key + " returned "
                    + plaintext.size() + " bytes, not a " + DataKey.LENGTH + "-byte data key");
        }
        return DataKey.fromBytesWipingSource(plaintext.toByteArray());
    }

    /**
     * A new version (CreateCryptoKeyVersion) made primary (UpdateCryptoKeyPrimaryVersion), as
     * {@code gcloud kms keys versions create --primary} does; older versions stay enabled and keep
     * decrypting. Keys that are not ENCRYPT_DECRYPT have no primary version to rotate.
     */
    @Override
    public CompletionStage<KeyInfo> rotate(String keyRef) {
        return withKey(keyRef, key -> cryptoKey(key).thenCompose(k -> {
            if (k.getPurpose() != CryptoKeyPurpose.ENCRYPT_DECRYPT) {
                throw new UnsupportedOperationException("Cloud KMS key " + key + " has purpose " + k.getPurpose()
                        + ": only ENCRYPT_DECRYPT keys have a primary version to rotate");
            }
            CreateCryptoKeyVersionRequest create = CreateCryptoKeyVersionRequest.newBuilder().setParent(key.name())
                    .setCryptoKeyVersion(CryptoKeyVersion.getDefaultInstance()).build();
            return call("CreateCryptoKeyVersion", key, client.createCryptoKeyVersionCallable(), create, false);
        }).thenCompose(v -> {
            String id = key.versionId(v.getName());
            if (id == null) {
                throw GcpErrors.damaged("CreateCryptoKeyVersion", key, "the answer names '" + v.getName() + "', no version of the key");
            }
            UpdateCryptoKeyPrimaryVersionRequest primary = UpdateCryptoKeyPrimaryVersionRequest.newBuilder().setName(key.name())
                    .setCryptoKeyVersionId(id).build();
            return call("UpdateCryptoKeyPrimaryVersion", key, client.updateCryptoKeyPrimaryVersionCallable(), primary, false);
        }).thenApply(k -> KeyDescriptions.info(key, k)));
    }

    private CompletableFuture<CryptoKey> cryptoKey(KeyName key) {
        return call("GetCryptoKey", key, client.getCryptoKeyCallable(), GetCryptoKeyRequest.newBuilder().setName(key.name()).build(), false);
    }

    /** Parses the reference and runs {@code body}; a bad reference or a closed connection fails the stage, nothing throws. */
    private <T> CompletionStage<T> withKey(String keyRef, java.util.function.Function<KeyName, CompletionStage<T>> body) {
        if (closed) {
            return Kms.failed(new IllegalStateException("the " + KIND + " KMS connection is closed"));
        }
        try {
            return body.apply(KeyName.parse(keyRef));
        } catch (RuntimeException e) {
            return Kms.failed(e);
        }
    }

    /** One asynchronous call; its failure mapped to denied or unavailable, on the client's thread that completes it. */
    private static <Q, R> CompletableFuture<R> call(String op, KeyName key, UnaryCallable<Q, R> callable, Q request, boolean unwrapping) {
        CompletableFuture<R> result = new CompletableFuture<>();
        ApiFuture<R> call;
        try {
            call = callable.futureCall(request);
        } catch (RuntimeException e) {
            result.completeExceptionally(GcpErrors.map(op, key, e, unwrapping));
            return result;
        }
        ApiFutures.addCallback(call, new ApiFutureCallback<R>() {
            @Override
            public void onFailure(Throwable t) {
                result.completeExceptionally(GcpErrors.map(op, key, t, unwrapping));
            }

            @Override
            public void onSuccess(R value) {
                result.complete(value);
            }
        }, Runnable::run);
        return result;
    }

    /** Stops the client; calls under way finish or fail on their own deadline, later calls fail. */
    @Override
    public void close() {
        closed = true;
        opened.close();
    }
}
