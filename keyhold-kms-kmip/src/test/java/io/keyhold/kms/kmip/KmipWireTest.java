package io.keyhold.kms.kmip;

import static io.keyhold.kms.testkit.KmsAssertions.assertDenied;
import static io.keyhold.kms.testkit.KmsAssertions.await;
import static io.keyhold.kms.testkit.KmsAssertions.failure;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsUnavailableException;
import io.keyhold.kms.kmip.internal.EdekFormat;
import io.keyhold.kms.kmip.internal.KmipClient;
import io.keyhold.kms.kmip.internal.KmipEnums;
import io.keyhold.kms.kmip.internal.KmipKeyRef;
import io.keyhold.kms.kmip.internal.LocalEdekFormat;
import io.keyhold.kms.kmip.internal.ProtocolVersion;
import io.keyhold.kms.kmip.internal.ServerSettings;
import io.keyhold.kms.kmip.pykmip.PyKmipAdmin;
import io.keyhold.kms.kmip.pykmip.PyKmipServer;
import io.keyhold.kms.kmip.pykmip.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the conformance suite does not cover, against a real pykmip-server: identifier references, versions, checks, TLS. */
class KmipWireTest {
    private static final EncryptionContext ORDERS = EncryptionContext.forTopic("cluster-a", "orders");

    @TempDir
    static Path dir;
    private static PyKmipServer server;
    private static PyKmipAdmin admin;
    private KmipKms kms;

    @BeforeAll
    static void startServer() {
        server = PyKmipServer.start(dir);
        admin = new PyKmipAdmin(server, "hsm");
    }

    @AfterAll
    static void stopServer() {
        admin.close();
        server.close();
    }

    @BeforeEach
    void connect() {
        kms = KmipKms.open(server.config("hsm"));
    }

    @AfterEach
    void close() {
        kms.close();
    }

    @Test
    void negotiatesTheHighestVersionBothSpeak() {
        // pykmip-server 0.10 offers 2.0 (Create, Locate and Get Attributes then take 2.0's Attributes encoding)
        assertThat(admin.client().version()).isEqualTo(ProtocolVersion.V2_0);
        try (KmipClient v14 = new KmipClient(ServerSettings.read("hsm", server.config("hsm")), ProtocolVersion.V1_4)) {
            assertThat(v14.version()).isEqualTo(ProtocolVersion.V1_4);
        }
        try (KmipClient older = new KmipClient(ServerSettings.read("hsm", server.config("hsm")), ProtocolVersion.V1_2)) {
            assertThat(older.version()).isEqualTo(ProtocolVersion.V1_2);
        }
    }

    @Test
    void objectsMadeInOneVersionsAttributeEncodingAreFoundAndDescribedInTheOther() {
        try (KmipKms v14 = KmipKms.open(server.config("hsm").with("max-version", "1.4"))) {
            String ref = admin.createKey(); // Create in 2.0's encoding
            String newer = await(v14.rotate(ref)).currentVersion(); // Create in 1.4's
            KmipKeyRef parsed = KmipKeyRef.parse(ref);
            List<String> objects = admin.objects(ref); // Locate in 2.0's
            assertThat(objects).hasSize(2).contains(newer);
            KeyInfo by14 = await(v14.describe(ref)); // Locate and Get Attributes in 1.4's
            KeyInfo by20 = await(kms.describe(ref));
            assertThat(by20).isEqualTo(by14);
            assertThat(by20.currentVersion()).isEqualTo(newer);
            assertThat(by20.algorithm()).isEqualTo("AES-256");
            assertThat(admin.client().attributes(newer).names()).containsExactly(parsed.name());
        }
    }

    @Test
    void anIdentifierReferenceIsItsOnlyVersionAndCannotRotate() {
        String ref = admin.createKeyByIdentifier();
        String uid = KmipKeyRef.parse(ref).uid();
        KeyInfo info = await(kms.describe(ref));
        assertThat(info).extracting(KeyInfo::keyId, KeyInfo::state, KeyInfo::algorithm, KeyInfo::currentVersion, KeyInfo::rotatable)
                .containsExactly(ref, KeyState.ENABLED, "AES-256", uid, false);
        GeneratedDek g = await(kms.generate(ref, ORDERS));
        assertThat(g.kek()).isEqualTo(new KekRef("kmip", ref, uid));
        assertThat(g.edek()).hasSize(EdekFormat.LENGTH).hasSize(97);
        try (DataKey back = await(kms.unwrap(g.kek(), g.edek(), ORDERS)); DataKey dek = g.dek()) {
            assertThat(bytes(back)).isEqualTo(bytes(dek));
        }
        assertThat(failure(kms.rotate(ref))).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("name:");
    }

    @Test
    void aKekReferenceWhoseVersionIsAnotherObjectIsInvalidCiphertext() {
        // an EDEK that object B really wrapped, presented as wrapped by a reference that does not name B:
        // B would decrypt it, so only the check that the version belongs to the reference refuses it
        String objectB = admin.createKeyByIdentifier();
        String uidB = KmipKeyRef.parse(objectB).uid();
        GeneratedDek ofB = await(kms.generate(objectB, ORDERS));
        ofB.dek().destroy();
        String byId = admin.createKeyByIdentifier();
        assertDenied(kms.unwrap(new KekRef("kmip", byId, uidB), ofB.edek(), ORDERS), Reason.INVALID_CIPHERTEXT);
        String byName = admin.createKey();
        assertDenied(kms.unwrap(new KekRef("kmip", byName, uidB), ofB.edek(), ORDERS), Reason.INVALID_CIPHERTEXT);
        assertDenied(kms.unwrap(new KekRef("kmip", byName, ""), ofB.edek(), ORDERS), Reason.INVALID_CIPHERTEXT);
        await(kms.unwrap(ofB.kek(), ofB.edek(), ORDERS)).destroy();
    }

    @Test
    void revokingTheObjectOnTheServerDeniesItAsDisabled() {
        String ref = admin.createKeyByIdentifier();
        GeneratedDek before = await(kms.generate(ref, ORDERS));
        before.dek().destroy();
        admin.client().revoke(KmipKeyRef.parse(ref).uid(), KmipEnums.RevocationReasonCode.KEY_COMPROMISE);
        assertThat(await(kms.describe(ref)).state()).isEqualTo(KeyState.DISABLED);
        assertDenied(kms.generate(ref, ORDERS), Reason.DISABLED);
        assertDenied(kms.unwrap(before.kek(), before.edek(), ORDERS), Reason.DISABLED);
        assertThat(await(kms.keyProblems(ref))).singleElement().asString().contains("Compromised, not Active");
    }

    @Test
    void keyProblemsNameWhatTheObjectLacks() {
        assertThat(await(kms.keyProblems(admin.createKeyByIdentifier()))).isEmpty();
        String preActive = KmipKeyRef.ofUid("hsm", admin.client().create(null, KmipEnums.UsageMask.ENCRYPT | KmipEnums.UsageMask.DECRYPT));
        assertThat(await(kms.keyProblems(preActive))).singleElement().asString().contains("Pre-Active").contains("activate it");
        String encryptOnly = KmipKeyRef.ofUid("hsm", admin.client().create(null, KmipEnums.UsageMask.ENCRYPT));
        admin.client().activate(KmipKeyRef.parse(encryptOnly).uid());
        assertThat(await(kms.keyProblems(encryptOnly))).singleElement().asString().contains("lacks Decrypt");
        assertDenied(kms.generate(preActive, ORDERS), Reason.DISABLED);
    }

    @Test
    void withAKmip11ServerTheFetchedKeyWrapsLocallyAndBothFormatsUnwrap() {
        String ref = admin.createKeyByIdentifier();
        String uid = KmipKeyRef.parse(ref).uid();
        GeneratedDek byServer = await(kms.generate(ref, ORDERS));
        try (KmipKms old = KmipKms.open(server.config("hsm").with("max-version", "1.1"))) {
            assertThat(await(old.keyProblems(ref))).isEmpty();
            GeneratedDek local = await(old.generate(ref, ORDERS));
            assertThat(local.kek()).isEqualTo(new KekRef("kmip", ref, uid));
            assertThat(local.edek()).hasSize(LocalEdekFormat.LENGTH).hasSize(61);
            assertThat(local.edek()[0]).isEqualTo((byte) 2);
            assertThat(old.holdsFetchedKey("hsm", uid)).isTrue();
            // the 2.0 connection unwraps what the 1.1 one wrapped (with a Get of its own)
            try (DataKey back = await(kms.unwrap(local.kek(), local.edek(), ORDERS)); DataKey dek = local.dek()) {
                assertThat(bytes(back)).isEqualTo(bytes(dek));
            }
            try (DataKey back = await(old.unwrap(local.kek(), local.edek(), ORDERS))) {
                assertThat(back.isDestroyed()).isFalse();
            }
            assertDenied(old.unwrap(local.kek(), local.edek(), EncryptionContext.forTopic("cluster-a", "payments")),
                    Reason.INVALID_CIPHERTEXT);
            // a server-wrapped EDEK needs the server's Decrypt, which 1.1 has not
            assertThat(failure(old.unwrap(byServer.kek(), byServer.edek(), ORDERS))).hasMessageContaining("format 1");
            byServer.dek().destroy();
        }
    }

    @Test
    void aKmip11FetchedKeyIsWipedWhenTheObjectIsRevokedAndStopsWrappingAtOnce() {
        String ref = admin.createKeyByIdentifier();
        String uid = KmipKeyRef.parse(ref).uid();
        try (KmipKms old = KmipKms.open(server.config("hsm").with("max-version", "1.1"))) {
            GeneratedDek before = await(old.generate(ref, ORDERS));
            before.dek().destroy();
            assertThat(old.holdsFetchedKey("hsm", uid)).isTrue();
            admin.client().revoke(uid, KmipEnums.RevocationReasonCode.KEY_COMPROMISE);
            assertDenied(old.generate(ref, ORDERS), Reason.DISABLED);
            assertThat(old.holdsFetchedKey("hsm", uid)).isFalse();
            assertDenied(old.unwrap(before.kek(), before.edek(), ORDERS), Reason.DISABLED);
            assertDenied(old.checkAccess(ref), Reason.DISABLED);
            assertThat(await(old.describe(ref)).state()).isEqualTo(KeyState.DISABLED);
            assertThat(old.holdsFetchedKey("hsm", uid)).isFalse();
        }
    }

    @Test
    void forgetWipesTheKmip11FetchedKeyOfThatServerAndTheNextCallFetchesItAgain() {
        String ref = admin.createKeyByIdentifier();
        String uid = KmipKeyRef.parse(ref).uid();
        try (KmipKms old = KmipKms.open(server.config("hsm").with("max-version", "1.1"))) {
            GeneratedDek before = await(old.generate(ref, ORDERS));
            assertThat(old.holdsFetchedKey("hsm", uid)).isTrue();
            old.forget(ref); // what a proxy's lock calls
            assertThat(old.holdsFetchedKey("hsm", uid)).isFalse();
            try (DataKey back = await(old.unwrap(before.kek(), before.edek(), ORDERS)); DataKey dek = before.dek()) {
                assertThat(bytes(back)).isEqualTo(bytes(dek));
            }
            assertThat(old.holdsFetchedKey("hsm", uid)).as("fetched again by the unwrap").isTrue();
            old.forget("another-server/1");
            assertThat(old.holdsFetchedKey("hsm", uid)).as("a key of another server is not this one").isTrue();
        }
    }

    @Test
    void aKmip11FetchedKeyIsWipedAfterItsLifetime() throws InterruptedException {
        String ref = admin.createKeyByIdentifier();
        String uid = KmipKeyRef.parse(ref).uid();
        try (KmipKms old = KmipKms.open(server.config("hsm").with("max-version", "1.1").with("fetched-key-lifetime-ms", "200"))) {
            await(old.generate(ref, ORDERS)).dek().destroy();
            Thread.sleep(400);
            assertThat(old.holdsFetchedKey("hsm", uid)).isFalse();
            await(old.generate(ref, ORDERS)).dek().destroy(); // fetched again
        }
    }

    @Test
    void closingTheConnectionWipesTheFetchedKeys() {
        String ref = admin.createKeyByIdentifier();
        KmipKms old = KmipKms.open(server.config("hsm").with("max-version", "1.1"));
        await(old.generate(ref, ORDERS)).dek().destroy();
        old.close();
        assertThat(old.holdsFetchedKey("hsm", KmipKeyRef.parse(ref).uid())).isFalse();
    }

    @Test
    void anUnconfiguredServerIsAnInvalidKey() {
        assertDenied(kms.describe("elsewhere/1"), Reason.INVALID_KEY);
        assertThat(failure(kms.describe("elsewhere/1"))).hasMessageContaining("kms.kmip.elsewhere.address");
    }

    @Test
    void aServerWhoseCertificateTheConfiguredCaDidNotSignIsNeverTalkedTo() throws Exception {
        Path otherDir = Files.createDirectories(dir.resolve("other-ca"));
        TestCertificates other = TestCertificates.create(otherDir);
        Map<String, String> settings = new HashMap<>(server.settings("hsm", PyKmipServer.KEYHOLD_USER));
        settings.put("hsm.ca", other.ca().toString());
        try (KmipKms untrusting = KmipKms.open(KmsConfig.of(settings))) {
            assertThat(failure(untrusting.describe(admin.createKeyByIdentifier()))).isInstanceOf(KmsUnavailableException.class);
        }
    }

    @Test
    void anotherUsersObjectsAreAccessDenied() {
        String ref = admin.createKeyByIdentifier();
        try (KmipKms stranger = KmipKms.open(KmsConfig.of(server.settings("hsm", "someone-else")))) {
            // pykmip-server answers Permission Denied for an object of another user, even to Get Attributes
            assertDenied(stranger.describe(ref), Reason.ACCESS_DENIED);
            assertDenied(stranger.generate(ref, ORDERS), Reason.ACCESS_DENIED);
        }
        assertThat(List.of(await(kms.describe(ref)).state())).containsExactly(KeyState.ENABLED);
    }

    private static byte[] bytes(DataKey k) {
        return k.withKeyBytes(byte[]::clone);
    }
}
