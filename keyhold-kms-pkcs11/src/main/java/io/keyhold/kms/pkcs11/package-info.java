/**
 * The PKCS#11 HSM provider (kind {@code pkcs11}): {@link io.keyhold.kms.pkcs11.Pkcs11Kms}, through
 * the JDK's SunPKCS11 provider; DEKs are sealed with AES-256-GCM inside the token under a
 * non-extractable key. See docs/kms/pkcs11.md.
 */
package io.keyhold.kms.pkcs11;
