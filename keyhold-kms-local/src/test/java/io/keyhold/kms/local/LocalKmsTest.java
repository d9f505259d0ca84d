package io.keyhold.kms.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsDeniedException.Reason;
import io.keyhold.kms.KmsProviders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKmsTest {
    private static final LocalKmsOptions.KdfCost CHEAP = new LocalKmsOptions.KdfCost(8 * 1024, 1, 1);

    @TempDir
    Path dataDir;

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<LocalKms> opened = new ArrayList<>();

    /** The thread that last read the clock: the store reads it on every access. */
    private final AtomicReference<String> clockReader = new AtomicReference<>();

    private final Clock clock = new Clock() {
        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() {
            clockReader.set(Thread.currentThread().getName());
            return now.get();
        }
    };

    private LocalKms open(String passphrase) {
        LocalKms kms = LocalKms.open(new LocalKmsOptions(dataDir, passphrase == null ? null : passphrase.toCharArray(), clock, CHEAP));
        opened.add(kms);
        return kms;
    }

    @AfterEach
    void closeAll() {
        opened.forEach(LocalKms::close);
    }

    /** Every DEK of these tests is for one context, as a proxy's are for one cluster and topic. */
    private static final EncryptionContext CONTEXT = EncryptionContext.forTopic("lkc-test", "orders");

    private static GeneratedDek gen(LocalKms kms, String key) {
        return KmsCalls.await(kms.generate(key, CONTEXT));
    }

    private static DataKey unwrap(LocalKms kms, KekRef kek, byte[] edek) {
        return KmsCalls.await(kms.unwrap(kek, edek, CONTEXT));
    }

    private static void check(LocalKms kms, String key) {
        KmsCalls.await(kms.checkAccess(key));
    }

    private static byte[] bytesOf(DataKey k) {
        return k.withKeyBytes(byte[]::clone);
    }

    @Test
    void fullLifecycle() {
        LocalKms kms = open("correct horse");
        KeyInfo created = kms.create("orders");
        assertThat(created.state()).isEqualTo(KeyState.ENABLED);
        assertThat(created.currentVersion()).isEqualTo("1");
        assertThat(created.region()).isEqualTo("local");

        GeneratedDek g1 = gen(kms, "orders");
        assertThat(g1.kek()).isEqualTo(new KekRef("local", "orders", "1"));
        assertThat(bytesOf(unwrap(kms, g1.kek(), g1.edek()))).isEqualTo(bytesOf(g1.dek()));

        kms.disable("orders");
        assertDenied(() -> unwrap(kms, g1.kek(), g1.edek()), Reason.DISABLED);
        assertDenied(() -> gen(kms, "orders"), Reason.DISABLED);
        assertDenied(() -> check(kms, "orders"), Reason.DISABLED);

        kms.enable("orders");
        assertThat(bytesOf(unwrap(kms, g1.kek(), g1.edek()))).isEqualTo(bytesOf(g1.dek()));

        assertThat(kms.rotateKey("orders").currentVersion()).isEqualTo("2");
        GeneratedDek g2 = gen(kms, "orders");
        assertThat(g2.kek().keyVersion()).isEqualTo("2");
        assertThat(bytesOf(unwrap(kms, g1.kek(), g1.edek()))).as("old versions still decrypt").isEqualTo(bytesOf(g1.dek()));
        assertThat(bytesOf(unwrap(kms, g2.kek(), g2.edek()))).isEqualTo(bytesOf(g2.dek()));

        KeyInfo pending = kms.scheduleDeletion("orders", Duration.ofDays(7));
        assertThat(pending.state()).isEqualTo(KeyState.PENDING_DELETION);
        assertThat(pending.deletionDate()).isEqualTo(now.get().plus(Duration.ofDays(7)));
        assertDenied(() -> unwrap(kms, g1.kek(), g1.edek()), Reason.PENDING_DELETION);

        assertThat(kms.cancelDeletion("orders").state()).isEqualTo(KeyState.DISABLED);
        kms.enable("orders");
        assertThat(bytesOf(unwrap(kms, g2.kek(), g2.edek()))).isEqualTo(bytesOf(g2.dek()));

        assertThatThrownBy(() -> kms.destroy("orders")).isInstanceOf(LocalKmsException.class)
                .hasMessageContaining("cannot destroy local key 'orders': it is enabled");
        kms.scheduleDeletion("orders", Duration.ofDays(30));
        assertThat(kms.destroy("orders").state()).isEqualTo(KeyState.DESTROYED);
        assertDenied(() -> unwrap(kms, g1.kek(), g1.edek()), Reason.DESTROYED);
        assertDenied(() -> unwrap(kms, g2.kek(), g2.edek()), Reason.DESTROYED);
        assertThatThrownBy(() -> kms.enable("orders")).hasMessageContaining("it is destroyed");

        // destroyed for good: also after reopening the store
        LocalKms again = open("correct horse");
        assertDenied(() -> unwrap(again, g2.kek(), g2.edek()), Reason.DESTROYED);
        assertThat(again.describeKey("orders").state()).isEqualTo(KeyState.DESTROYED);
        assertThat(Files.exists(dataDir.resolve("local-kms/keys.json"))).isTrue();
    }

    @Test
    void wrapPutsAKeyTheCallerHoldsUnderAnotherKeyBoundToItsContext() throws Exception {
        LocalKms kms = open("pw");
        kms.create("before");
        kms.create("after");
        GeneratedDek g = gen(kms, "before");
        io.keyhold.kms.WrappedKey moved = kms.wrap("after", g.dek(), CONTEXT).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(moved.kek()).isEqualTo(new KekRef("local", "after", "1"));
        try (DataKey back = unwrap(kms, moved.kek(), moved.edek())) {
            assertThat(bytesOf(back)).isEqualTo(bytesOf(g.dek()));
        }
        // bound to its context, and usable after the first key is gone
        kms.disable("before");
        assertThatThrownBy(() -> kms.unwrap(moved.kek(), moved.edek(), EncryptionContext.forTopic("lkc-other", "orders"))
                .toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS)).hasCauseInstanceOf(KmsDeniedException.class);
        unwrap(kms, moved.kek(), moved.edek()).destroy();
        assertThat(moved.toString()).doesNotContain(java.util.HexFormat.of().formatHex(moved.edek()));
        g.dek().destroy();
    }

    @Test
    void namesAreUniqueAndValidated() {
        LocalKms kms = open("pw");
        kms.create("a");
        assertThatThrownBy(() -> kms.create("a")).isInstanceOfSatisfying(LocalKmsException.class,
                e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.NAME_TAKEN)).hasMessageContaining("already exists");
        assertThatThrownBy(() -> kms.create("../etc")).isInstanceOfSatisfying(LocalKmsException.class,
                e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.INVALID_NAME));
        assertDenied(() -> kms.describeKey("nope"), Reason.NOT_FOUND);
    }

    @Test
    void keysSurviveReopeningAndTheWrongPassphraseIsAClearError() {
        LocalKms kms = open("right");
        kms.create("k");
        GeneratedDek g = gen(kms, "k");
        kms.close();

        assertThatThrownBy(() -> open("wrong")).isInstanceOfSatisfying(LocalKmsException.class,
                e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.WRONG_PASSPHRASE)).hasMessageContaining("wrong passphrase");
        assertThatThrownBy(() -> open(null)).isInstanceOfSatisfying(LocalKmsException.class,
                e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.PASSPHRASE_REQUIRED)).hasMessageContaining("KEYHOLD_LOCAL_KMS_PASSPHRASE");

        LocalKms reopened = open("right");
        assertThat(bytesOf(unwrap(reopened, g.kek(), g.edek()))).isEqualTo(bytesOf(g.dek()));
    }

    @Test
    void corruptedOrTruncatedStoresGiveAClearErrorAndAreNotOverwritten() throws Exception {
        open("pw").create("k");
        Path store = dataDir.resolve("local-kms/keys.json");
        byte[] good = Files.readAllBytes(store);

        List<byte[]> damaged = new ArrayList<>();
        damaged.add(java.util.Arrays.copyOf(good, good.length / 2));
        damaged.add(new byte[0]);
        damaged.add("not json".getBytes(StandardCharsets.UTF_8));
        String text = new String(good, StandardCharsets.UTF_8);
        String keysField = text.substring(text.indexOf("\"keys\""));
        int pos = text.indexOf("\"keys\"") + keysField.indexOf(": \"") + 10;
        char[] chars = text.toCharArray();
        chars[pos] = chars[pos] == 'A' ? 'B' : 'A';
        damaged.add(new String(chars).getBytes(StandardCharsets.UTF_8));
        damaged.add(text.replace("\"version\" : 2", "\"version\" : 7").getBytes(StandardCharsets.UTF_8));

        for (byte[] bad : damaged) {
            Files.write(store, bad);
            assertThatThrownBy(() -> open("pw")).isInstanceOfSatisfying(LocalKmsException.class,
                    e -> assertThat(e.kind()).isEqualTo(LocalKmsException.Kind.STORE_CORRUPTED)).hasMessageContaining("corrupted");
            assertThat(Files.readAllBytes(store)).as("a damaged store is left as it is").isEqualTo(bad);
        }
        Files.write(store, good);
        assertThat(open("pw").describeKey("k").state()).isEqualTo(KeyState.ENABLED);
    }

    /** {@code keys.json} with one field of its protection header set to {@code value} (JSON text). */
    private void setProtectionField(Path store, String field, String value) throws Exception {
        String text = Files.readString(store);
        String changed = text.replaceFirst("\"" + field + "\" : [^,\\n]+", "\"" + field + "\" : " + value);
        assertThat(changed).as("field %s found", field).isNotEqualTo(text);
        Files.writeString(store, changed);
    }

    @Test
    void keyDerivationParametersOutOfBoundsAreRefusedBeforeAnythingIsDerived() throws Exception {
        open("pw").create("k");
        closeAll();
        opened.clear();
        Path store = dataDir.resolve("local-kms/keys.json");
        byte[] good = Files.readAllBytes(store);
        // Cheap to derive first: without bounds these would be derived (and fail as a wrong passphrase).
        List<String[]> bad = List.of(
                new String[] {"parallelism", "17"},
                new String[] {"iterations", "0"},
                new String[] {"memory_kib", "1024"},
                new String[] {"memory_kib", "-8192"},
                new String[] {"memory_kib", "\"65536\""},
                new String[] {"memory_kib", "4294975488"}, // 2^32 + 8 MiB: would be 8 MiB if truncated to an int
                new String[] {"iterations", "100000"},
                new String[] {"memory_kib", "4194304"}); // 4 GiB: exhausts the heap if derived
        for (String[] e : bad) {
            Files.write(store, good);
            setProtectionField(store, e[0], e[1]);
            assertThatThrownBy(() -> open("pw")).as("%s = %s", e[0], e[1])
                    .isInstanceOfSatisfying(LocalKmsException.class, x -> assertThat(x.kind()).isEqualTo(LocalKmsException.Kind.STORE_CORRUPTED))
                    .hasMessageContaining(e[0]);
        }
        Files.write(store, good);
        assertThat(open("pw").describeKey("k").state()).isEqualTo(KeyState.ENABLED);
    }

    @Test
    void aChangedProtectionHeaderIsNeverAcceptedAndTheErrorSaysItMayBeTampering() throws Exception {
        open("pw").create("k");
        closeAll();
        opened.clear();
        Path store = dataDir.resolve("local-kms/keys.json");
        byte[] good = Files.readAllBytes(store);
        for (String[] change : new String[][] {{"iterations", "2"}, {"memory_kib", "16384"}, {"salt", "\"AAAAAAAAAAAAAAAAAAAAAA==\""}}) {
            Files.write(store, good);
            setProtectionField(store, change[0], change[1]);
            assertThatThrownBy(() -> open("pw")).as(change[0])
                    .isInstanceOfSatisfying(LocalKmsException.class, x -> assertThat(x.kind()).isEqualTo(LocalKmsException.Kind.WRONG_PASSPHRASE))
                    .hasMessageContaining("tampered or corrupted");
        }
        // Claiming the old format, whose check value covered no header, is caught too.
        Files.write(store, good);
        setProtectionField(store, "version", "1");
        assertThatThrownBy(() -> open("pw"))
                .isInstanceOfSatisfying(LocalKmsException.class, x -> assertThat(x.kind()).isEqualTo(LocalKmsException.Kind.STORE_CORRUPTED))
                .hasMessageContaining("claims format 1");
        Files.write(store, good);
        assertThat(open("pw").describeKey("k").state()).isEqualTo(KeyState.ENABLED);
    }

    /** Stores written by the previous Keyhold (format 1, checked in with a DEK wrapped then) open, keep their keys and are upgraded. */
    @Test
    void aFormat1StoreOpensKeepsItsKeysAndIsRewrittenInFormat2() throws Exception {
        String[][] fixtures = {
            {"passphrase", "v1 store passphrase", "AoknjqN2US08Vddjq7cTLpPM715e5pO2xb59BwqR/X1FWqywwN8pkr/4wuMRgKVZ55644JxHlkl97HEixw==",
                "LUUgoYLGEK7yF2L/DxLb7ed8M79HsLZXqeCFA3crJtA="},
            {"key-file", null, "Ap2Z1vJl1LBwFgBzpob6h1D1hP5SEku1EX1fTa7ZyXmDdvHz9fVIgsEy7b6E/lg7EltY2/X0SZOtPoyj8g==",
                "Zk8hsNZlJyzQYa8WaI7ELHB0lBqBrR3MoTGwfQ8UU7k="},
        };
        EncryptionContext v1Context = EncryptionContext.forTopic("lkc-v1", "orders");
        for (String[] f : fixtures) {
            Path dir = dataDir.resolve(f[0]);
            Path storeDir = dir.resolve("local-kms");
            Files.createDirectories(storeDir);
            for (String name : new String[] {"keys.json", "master.key"}) {
                try (var in = getClass().getResourceAsStream("/local-kms-v1/" + f[0] + "/" + name)) {
                    if (in != null) {
                        Files.write(storeDir.resolve(name), in.readAllBytes());
                    }
                }
            }
            assertThat(Files.readString(storeDir.resolve("keys.json"))).contains("\"version\" : 1");
            LocalKmsOptions options = new LocalKmsOptions(dir, f[1] == null ? null : f[1].toCharArray(), clock, CHEAP);
            try (LocalKms kms = LocalKms.open(options)) {
                DataKey dek = KmsCalls.await(kms.unwrap(new KekRef("local", "orders", "1"), java.util.Base64.getDecoder().decode(f[2]), v1Context));
                assertThat(java.util.Base64.getEncoder().encodeToString(bytesOf(dek))).as(f[0]).isEqualTo(f[3]);
            }
            String upgraded = Files.readString(storeDir.resolve("keys.json"));
            assertThat(upgraded).as(f[0]).contains("\"version\" : 2");
            try (LocalKms kms = LocalKms.open(options)) {
                assertThat(kms.describeKey("orders").state()).isEqualTo(KeyState.ENABLED);
            }
            // The upgraded store's check value covers its header: claiming format 1 again does not pass.
            Files.writeString(storeDir.resolve("keys.json"), upgraded.replace("\"version\" : 2", "\"version\" : 1"));
            assertThatThrownBy(() -> LocalKms.open(options)).isInstanceOf(LocalKmsException.class).hasMessageContaining("claims format 1");
        }
    }

    @Test
    void aLeftoverTemporaryFileFromACrashDoesNotMatter() throws Exception {
        open("pw").create("k");
        Files.write(dataDir.resolve("local-kms/.keys.json.123.tmp"), "half written".getBytes(StandardCharsets.UTF_8));
        assertThat(open("pw").list()).extracting(KeyInfo::keyId).containsExactly("k");
    }

    @Test
    void withoutAPassphraseARandomOwnerOnlyKeyFileIsGenerated() throws Exception {
        LocalKms kms = open(null);
        assertThat(kms.generatedKeyFile()).isTrue();
        assertThat(kms.protection()).isEqualTo("key-file");
        Path keyFile = dataDir.resolve("local-kms/master.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("local-kms/keys.json")))).isEqualTo("rw-------");
        kms.create("k");
        GeneratedDek g = gen(kms, "k");

        LocalKms again = open(null);
        assertThat(again.generatedKeyFile()).isFalse();
        assertThat(bytesOf(unwrap(again, g.kek(), g.edek()))).isEqualTo(bytesOf(g.dek()));
        assertThatThrownBy(() -> open("a passphrase")).hasMessageContaining("protected by the key file");
    }

    @Test
    void aLapsedDeletionDateDestroysTheKey() {
        LocalKms kms = open("pw");
        kms.create("k");
        GeneratedDek g = gen(kms, "k");
        kms.scheduleDeletion("k", Duration.ofDays(7));
        now.set(now.get().plus(Duration.ofDays(7)).minusSeconds(1));
        assertThat(kms.describeKey("k").state()).isEqualTo(KeyState.PENDING_DELETION);
        now.set(now.get().plusSeconds(1));
        assertThat(kms.describeKey("k").state()).isEqualTo(KeyState.DESTROYED);
        now.set(now.get().plus(Duration.ofDays(1)));
        assertThatThrownBy(() -> kms.cancelDeletion("k")).hasMessageContaining("it is destroyed");
        assertDenied(() -> unwrap(kms, g.kek(), g.edek()), Reason.DESTROYED);
    }

    @Test
    void tamperedOrForeignWrappedKeysAreRefused() {
        LocalKms kms = open("pw");
        kms.create("a");
        kms.create("b");
        GeneratedDek g = gen(kms, "a");
        byte[] edek = g.edek();
        edek[edek.length - 1] ^= 1;
        assertDenied(() -> unwrap(kms, g.kek(), edek), Reason.INVALID_CIPHERTEXT);
        assertDenied(() -> unwrap(kms, new KekRef("local", "b", "1"), g.edek()), Reason.INVALID_CIPHERTEXT);
        assertDenied(() -> unwrap(kms, new KekRef("local", "a", "9"), g.edek()), Reason.INVALID_KEY);
        assertThatThrownBy(() -> unwrap(kms, new KekRef("aws", "a", "1"), g.edek())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWrappedDekUnwrapsOnlyForTheContextItWasWrappedFor() {
        LocalKms kms = open("pw");
        kms.create("a");
        GeneratedDek g = gen(kms, "a");
        assertThat(bytesOf(unwrap(kms, g.kek(), g.edek()))).isEqualTo(bytesOf(g.dek()));
        for (EncryptionContext other : List.of(EncryptionContext.forTopic("lkc-other", "orders"),
                EncryptionContext.forTopic("lkc-test", "payments"), EncryptionContext.forPurpose("secrets-file"))) {
            assertDenied(() -> KmsCalls.await(kms.unwrap(g.kek(), g.edek(), other)), Reason.INVALID_CIPHERTEXT);
        }
    }

    @Test
    void spiCallsRunOffTheCallersThread() {
        LocalKms kms = open("pw");
        kms.create("a");
        String caller = Thread.currentThread().getName();
        // Where the store was read, not where a callback ran: a callback attached to a future that
        // has already completed runs on the caller, which says nothing about where the work ran.
        clockReader.set(null);
        KmsCalls.await(kms.describe("a"));
        assertThat(clockReader.get()).isNotEqualTo(caller).startsWith("keyhold-kms-local-");
    }

    @Test
    void changesByAnotherInstanceAreSeenAndConcurrentChangesAreNotLost() throws Exception {
        LocalKms server = open("pw");
        LocalKms cli = open("pw");
        server.create("shared");
        GeneratedDek g = gen(server, "shared");
        cli.disable("shared");
        assertDenied(() -> unwrap(server, g.kek(), g.edek()), Reason.DISABLED);
        cli.enable("shared");
        assertThat(unwrap(server, g.kek(), g.edek())).isNotNull();

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                LocalKms which = t % 2 == 0 ? server : cli;
                int thread = t;
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 5; i++) {
                        which.create("t" + thread + "-" + i);
                        which.rotateKey("shared");
                        gen(which, "shared");
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(open("pw").list()).hasSize(21);
        assertThat(open("pw").describeKey("shared").currentVersion()).isEqualTo("21");
    }

    @Test
    void theProviderIsFoundThroughServiceLoader() throws Exception {
        Path pass = dataDir.resolve("pass.txt");
        Files.writeString(pass, "from a file\n");
        try (Kms kms = KmsProviders.require("local").open(KmsConfig.of(Map.of("data-dir", dataDir.toString(), "passphrase-file", pass.toString())))) {
            assertThat(kms.kind()).isEqualTo("local");
            ((LocalKms) kms).create("via-spi");
            assertThat(KmsCalls.await(kms.describe("via-spi")).state()).isEqualTo(KeyState.ENABLED);
        }
        assertThatThrownBy(() -> KmsProviders.require("nope")).hasMessageContaining("installed: local");
    }

    @Test
    void theStoreFileHoldsNoKeyMaterialInTheClear() throws Exception {
        LocalKms kms = open("pw");
        kms.create("k");
        String text = Files.readString(dataDir.resolve("local-kms/keys.json"));
        assertThat(text).doesNotContain("material").doesNotContain("\"k\"").contains("argon2id");
    }

    private static void assertDenied(Runnable r, Reason reason) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(KmsDeniedException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
