package io.keyhold.kms;

/**
 * The service-provider interface: one implementation per KMS kind, listed in
 * {@code META-INF/services/io.keyhold.kms.KmsProvider} and found with {@link KmsProviders}.
 */
public interface KmsProvider {
    /** The kind this provider serves, lower case: {@code local}, {@code aws}, {@code kmip}, ... */
    String kind();

    /** Opens a connection configured by {@code config}; throws {@link IllegalArgumentException} on bad configuration. */
    Kms open(KmsConfig config);
}
