package io.keyhold.kms.aws;

import io.keyhold.kms.aws.internal.KeyArn;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.Tag;

/**
 * The suite's admin on real AWS KMS: creates fresh keys (tagged {@code keyhold-test}) in the region
 * of the key the live run was given, changes them with the management API and waits until
 * DescribeKey shows each change, and schedules every key it made for deletion (7 days, AWS's
 * minimum) at the end. It can delete keys but not take Keyhold's own access away or cause outages, so
 * the live test implements {@link io.keyhold.kms.testkit.DeletionConformance} only.
 * {@link AwsAdminOverTheWireTest} runs it against the fake, adding those two on the fake's side.
 */
class LiveAwsAdmin implements KmsFakeAdmin.CanDelete, AutoCloseable {
    private static final Duration SETTLE = Duration.ofMinutes(3);

    private final KmsClient client;
    private final KeyArn given;
    private final Duration consistency;
    private final List<String> created = new CopyOnWriteArrayList<>();

    /** On real AWS. */
    LiveAwsAdmin(String givenKeyArn) {
        this(givenKeyArn, KmsClient.builder(), Duration.ofSeconds(5));
    }

    /**
     * @param client   how to reach KMS (the fake's endpoint, in the test that runs this admin against the fake)
     * @param consistency how long to wait after a change shows, for KMS's eventual consistency
     */
    LiveAwsAdmin(String givenKeyArn, software.amazon.awssdk.services.kms.KmsClientBuilder client, Duration consistency) {
        this.given = KeyArn.parse(givenKeyArn);
        this.client = client.region(Region.of(given.region())).build();
        this.consistency = consistency;
    }

    @Override
    public String createKey() {
        String arn = client.createKey(b -> b.keySpec(KeySpec.SYMMETRIC_DEFAULT).keyUsage(KeyUsageType.ENCRYPT_DECRYPT)
                .description("Keyhold conformance test key; safe to delete")
                .tags(Tag.builder().tagKey("keyhold-test").tagValue("true").build())).keyMetadata().arn();
        created.add(arn);
        return arn;
    }

    @Override
    public String unknownKeyRef() {
        return "arn:" + given.partition() + ":kms:" + given.region() + ":" + given.account() + ":key/" + UUID.randomUUID();
    }

    @Override
    public void disable(String keyRef) {
        client.disableKey(b -> b.keyId(keyRef));
        await(keyRef, m -> !m.enabled());
    }

    @Override
    public void enable(String keyRef) {
        client.enableKey(b -> b.keyId(keyRef));
        await(keyRef, KeyMetadata::enabled);
    }

    @Override
    public void rotate(String keyRef) {
        String before = describe(keyRef).currentKeyMaterialId();
        client.rotateKeyOnDemand(b -> b.keyId(keyRef));
        await(keyRef, m -> m.currentKeyMaterialId() != null && !m.currentKeyMaterialId().equals(before));
    }

    @Override
    public void scheduleDeletion(String keyRef) {
        client.scheduleKeyDeletion(b -> b.keyId(keyRef).pendingWindowInDays(7));
        await(keyRef, m -> m.deletionDate() != null);
    }

    private KeyMetadata describe(String keyRef) {
        return client.describeKey(b -> b.keyId(keyRef)).keyMetadata();
    }

    /** Waits until DescribeKey shows the change, and a little longer: KMS is eventually consistent. */
    private void await(String keyRef, Predicate<KeyMetadata> done) {
        Instant deadline = Instant.now().plus(SETTLE);
        while (!done.test(describe(keyRef))) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException(keyRef + " did not show the change within " + SETTLE);
            }
            sleep(Duration.ofSeconds(2));
        }
        sleep(consistency);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        for (String arn : created) {
            try {
                client.scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(7));
            } catch (RuntimeException alreadyScheduled) {
                // pending deletion already, from a test
            }
        }
        client.close();
    }
}
