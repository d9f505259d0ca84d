package io.keyhold.kms.local.internal;

/** File names inside {@code <data-dir>/local-kms/}. */
public final class LocalKeyFiles {
    public static final String STORE_FILE = "keys.json";
    public static final String MASTER_KEY_FILE = "master.key";
    public static final String LOCK_FILE = "keys.lock";

    private LocalKeyFiles() {
    }
}
