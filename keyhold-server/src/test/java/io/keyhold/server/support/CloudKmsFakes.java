package io.keyhold.server.support;

import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.azure.fake.FakeAzure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * AWS KMS and Azure Key Vault for a test server: the real {@code aws} and {@code azure} providers
 * (found through ServiceLoader, as a server finds them) talking to the providers' wire-level fakes
 * on 127.0.0.1, with the fakes' credentials given the way a user gives them (the SDKs' system
 * properties). One at a time per JVM: the credentials are process-wide. {@link #close()} stops the
 * fakes and clears the credentials.
 */
public final class CloudKmsFakes implements AutoCloseable {
    /** The region the AWS fake's keys are in unless a test says otherwise. */
    public static final String AWS_REGION = "us-west-2";
    /** The Key Vault's name: its keys are {@code https://vault-name.vault.azure.net/keys/<name>}. */
    public static final String VAULT_NAME = "vault-name";

    private final Path dir;
    private final FakeAwsKms aws;
    private final FakeAzure azure;

    private CloudKmsFakes(Path dir) {
        this.dir = dir;
        this.aws = FakeAwsKms.start(AWS_REGION);
        this.azure = FakeAzure.keyVault(dir, VAULT_NAME);
        System.setProperty("aws.accessKeyId", FakeAwsKms.ACCESS_KEY);
        System.setProperty("aws.secretAccessKey", FakeAwsKms.SECRET_KEY);
        azure.installCredentials();
    }

    public static CloudKmsFakes start() {
        try {
            return new CloudKmsFakes(Files.createTempDirectory("keyhold-cloud-kms"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public FakeAwsKms aws() {
        return aws;
    }

    public FakeAzure azure() {
        return azure;
    }

    /** The server's {@code kms.aws.*} and {@code kms.azure.*} settings that point the providers at the fakes. */
    public Map<String, String> kmsSettings() {
        Map<String, String> s = new HashMap<>();
        s.put("aws.endpoint", aws.endpoint().toString());
        s.put("aws.attempt-timeout-ms", "2000");
        s.put("aws.api-call-timeout-ms", "4000");
        azure.settings().forEach((name, value) -> s.put("azure." + name, value));
        return s;
    }

    @Override
    public void close() {
        try {
            aws.close();
            azure.close();
        } finally {
            System.clearProperty("aws.accessKeyId");
            System.clearProperty("aws.secretAccessKey");
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a temporary directory left behind: nothing to do
            }
        }
    }
}
