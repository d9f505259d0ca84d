package io.keyhold.kms.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Where the local KMS passphrase comes from: a file, else {@value #ENV}, else none (key file). */
public final class Passphrases {
    public static final String ENV = "KEYHOLD_LOCAL_KMS_PASSPHRASE";

    private Passphrases() {
    }

    /**
     * The passphrase from {@code passphraseFile} when given (one trailing newline removed), else from
     * the environment, else null.
     */
    public static char[] resolve(Path passphraseFile) {
        if (passphraseFile != null) {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(passphraseFile);
            } catch (IOException e) {
                throw new LocalKmsException(LocalKmsException.Kind.STORE_IO, "cannot read the passphrase file " + passphraseFile
                        + ": " + e.getMessage());
            }
            try {
                CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
                int end = chars.limit();
                if (end > 0 && chars.get(end - 1) == '\n') {
                    end--;
                    if (end > 0 && chars.get(end - 1) == '\r') {
                        end--;
                    }
                }
                char[] out = new char[end];
                chars.get(out);
                Arrays.fill(chars.array(), '\0');
                return out;
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }
        String env = System.getenv(ENV);
        return env == null || env.isEmpty() ? null : env.toCharArray();
    }
}
