/**
 * The HashiCorp Vault / OpenBao Transit provider (kind {@code vault}): {@link io.keyhold.kms.vault.VaultKms},
 * over Vault's HTTP API with token or AppRole auth. See docs/kms/vault.md.
 */
package io.keyhold.kms.vault;
