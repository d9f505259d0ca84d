/** The KMIP provider ({@code kmip}): {@link io.keyhold.kms.kmip.KmipKms}. Its TTLV codec and client are in {@code internal}. */
package io.keyhold.kms.kmip;
