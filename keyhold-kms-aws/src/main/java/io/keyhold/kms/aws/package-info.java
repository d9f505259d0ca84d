/**
 * The AWS KMS provider, kind {@code aws}: {@link io.keyhold.kms.aws.AwsKms} on the AWS SDK for
 * Java v2, found through {@code META-INF/services/io.keyhold.kms.KmsProvider}. Key references are
 * key ARNs or alias ARNs in any partition. Settings, the key policy a customer adds, credentials
 * and the encryption context Keyhold sends: docs/kms/aws.md.
 */
package io.keyhold.kms.aws;
