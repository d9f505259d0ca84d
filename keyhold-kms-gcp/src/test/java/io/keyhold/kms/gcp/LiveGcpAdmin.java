package io.keyhold.kms.gcp;

import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.cloud.kms.v1.CryptoKeyVersionTemplate;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.protobuf.FieldMask;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.gcp.internal.GcpSettings;
import io.keyhold.kms.gcp.internal.KmsClients;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The suite's admin on real Cloud KMS: creates fresh keys (labelled {@code keyhold-test}) in the
 * key ring the live run was given, changes their versions with the management API and waits until
 * GetCryptoKey shows each change (and a settle time, since Cloud KMS takes up to a minute to apply
 * a disable everywhere), and schedules every version it made for destruction at the end (Cloud KMS
 * cannot delete keys). It can delete but not take Keyhold's own access away or cause outages, so the
 * live test implements {@link io.keyhold.kms.testkit.DeletionConformance} only;
 * {@link GcpAdminOverTheWireTest} runs it against the fake.
 */
class LiveGcpAdmin implements KmsFakeAdmin.CanDelete, AutoCloseable {
    private static final Duration SETTLE = Duration.ofMinutes(3);

    private final KmsClients.Opened opened;
    private final KeyManagementServiceClient client;
    private final String keyRing;
    private final Duration consistency;
    private final List<String> created = new CopyOnWriteArrayList<>();

    /**
     * @param keyRing     {@code projects/<p>/locations/<region>/keyRings/<r>}, where keys are made
     * @param settings    how to reach Cloud KMS (the provider's settings: empty for Google with ADC)
     * @param consistency how long to wait after a change shows, for Cloud KMS's consistency
     */
    LiveGcpAdmin(String keyRing, KmsConfig settings, Duration consistency) {
        this.keyRing = keyRing;
        this.opened = KmsClients.open(GcpSettings.from(settings));
        this.client = opened.client();
        this.consistency = consistency;
    }

    @Override
    public String createKey() {
        CryptoKey key = client.createCryptoKey(keyRing, "keyhold-test-" + UUID.randomUUID().toString().substring(0, 8), CryptoKey.newBuilder()
                .setPurpose(CryptoKeyPurpose.ENCRYPT_DECRYPT)
                .setVersionTemplate(CryptoKeyVersionTemplate.newBuilder().setAlgorithm(CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION))
                .putLabels("keyhold-test", "true").build());
        created.add(key.getName());
        return key.getName();
    }

    @Override
    public String unknownKeyRef() {
        return keyRing + "/cryptoKeys/missing-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    public void disable(String keyRef) {
        setPrimaryState(keyRef, CryptoKeyVersionState.DISABLED);
    }

    @Override
    public void enable(String keyRef) {
        setPrimaryState(keyRef, CryptoKeyVersionState.ENABLED);
    }

    private void setPrimaryState(String keyRef, CryptoKeyVersionState state) {
        String primary = client.getCryptoKey(keyRef).getPrimary().getName();
        client.updateCryptoKeyVersion(CryptoKeyVersion.newBuilder().setName(primary).setState(state).build(),
                FieldMask.newBuilder().addPaths("state").build());
        await(keyRef, k -> k.getPrimary().getState() == state);
    }

    /** A new version made primary, as {@code gcloud kms keys versions create --primary} does. */
    @Override
    public void rotate(String keyRef) {
        CryptoKeyVersion v = client.createCryptoKeyVersion(keyRef, CryptoKeyVersion.getDefaultInstance());
        String id = v.getName().substring(v.getName().lastIndexOf('/') + 1);
        client.updateCryptoKeyPrimaryVersion(keyRef, id);
        await(keyRef, k -> k.getPrimary().getName().equals(v.getName()));
    }

    /** Schedules every enabled or disabled version for destruction. */
    @Override
    public void scheduleDeletion(String keyRef) {
        destroyAll(keyRef);
        await(keyRef, k -> k.getPrimary().getState() == CryptoKeyVersionState.DESTROY_SCHEDULED);
    }

    private void destroyAll(String keyRef) {
        for (CryptoKeyVersion v : client.listCryptoKeyVersions(keyRef).iterateAll()) {
            if (v.getState() == CryptoKeyVersionState.ENABLED || v.getState() == CryptoKeyVersionState.DISABLED) {
                client.destroyCryptoKeyVersion(v.getName());
            }
        }
    }

    /** Waits until GetCryptoKey shows the change, then the settle time. */
    private void await(String keyRef, Predicate<CryptoKey> done) {
        Instant deadline = Instant.now().plus(SETTLE);
        while (!done.test(client.getCryptoKey(keyRef))) {
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
        try {
            for (String key : created) {
                try {
                    destroyAll(key);
                } catch (RuntimeException alreadyGone) {
                    // destroyed by a test already
                }
            }
        } finally {
            opened.close();
        }
    }
}
