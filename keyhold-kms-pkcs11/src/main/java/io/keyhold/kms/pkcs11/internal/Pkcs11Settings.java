package io.keyhold.kms.pkcs11.internal;

import io.keyhold.kms.KmsConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The pkcs11 provider's settings, from {@link KmsConfig} (the server's {@code kms.pkcs11.*}):
 * <ul>
 *   <li>{@code library}: the path of the HSM's PKCS#11 library (required), e.g.
 *       {@code /usr/lib/softhsm/libsofthsm2.so}</li>
 *   <li>{@code pin-file}: a file holding the token user's PIN (one line; readable by its owner
 *       only), or</li>
 *   <li>{@code pin-env}: the name of an environment variable holding it (default
 *       {@code KEYHOLD_PKCS11_PIN} when neither is set). The PIN itself is never a setting, so it
 *       never appears on a command line or in a YAML file</li>
 *   <li>{@code threads} (4): calls into the library that may run at once</li>
 * </ul>
 * {@link #toString()} names no PIN.
 */
public final class Pkcs11Settings {
    public static final String DEFAULT_PIN_ENV = "KEYHOLD_PKCS11_PIN";

    private final String library;
    private final char[] pin;
    private final int threads;

    private Pkcs11Settings(String library, char[] pin, int threads) {
        this.library = library;
        this.pin = pin;
        this.threads = threads;
    }

    public static Pkcs11Settings from(KmsConfig config) {
        return from(config, System::getenv);
    }

    /** With the environment as a function, for tests. */
    static Pkcs11Settings from(KmsConfig config, UnaryOperator<String> env) {
        if (config.get("pin").isPresent()) {
            throw new IllegalArgumentException("the PKCS#11 PIN is not a KMS setting (it would show on command lines and in files):"
                    + " give 'pin-file' (a file only its owner reads) or 'pin-env' (an environment variable's name)");
        }
        String library = config.get("library").map(String::trim).filter(s -> !s.isEmpty())
                .orElseThrow(() -> new IllegalArgumentException("KMS setting 'library' (the HSM's PKCS#11 library) is required"));
        if (!Files.isRegularFile(Path.of(library))) {
            throw new IllegalArgumentException("KMS setting 'library': no PKCS#11 library at " + library);
        }
        Optional<Path> file = config.path("pin-file");
        Optional<String> envName = config.get("pin-env").map(String::trim).filter(s -> !s.isEmpty());
        if (file.isPresent() && envName.isPresent()) {
            throw new IllegalArgumentException("KMS settings 'pin-file' and 'pin-env' exclude each other");
        }
        char[] pin = file.isPresent() ? pinFromFile(file.get()) : pinFromEnv(envName.orElse(DEFAULT_PIN_ENV), env);
        return new Pkcs11Settings(library, pin, config.integer("threads", 4, 1, 64));
    }

    private static char[] pinFromFile(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IllegalArgumentException("KMS setting 'pin-file': " + file + " is readable by others; make it owner-only (chmod 600)");
            }
            byte[] bytes = Files.readAllBytes(file);
            try {
                return pin(new String(bytes, StandardCharsets.UTF_8).strip(), "the file " + file);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("KMS setting 'pin-file': cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("KMS setting 'pin-file': " + file + " is on a file system without owner-only permissions");
        }
    }

    private static char[] pinFromEnv(String name, UnaryOperator<String> env) {
        String value = env.apply(name);
        if (value == null) {
            throw new IllegalArgumentException("the PKCS#11 PIN is missing: set the environment variable " + name
                    + ", or KMS setting 'pin-file' or 'pin-env'");
        }
        return pin(value.strip(), "the environment variable " + name);
    }

    private static char[] pin(String value, String where) {
        if (value.isEmpty() || value.contains("\n")) {
            throw new IllegalArgumentException("the PKCS#11 PIN in " + where + " must be one non-empty line");
        }
        return value.toCharArray();
    }

    public String library() {
        return library;
    }

    /** A copy of the PIN; the caller wipes it. */
    public char[] pin() {
        return pin.clone();
    }

    public int threads() {
        return threads;
    }

    /** Wipes the PIN. */
    public void wipe() {
        Arrays.fill(pin, '\0');
    }

    @Override
    public String toString() {
        return "Pkcs11Settings[library=" + library + ", threads=" + threads + "]";
    }
}
