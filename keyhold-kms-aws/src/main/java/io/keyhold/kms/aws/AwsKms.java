package io.keyhold.kms.aws;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.WrappedKey;
import io.keyhold.kms.aws.internal.AwsErrors;
import io.keyhold.kms.aws.internal.AwsSettings;
import io.keyhold.kms.aws.internal.KeyArn;
import io.keyhold.kms.aws.internal.KeyDescriptions;
import io.keyhold.kms.aws.internal.Plaintexts;
import io.keyhold.kms.aws.internal.RegionalClients;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;

/**
 * A connection to AWS KMS through the AWS SDK for Java v2 (its synchronous client, on
 * {@link BlockingKms}'s threads). Key references are key ARNs or alias ARNs; the region comes from
 * the ARN. One DEK costs one call each way: {@code GenerateDataKey} (AES_256, the encryption
 * context as AWS {@code EncryptionContext}) and {@code Decrypt}.
 *
 * <p>KEK references are {@code ("aws", reference as given, version)}: the version is the target key
 * ARN when the reference is an alias (so the DEK still unwraps after the alias moved, for as long
 * as that key is enabled) and empty for a key ARN (AWS's ciphertext blob names its key material
 * itself; the header stays small). See docs/kms/aws.md.
 */
public final class AwsKms extends BlockingKms {
    public static final String KIND = "aws";

    private final RegionalClients clients;

    AwsKms(AwsSettings settings) {
        super(KIND, settings.threads());
        this.clients = new RegionalClients(settings);
    }

    /** Opens a connection with the settings described in docs/kms/aws.md ({@code endpoint}, {@code fips}, timeouts). */
    public static AwsKms open(KmsConfig config) {
        return new AwsKms(AwsSettings.from(config));
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    protected KeyInfo describeBlocking(String keyRef) {
        KeyArn ref = KeyArn.parse(keyRef);
        return KeyDescriptions.info(ref, metadata(ref));
    }

    /** Key spec, usage and state, as {@link AwsKeyChecks} words them; the region is the validator's to check. */
    @Override
    public CompletionStage<List<String>> keyProblems(String keyRef) {
        return describe(keyRef).thenApply(info -> AwsKeyChecks.problems(info, null));
    }

    @Override
    protected GeneratedDek generateBlocking(String keyRef, EncryptionContext context) {
        KeyArn ref = KeyArn.parse(keyRef);
        requireContext(context);
        GenerateDataKeyResponse r = call("GenerateDataKey", ref, () -> client(ref).generateDataKey(b -> b
                .keyId(keyRef).keySpec(DataKeySpec.AES_256).encryptionContext(context.pairs())));
        DataKey dek = Plaintexts.take(r.plaintext(), "GenerateDataKey", ref);
        try {
            return new GeneratedDek(dek, new KekRef(KIND, keyRef, versionOf(ref, r.keyId())), r.ciphertextBlob().asByteArrayUnsafe());
        } catch (RuntimeException e) {
            dek.destroy();
            throw e;
        }
    }

    /**
     * {@code Encrypt} of the caller's key under {@code keyRef}, with the context as AWS encryption
     * context: the ciphertext is the same kind of blob {@code GenerateDataKey} returns, so
     * {@link #unwrapBlocking} takes both. The SDK's copy of the plaintext (its request object and
     * JSON body) is beyond reach and left to the garbage collector, as with {@code GenerateDataKey}'s
     * answer.
     */
    @Override
    protected WrappedKey wrapBlocking(String keyRef, DataKey key, EncryptionContext context) {
        KeyArn ref = KeyArn.parse(keyRef);
        requireContext(context);
        EncryptResponse r = call("Encrypt", ref, () -> key.withKeyBytes(bytes -> client(ref).encrypt(b -> b
                .keyId(keyRef).plaintext(SdkBytes.fromByteArray(bytes)).encryptionContext(context.pairs()))));
        return new WrappedKey(new KekRef(KIND, keyRef, versionOf(ref, r.keyId())), r.ciphertextBlob().asByteArrayUnsafe());
    }

    /** The KEK version records name: for an alias, the key it pointed to (AWS answers with that key's ARN); none for a key ARN. */
    private static String versionOf(KeyArn ref, String answeredKeyId) {
        return ref.alias() ? KeyArn.parse(answeredKeyId).arn() : "";
    }

    @Override
    protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
        if (kek == null || !KIND.equals(kek.provider())) {
            throw new IllegalArgumentException("not an AWS KMS key: " + kek);
        }
        if (edek == null || edek.length == 0) {
            throw new IllegalArgumentException("a wrapped DEK is required");
        }
        requireContext(context);
        KeyArn.parse(kek.keyId());
        KeyArn key = KeyArn.parse(kek.keyVersion().isEmpty() ? kek.keyId() : kek.keyVersion());
        if (!kek.keyVersion().isEmpty() && key.alias()) {
            throw new IllegalArgumentException("the version of an AWS KEK reference must be a key ARN, got " + kek.keyVersion());
        }
        return Plaintexts.take(call("Decrypt", key, () -> client(key).decrypt(b -> b
                .keyId(key.arn()).ciphertextBlob(SdkBytes.fromByteArrayUnsafe(edek)).encryptionContext(context.pairs())))
                .plaintext(), "Decrypt", key);
    }

    /** Rotates the key material on demand (for an alias: of its target key); AWS completes it in the background. */
    @Override
    protected KeyInfo rotateBlocking(String keyRef) {
        KeyArn ref = KeyArn.parse(keyRef);
        KeyMetadata m = metadata(ref);
        if (!KeyDescriptions.info(ref, m).rotatable()) {
            throw new UnsupportedOperationException("AWS KMS cannot rotate " + m.arn() + " on demand (key spec " + m.keySpecAsString()
                    + ", origin " + m.originAsString() + "): only customer-managed symmetric keys with AWS-made material"
                    + " outside custom key stores (multi-Region: the primary) rotate on demand");
        }
        KeyArn target = KeyArn.parse(m.arn());
        call("RotateKeyOnDemand", target, () -> client(target).rotateKeyOnDemand(b -> b.keyId(target.arn())));
        return describeBlocking(keyRef);
    }

    @Override
    protected void closeBlocking() {
        clients.close();
    }

    private KeyMetadata metadata(KeyArn ref) {
        return call("DescribeKey", ref, () -> client(ref).describeKey(b -> b.keyId(ref.arn())).keyMetadata());
    }

    private KmsClient client(KeyArn key) {
        return clients.forRegion(key.region());
    }

    private <T> T call(String op, KeyArn key, Supplier<T> request) {
        try {
            return request.get();
        } catch (SdkException e) {
            throw AwsErrors.map(op, key, e, () -> stateOf(key));
        }
    }

    /** The key's AWS state, for errors that say only "invalid state"; null when DescribeKey says so too. */
    private KeyState stateOf(KeyArn key) {
        try {
            return client(key).describeKey(b -> b.keyId(key.arn())).keyMetadata().keyState();
        } catch (SdkException e) {
            throw AwsErrors.map("DescribeKey", key, e, () -> null);
        }
    }

    private static void requireContext(EncryptionContext context) {
        if (context == null) {
            throw new IllegalArgumentException("an encryption context is required");
        }
    }
}
