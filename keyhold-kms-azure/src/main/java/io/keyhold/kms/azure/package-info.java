/**
 * The Azure Key Vault / Managed HSM provider, kind {@code azure}: {@link io.keyhold.kms.azure.AzureKms}
 * on the Azure SDK for Java (azure-security-keyvault-keys, azure-identity, the JDK HttpClient
 * transport), found through {@code META-INF/services/io.keyhold.kms.KmsProvider}. Key references are
 * versionless key URLs. Settings, the role a customer grants, credentials, how the encryption context
 * is bound and what the test fake models: docs/kms/azure.md.
 */
package io.keyhold.kms.azure;
