package io.keyhold.secrets.internal;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsException;
import io.keyhold.kms.KmsProvider;
import io.keyhold.kms.KmsProviders;
import io.keyhold.kms.ResilientKms;
import io.keyhold.kms.RetryPolicy;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Data keys generated and unwrapped by a KMS key through Keyhold's KMS SPI, for secrets files
 * created with {@code --kms-key <kind>:<key id>}. The KMS key never leaves the KMS; the file keeps
 * only the wrapped data key and which key version wrapped it.
 */
final class KmsDataKeys {
    /**
     * What a secrets file's data key is bound to at the KMS: it unwraps for nothing else. (Files
     * written before contexts existed hold local-KMS keys of the older format, which still unwrap.)
     */
    static final EncryptionContext CONTEXT = EncryptionContext.forPurpose("secrets-file");

    /** The algorithm field of a KMS-wrapped data key: Confluent's tools reject it by name, as they should. */
    static final String ALGORITHM = "KMS";

    /** A new data key: its bytes (the caller wipes them) and how the file records it. */
    record Generated(byte[] key, String wrapped, String keyVersion) {
    }

    /** {@code <kind>:<key id>}, e.g. {@code local:kafka-secrets}. */
    record KeyRef(String kind, String keyId) {
        static KeyRef parse(String ref) {
            int colon = ref.indexOf(':');
            if (colon <= 0 || colon == ref.length() - 1) {
                throw new SecretsException(SecretsException.Kind.USAGE, "invalid KMS key reference \"" + ref + "\"",
                        "Write it as <kms kind>:<key id>, e.g. local:kafka-secrets.");
            }
            return new KeyRef(ref.substring(0, colon).trim(), ref.substring(colon + 1).trim());
        }

        @Override
        public String toString() {
            return kind + ":" + keyId;
        }
    }

    private KmsDataKeys() {
    }

    static Generated generate(String ref, Map<String, String> settings) {
        KeyRef key = KeyRef.parse(ref);
        try (Kms kms = open(key, settings)) {
            GeneratedDek generated = KmsCalls.await(kms.generate(key.keyId(), CONTEXT));
            try (DataKey dek = generated.dek()) {
                // Our own copy for the value cipher; the caller wipes it when done.
                byte[] bytes = dek.withKeyBytes(byte[]::clone);
                String wrapped = new CipherText(ALGORITHM, Base64.getEncoder().encodeToString(generated.edek()), "").format();
                return new Generated(bytes, wrapped, generated.kek().keyVersion());
            }
        } catch (KmsException e) {
            throw failure("could not generate a data key with the KMS key \"" + key + "\"", e);
        }
    }

    static byte[] unwrap(String ref, String keyVersion, String wrapped, Map<String, String> settings) {
        KeyRef key = KeyRef.parse(ref);
        CipherText text = CipherText.parse(wrapped);
        if (!ALGORITHM.equals(text.algorithm())) {
            throw new SecretsException("the data key of a KMS-protected secrets file must be " + ALGORITHM
                    + "-wrapped, found \"" + text.algorithm() + "\"", "Check the secrets file: it may have been edited.");
        }
        byte[] edek;
        try {
            edek = Base64.getDecoder().decode(text.data());
        } catch (IllegalArgumentException e) {
            throw new SecretsException("the KMS-wrapped data key is not valid base64", "Check the secrets file: it may have been edited.");
        }
        try (Kms kms = open(key, settings);
             DataKey dek = KmsCalls.await(kms.unwrap(new KekRef(key.kind(), key.keyId(), keyVersion == null ? "" : keyVersion), edek,
                     CONTEXT))) {
            return dek.withKeyBytes(byte[]::clone);
        } catch (KmsException e) {
            throw failure("the KMS key \"" + key + "\" could not unwrap the data key", e);
        } catch (IllegalArgumentException e) {
            throw new SecretsException(SecretsException.Kind.KMS, "the KMS key \"" + key + "\" could not unwrap the data key: " + e.getMessage(),
                    "Check the KMS key reference and version in the secrets file.");
        }
    }

    private static Kms open(KeyRef key, Map<String, String> settings) {
        KmsProvider provider = KmsProviders.find(key.kind()).orElseThrow(() -> new SecretsException(SecretsException.Kind.KMS,
                "no KMS provider \"" + key.kind() + "\" is installed (installed: " + KmsProviders.installed().stream()
                        .map(KmsProvider::kind).sorted().collect(Collectors.joining(", ")) + ")",
                "Put the Keyhold KMS provider jar for \"" + key.kind() + "\" on the class path."));
        try {
            // Timeouts and bounded retries: a KMS that hangs must not hang a broker's start for ever.
            return new ResilientKms(provider.open(KmsConfig.of(settings)), RetryPolicy.DEFAULT);
        } catch (IllegalArgumentException e) {
            throw new SecretsException(SecretsException.Kind.KMS, "the " + key.kind() + " KMS settings are not usable: " + e.getMessage(),
                    "Give the settings with --kms-config name=value (or as config.providers.securepass.param.kms.<name>).");
        } catch (KmsException e) {
            throw failure("could not open the " + key.kind() + " KMS", e);
        }
    }

    private static SecretsException failure(String what, KmsException e) {
        String suggestion = e instanceof KmsDeniedException
                ? "Check that the KMS key exists, is enabled and that this process may use it."
                : "The KMS could not be reached or did not answer in time; try again.";
        return new SecretsException(SecretsException.Kind.KMS, what + ": " + e.getMessage(), suggestion, e);
    }
}
