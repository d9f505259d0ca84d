package io.keyhold.server.support;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import io.keyhold.crypto.GeneratedDek;
import io.keyhold.crypto.KekRef;
import io.keyhold.kms.BlockingKms;
import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.KeyState;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.KmsProvider;
import io.keyhold.kms.KmsUnavailableException;

/**
 * A test-only stand-in for an Azure Key Vault provider (kind {@code azure}), so that the API tests
 * can see every validation outcome end to end. The key URL's key name decides the behaviour:
 * {@code denied-*} access denied, {@code missing-*} not found, {@code wrongtype-*} a key that can not
 * wrap, {@code unreachable-*} the vault does not answer, {@code flaky-*} a wrong unwrap; anything
 * else is a working key in region {@code eastus}. It "wraps" by XOR with a fixed pad: no security
 * intended, this is a fake.
 */
public final class FakeAzureKmsProvider implements KmsProvider {
    @Override
    public String kind() {
        return "azure";
    }

    @Override
    public Kms open(KmsConfig config) {
        return new FakeKms();
    }

    private static final class FakeKms extends BlockingKms {
        FakeKms() {
            super("azure", 2);
        }

        @Override
        public String kind() {
            return "azure";
        }

        private static String name(String keyId) {
            return keyId.substring(keyId.lastIndexOf('/') + 1);
        }

        @Override
        protected KeyInfo describeBlocking(String keyId) {
            String n = name(keyId);
            if (n.startsWith("denied")) {
                throw new KmsDeniedException(KmsDeniedException.Reason.ACCESS_DENIED, "the vault refused Keyhold's application");
            }
            if (n.startsWith("missing")) {
                throw new KmsDeniedException(KmsDeniedException.Reason.NOT_FOUND, "no key " + n);
            }
            if (n.startsWith("unreachable")) {
                throw new KmsUnavailableException(KmsUnavailableException.Reason.TIMEOUT, "connect timed out");
            }
            return new KeyInfo(keyId, KeyState.ENABLED, n.startsWith("wrongtype") ? "EC" : "RSA-HSM", "eastus", "v1", true, null, null);
        }

        @Override
        protected GeneratedDek generateBlocking(String keyId, EncryptionContext context) {
            describeBlocking(keyId);
            if (name(keyId).startsWith("wrongtype")) {
                throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_KEY, "an EC key can not wrap");
            }
            DataKey dek = DataKey.generate();
            byte[] edek = dek.withKeyBytes(FakeKms::xor);
            return new GeneratedDek(dek, new KekRef("azure", keyId, "v1"), edek);
        }

        @Override
        protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
            byte[] plain = xor(edek);
            if (name(kek.keyId()).startsWith("flaky")) {
                plain[0] ^= 1;
            }
            return DataKey.fromBytesWipingSource(plain);
        }

        private static byte[] xor(byte[] in) {
            byte[] out = new byte[in.length];
            for (int i = 0; i < in.length; i++) {
                out[i] = (byte) (in[i] ^ 0x5a);
            }
            return out;
        }

        @Override
        protected KeyInfo rotateBlocking(String keyId) {
            throw new UnsupportedOperationException("fake");
        }

        @Override
        protected void closeBlocking() {
        }
    }
}
