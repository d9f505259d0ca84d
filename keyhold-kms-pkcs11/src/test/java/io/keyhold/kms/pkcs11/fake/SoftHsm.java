package io.keyhold.kms.pkcs11.fake;

import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.pkcs11.Pkcs11Kms;
import io.keyhold.kms.pkcs11.internal.Cryptoki;
import io.keyhold.kms.pkcs11.Pkcs11KeyRef;
import io.keyhold.kms.pkcs11.internal.Pkcs11Token;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real SoftHSM2 (Debian's {@code softhsm2}) for tests, with tokens in a directory of its own:
 * the JVM's {@code SOFTHSM2_CONF} (set by the module's surefire configuration, inside
 * {@code target/}) names the configuration file this writes, once per JVM and before the library is
 * loaded (SoftHSM2 reads it, and sees the tokens that exist, only then). The tokens are initialised
 * with {@code softhsm2-util}: {@link #TOKEN} holds the test keys; {@link #LOCKED_TOKEN} is one whose
 * PIN no test logs in with, so a wrong PIN can be seen (the login belongs to the process).
 *
 * <p>It is also the conformance kit's admin, acting as the customer does on their HSM: keys made
 * sensitive and non-extractable, disabled by setting {@code CKA_ENCRYPT}/{@code CKA_DECRYPT} false,
 * rotated by a new object {@code <label>.v<N>}, deleted by destroying the objects.
 */
public final class SoftHsm implements KmsFakeAdmin.CanDelete {
    public static final String LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";
    public static final String TOKEN = "keyhold-test";
    public static final String LOCKED_TOKEN = "keyhold-locked";
    private static final String PIN = "keyhold-user-pin";
    private static final String SO_PIN = "keyhold-so-pin";
    private static SoftHsm shared;

    private final Path dir;
    private final Path pinFile;
    private final Pkcs11Token token;
    private final AtomicInteger keys = new AtomicInteger();

    private SoftHsm(Path dir, Path pinFile, Pkcs11Token token) {
        this.dir = dir;
        this.pinFile = pinFile;
        this.token = token;
    }

    /** The JVM's one SoftHSM2, its tokens initialised on first use. */
    public static synchronized SoftHsm shared() {
        if (shared == null) {
            shared = start();
        }
        return shared;
    }

    private static SoftHsm start() {
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf == null) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set: the module's surefire configuration sets it to a file under target/");
        }
        Path config = Path.of(conf).toAbsolutePath();
        Path dir = config.getParent();
        Path tokens = dir.resolve("tokens");
        try {
            deleteTree(dir);
            Files.createDirectories(tokens);
            Files.writeString(config, "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n"
                    + "slots.removable = false\n");
            softhsm2Util(config, "--init-token", "--free", "--label", TOKEN, "--so-pin", SO_PIN, "--pin", PIN);
            softhsm2Util(config, "--init-token", "--free", "--label", LOCKED_TOKEN, "--so-pin", SO_PIN, "--pin", PIN + "-other");
            Path pinFile = writeOwnerOnly(dir.resolve("pin"), PIN);
            return new SoftHsm(dir, pinFile, Pkcs11Token.open(Cryptoki.load(LIBRARY), LIBRARY, TOKEN, PIN::toCharArray));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The settings of a connection that logs in with the right PIN. */
    public KmsConfig config() {
        return KmsConfig.of(Map.of("library", LIBRARY, "pin-file", pinFile.toString()));
    }

    /** The settings of a connection whose PIN file holds {@code pin}. */
    public KmsConfig configWithPin(String pin) {
        Path file = writeOwnerOnly(dir.resolve("pin-" + Integer.toHexString(pin.hashCode())), pin);
        return KmsConfig.of(Map.of("library", LIBRARY, "pin-file", file.toString()));
    }

    public Pkcs11Kms connect() {
        return Pkcs11Kms.open(config());
    }

    /** The token, logged in, for tests that look at key objects directly. */
    public Pkcs11Token token() {
        return token;
    }

    /** A new key on {@link #TOKEN} as a customer makes it: AES-256, sensitive, not extractable, encrypt and decrypt only. */
    @Override
    public String createKey() {
        String label = "key-" + keys.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
        token.createKey(label);
        return new Pkcs11KeyRef(TOKEN, label).ref();
    }

    @Override
    public String unknownKeyRef() {
        return new Pkcs11KeyRef(TOKEN, "no-such-key").ref();
    }

    @Override
    public void disable(String keyRef) {
        setUsage(keyRef, false, false);
    }

    @Override
    public void enable(String keyRef) {
        setUsage(keyRef, true, true);
    }

    /** The key may still encrypt but no longer decrypt: what a customer does to stop unwraps only. */
    public void denyDecrypt(String keyRef) {
        setUsage(keyRef, true, false);
    }

    @Override
    public void rotate(String keyRef) {
        Pkcs11KeyRef ref = Pkcs11KeyRef.parse(keyRef);
        token.createKey(ref.versionLabel(token.versions(ref).last() + 1));
    }

    /** PKCS#11 has no waiting period: the key's objects (every version) are destroyed. */
    @Override
    public void scheduleDeletion(String keyRef) {
        forEachVersion(keyRef, (session, handle) -> token.cryptoki().destroy(session, handle));
    }

    /**
     * A key no customer should give Keyhold: extractable, not sensitive, allowed to wrap other keys;
     * made with its own SunPKCS11 instance (the provider's keys are never born so). Returns its reference.
     */
    public String createExtractableWrappingKey() {
        String label = "wrapping-" + keys.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
        String config = "--name = keyhold-test-wrapping-" + label + "\nlibrary = " + LIBRARY + "\nslot = " + slotOf(TOKEN) + "\n"
                + "attributes(generate, CKO_SECRET_KEY, CKK_AES) = {\n  CKA_TOKEN = false\n  CKA_SENSITIVE = false\n"
                + "  CKA_EXTRACTABLE = true\n  CKA_WRAP = true\n  CKA_ENCRYPT = true\n  CKA_DECRYPT = true\n}\n";
        try {
            java.security.Provider provider = java.security.Security.getProvider("SunPKCS11").configure(config);
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS11", provider);
            store.load(null, PIN.toCharArray());
            javax.crypto.KeyGenerator generator = javax.crypto.KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            store.setEntry(label, new java.security.KeyStore.SecretKeyEntry(generator.generateKey()), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return new Pkcs11KeyRef(TOKEN, label).ref();
    }

    private long slotOf(String tokenLabel) {
        return token.cryptoki().tokens().stream().filter(t -> t.label().equals(tokenLabel)).findFirst().orElseThrow().slot();
    }

    /** The object handles of every version of the key. */
    public List<Long> handles(long session, String keyRef) {
        Pkcs11KeyRef ref = Pkcs11KeyRef.parse(keyRef);
        List<Long> handles = new ArrayList<>();
        for (int v : token.versions(ref)) {
            for (long h : token.cryptoki().findSecretKeys(session, ref.versionLabel(v))) {
                handles.add(h);
            }
        }
        return handles;
    }

    private void setUsage(String keyRef, boolean encrypt, boolean decrypt) {
        forEachVersion(keyRef, (session, handle) -> {
            token.cryptoki().set(session, handle, Cryptoki.CKA_ENCRYPT, encrypt);
            token.cryptoki().set(session, handle, Cryptoki.CKA_DECRYPT, decrypt);
        });
    }

    private interface ObjectAction {
        void apply(long session, long handle);
    }

    private void forEachVersion(String keyRef, ObjectAction action) {
        token.inSession(session -> {
            for (long handle : handles(session, keyRef)) {
                action.apply(session, handle);
            }
            return null;
        });
    }

    private static void softhsm2Util(Path config, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("softhsm2-util"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", config.toString());
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("softhsm2-util " + args[0] + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path writeOwnerOnly(Path file, String text) {
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text + "\n");
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
