package io.keyhold.kms;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/** Finds KMS providers on the class path through {@link ServiceLoader}. */
public final class KmsProviders {
    private KmsProviders() {
    }

    /** Every installed provider. */
    public static List<KmsProvider> installed() {
        return ServiceLoader.load(KmsProvider.class, KmsProviders.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .collect(Collectors.toList());
    }

    public static Optional<KmsProvider> find(String kind) {
        String k = kind.toLowerCase(Locale.ROOT);
        return installed().stream().filter(p -> p.kind().equals(k)).findFirst();
    }

    /** The provider for {@code kind}, or an error that lists what is installed. */
    public static KmsProvider require(String kind) {
        return find(kind).orElseThrow(() -> new IllegalArgumentException("no KMS provider '" + kind
                + "' is installed (installed: " + installed().stream().map(KmsProvider::kind).sorted().collect(Collectors.joining(", ")) + ")"));
    }
}
