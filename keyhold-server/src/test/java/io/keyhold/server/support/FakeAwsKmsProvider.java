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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test-only stand-in for AWS KMS (kind {@code aws}) with one account, {@value #ACCOUNT}: in it
 * every {@code key/<id>} exists and is enabled in the region its ARN names, and an alias
 * {@code alias/to-<id>} points at {@code key/<id>}, so that DescribeKey of the alias answers the
 * target key's ARN, as AWS does. Any other account's key is not found. It "wraps" by XOR with a
 * fixed pad: no security intended, this is a fake.
 */
public final class FakeAwsKmsProvider implements KmsProvider {
    public static final String ACCOUNT = "444455556666";
    private static final Pattern ARN = Pattern.compile("arn:aws:kms:([a-z0-9-]+):(\\d{12}):(key|alias)/(.+)");

    @Override
    public String kind() {
        return "aws";
    }

    @Override
    public Kms open(KmsConfig config) {
        return new FakeKms();
    }

    private static final class FakeKms extends BlockingKms {
        FakeKms() {
            super("aws", 2);
        }

        @Override
        public String kind() {
            return "aws";
        }

        /** DescribeKey: the target key's ARN for a key ARN or an alias ARN. */
        private static String resolve(String ref) {
            Matcher m = ARN.matcher(ref);
            if (!m.matches() || !m.group(2).equals(ACCOUNT)) {
                throw new KmsDeniedException(KmsDeniedException.Reason.NOT_FOUND, "no such key in the fake AWS account");
            }
            String id = m.group(4);
            if (m.group(3).equals("alias")) {
                if (!id.startsWith("to-")) {
                    throw new KmsDeniedException(KmsDeniedException.Reason.NOT_FOUND, "alias " + id + " is not found");
                }
                id = id.substring(3);
            }
            return "arn:aws:kms:" + m.group(1) + ":" + ACCOUNT + ":key/" + id;
        }

        @Override
        protected KeyInfo describeBlocking(String keyRef) {
            String arn = resolve(keyRef);
            Matcher m = ARN.matcher(arn);
            m.matches();
            return new KeyInfo(arn, KeyState.ENABLED, "SYMMETRIC_DEFAULT", m.group(1), "1", true, null, null);
        }

        @Override
        protected GeneratedDek generateBlocking(String keyRef, EncryptionContext context) {
            resolve(keyRef);
            DataKey dek = DataKey.generate();
            return new GeneratedDek(dek, new KekRef("aws", keyRef, "1"), dek.withKeyBytes(FakeKms::xor));
        }

        @Override
        protected DataKey unwrapBlocking(KekRef kek, byte[] edek, EncryptionContext context) {
            resolve(kek.keyId());
            return DataKey.fromBytesWipingSource(xor(edek));
        }

        private static byte[] xor(byte[] in) {
            byte[] out = new byte[in.length];
            for (int i = 0; i < in.length; i++) {
                out[i] = (byte) (in[i] ^ 0x3c);
            }
            return out;
        }

        @Override
        protected KeyInfo rotateBlocking(String keyRef) {
            throw new UnsupportedOperationException("fake");
        }

        @Override
        protected void closeBlocking() {
        }
    }
}
