/**
 * The Google Cloud KMS provider, kind {@code gcp}: {@link io.keyhold.kms.gcp.GcpKms} on the official
 * Cloud KMS client (gRPC), found through {@code META-INF/services/io.keyhold.kms.KmsProvider}. Key
 * references are key names ({@code projects/<p>/locations/<region>/keyRings/<r>/cryptoKeys/<k>}).
 * Settings, the IAM binding a customer grants, credentials and what the test fake models:
 * docs/kms/gcp.md.
 */
package io.keyhold.kms.gcp;
