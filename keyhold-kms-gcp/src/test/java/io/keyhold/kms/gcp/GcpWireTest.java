package io.keyhold.kms.gcp;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.assertUnavailable;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.GeneratedDek;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.gcp.fake.FakeGcpKms;
import io.keyhold.kms.gcp.fake.FakeGcpKms.Mode;
import io.keyhold.kms.gcp.fake.FakeGcpKms.Request;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What goes over the wire: one call each way per DEK, CRC32C both ways, versions, credentials, TLS and the endpoint. */
class GcpWireTest extends FakeGcpTestBase {
    private static final Duration WITHIN = Duration.ofSeconds(20);

    @Test
    void oneCallEachWayPerDekWithChecksumsAndCiphertextsOfCloudKmsSize() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        assertUnwraps(g);
        assertThat(fake.requests()).extracting(Request::method).containsExactly("Encrypt", "Decrypt");
        assertThat(fake.requests()).allSatisfy(r -> {
            assertThat(r.code()).isEqualTo("OK");
            assertThat(r.checksummed()).as("CRC32C of plaintext/ciphertext and AAD sent").isTrue();
            assertThat(r.principal()).isEqualTo(FakeGcpKms.keyhold().email());
        });
        assertThat(g.edek()).hasSize(FakeGcpKms.ciphertextSize(32)).hasSize(113);
        assertThat(g.kek().keyId()).isEqualTo(key);
        assertThat(g.kek().keyVersion()).isEqualTo("1");
        System.out.println("Cloud KMS ciphertext for a 32-byte DEK: " + g.edek().length + " bytes; KEK reference: "
                + g.kek().keyId().length() + " bytes of key name + version \"" + g.kek().keyVersion() + "\"");
    }

    @Test
    void aNewPrimaryVersionIsUsedByTheNextDekAndOlderEnabledVersionsStillDecrypt() {
        String key = fake.createKey();
        GeneratedDek v1 = generate(key);
        fake.rotate(key); // Google's automatic rotation: a new version becomes primary
        assertThat(await(kms.describe(key)).currentVersion()).isEqualTo("2");
        GeneratedDek v2 = generate(key);
        assertThat(v2.kek().keyVersion()).isEqualTo("2");
        fake.makePrimary(key, 1); // a customer rolls the primary back
        assertThat(generate(key).kek().keyVersion()).isEqualTo("1");
        assertUnwraps(v1);
        assertUnwraps(v2);

        fake.disableVersion(key, 1); // the old version only: its data is locked, the rest is not
        assertDenied(kms.unwrap(v1.kek(), v1.edek(), ORDERS), Reason.DISABLED);
        assertUnwraps(v2);
        fake.destroyVersion(key, 1);
        assertDenied(kms.unwrap(v1.kek(), v1.edek(), ORDERS), Reason.DESTROYED);
        assertUnwraps(v2);
    }

    @Test
    void decryptNamesTheKeyNotTheVersionTheKekReferenceCarries() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        fake.rotate(key);
        // a KEK reference whose version is wrong still unwraps: the ciphertext names its version
        io.keyhold.crypto.KekRef wrongVersion = new io.keyhold.crypto.KekRef("gcp", key, "2");
        try (var back = await(kms.unwrap(wrongVersion, g.edek(), ORDERS))) {
            assertThat(back.isDestroyed()).isFalse();
        }
    }

    @Test
    void aResponseDamagedInTransitIsUnavailableAndTheRetryGetsAWholeOne() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        fake.misbehave(Mode.CORRUPT_RESPONSE);
        KmsUnavailableException e = assertUnavailable(kms.generate(key, ORDERS), WITHIN);
        assertThat(e).hasMessageContaining("ciphertext does not match its CRC32C checksum");
        assertThat(assertUnavailable(kms.unwrap(g.kek(), g.edek(), ORDERS), WITHIN))
                .hasMessageContaining("plaintext does not match its CRC32C checksum");
        fake.misbehave(Mode.NONE);
        assertUnwraps(g);
    }

    @Test
    void aRequestTheServiceDidNotVerifyOrFoundDamagedIsUnavailable() {
        String key = fake.createKey();
        GeneratedDek g = generate(key);
        fake.misbehave(Mode.UNVERIFIED);
        assertThat(assertUnavailable(kms.generate(key, ORDERS), WITHIN)).hasMessageContaining("did not confirm the request's CRC32C");
        fake.misbehave(Mode.DAMAGED_REQUEST); // INVALID_ARGUMENT "The checksum in field ... did not match": not a bad ciphertext
        assertThat(assertUnavailable(kms.unwrap(g.kek(), g.edek(), ORDERS), WITHIN)).hasMessageContaining("damaged in transit");
        assertThat(assertUnavailable(kms.generate(key, ORDERS), WITHIN)).hasMessageContaining("damaged in transit");
        fake.misbehave(Mode.NONE);
        assertUnwraps(g);
    }

    @Test
    void rotateCreatesAVersionAndMakesItPrimary() {
        String key = fake.createKey();
        GeneratedDek old = generate(key);
        KeyInfo after = await(kms.rotate(key));
        assertThat(after.currentVersion()).isEqualTo("2");
        assertThat(fake.primaryVersion(key)).isEqualTo(2);
        assertThat(fake.requests()).extracting(Request::method)
                .containsSubsequence("GetCryptoKey", "CreateCryptoKeyVersion", "UpdateCryptoKeyPrimaryVersion");
        assertThat(generate(key).kek().keyVersion()).isEqualTo("2");
        assertUnwraps(old);
    }

    @Test
    void anUntrustedServiceAccountIsRefusedAsAccessDeniedWithoutItsKeyInTheMessage() throws Exception {
        String key = fake.createKey();
        var stranger = new io.keyhold.kms.gcp.fake.TestServiceAccount("stranger", FakeGcpKms.PROJECT);
        Map<String, String> settings = new HashMap<>(fake.settings());
        settings.put("credentials-file", stranger.file().toString());
        try (Kms other = KmsProviders.require("gcp").open(KmsConfig.of(settings))) {
            KmsDeniedException e = assertDenied(other.describe(key), Reason.ACCESS_DENIED);
            assertThat(e).hasMessageContaining("UNAUTHENTICATED").hasMessageContaining("credentials Keyhold uses were refused");
            String file = java.nio.file.Files.readString(stranger.file());
            String keyBase64 = file.substring(file.indexOf("-----BEGIN PRIVATE KEY-----") + 28, file.indexOf("-----BEGIN PRIVATE KEY-----") + 90);
            assertThat(e.getMessage()).doesNotContain(keyBase64);
        }
        fake.trust(stranger);
        try (Kms other = KmsProviders.require("gcp").open(KmsConfig.of(settings))) {
            assertThat(await(other.describe(key)).keyId()).isEqualTo(key);
        }
    }

    @Test
    void theEndpointSettingIsWhereCallsGoAndTlsIsCheckedAgainstTheCaFile() {
        String key = fake.createKey();
        try (FakeGcpKms other = FakeGcpKms.start("us-central1"); Kms toOther = FakeConnections.open(other)) {
            assertDenied(toOther.describe(key), Reason.NOT_FOUND); // the other fake does not know the key
            assertThat(other.count("GetCryptoKey")).isEqualTo(1);
            assertThat(fake.count("GetCryptoKey")).isZero();
        }
        Map<String, String> noCa = new HashMap<>(fake.settings());
        noCa.remove("ca-file"); // the JVM's trust store does not know the test CA
        try (Kms untrusting = KmsProviders.require("gcp").open(KmsConfig.of(noCa))) {
            assertUnavailable(untrusting.describe(key), WITHIN);
        }
        assertThat(fake.count("GetCryptoKey")).as("a call over an untrusted TLS connection never reached the service").isZero();
    }

    @Test
    void plaintextIsTheEmulatorSettingNoTlsNoCredentials() {
        try (FakeGcpKms emulator = FakeGcpKms.startPlaintext("europe-west4"); Kms kms = FakeConnections.open(emulator)) {
            assertThat(emulator.settings()).containsEntry("plaintext", "true").doesNotContainKeys("ca-file", "credentials-file");
            String key = emulator.createKey();
            GeneratedDek g = await(kms.generate(key, ORDERS));
            try (var back = await(kms.unwrap(g.kek(), g.edek(), ORDERS))) {
                assertThat(back.isDestroyed()).isFalse();
            }
            assertThat(emulator.requests()).allSatisfy(r -> assertThat(r.principal()).isEmpty());
            assertThat(await(kms.describe(key)).region()).isEqualTo("europe-west4");
        }
        // a plaintext client cannot talk to a TLS service
        Map<String, String> plain = Map.of("endpoint", fake.endpoint(), "plaintext", "true", "attempt-timeout-ms", "2000", "call-timeout-ms", "2000");
        try (Kms wrong = KmsProviders.require("gcp").open(KmsConfig.of(plain))) {
            assertUnavailable(wrong.describe(fake.createKey()), WITHIN);
        }
    }
}
