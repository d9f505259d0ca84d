package io.keyhold.kms;

import io.keyhold.crypto.DataKey;
import io.keyhold.crypto.EncryptionContext;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a provider wraps when its KMS's wrap operation takes no additional data (Azure Key Vault's
 * wrapKey, KMIP's Encrypt outside GCM): a 64-byte payload, the 32-byte DEK followed by
 * HMAC-SHA-256 keyed with that DEK over the provider's label and the encryption context's canonical
 * bytes.
 *
 * <p>Why this binds: the pair is only readable by whoever can unwrap with the KMS key, and the tag
 * can only be computed by whoever knows the DEK. An EDEK made for one context therefore opens under
 * another only if someone who knows its DEK made a second EDEK for it, which needs the DEK itself. A
 * damaged EDEK decrypts to a payload whose tag does not match (unless the KMS's own mode
 * authenticates and refuses first). Each provider has its own label, so a payload of one provider
 * never passes for another's.
 */
public final class ContextBinding {
    public static final int PAYLOAD_LENGTH = DataKey.LENGTH + 32;

    private final byte[] label;

    /** @param label the provider's fixed label, e.g. {@code "keyhold azure edek v1"}; never change it once EDEKs exist */
    public ContextBinding(String label) {
        this.label = (label + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    /** DEK || tag; the caller wipes it once wrapped. */
    public byte[] payload(DataKey dek, EncryptionContext context) {
        return dek.withKeyBytes(key -> {
            byte[] out = Arrays.copyOf(key, PAYLOAD_LENGTH);
            byte[] tag = tag(key, context);
            System.arraycopy(tag, 0, out, DataKey.LENGTH, tag.length);
            Arrays.fill(tag, (byte) 0);
            return out;
        });
    }

    /**
     * The DEK in an unwrapped payload, if its tag matches {@code context}; wipes {@code payload}.
     * A payload of another length or another context is {@code INVALID_CIPHERTEXT}.
     */
    public DataKey open(byte[] payload, EncryptionContext context, String what) {
        try {
            if (payload == null || payload.length != PAYLOAD_LENGTH) {
                throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, what + ": the unwrapped value is not a"
                        + " Keyhold data key (" + (payload == null ? 0 : payload.length) + " bytes)");
            }
            byte[] key = Arrays.copyOf(payload, DataKey.LENGTH);
            byte[] expected = tag(key, context);
            boolean same = MessageDigest.isEqual(expected, Arrays.copyOfRange(payload, DataKey.LENGTH, PAYLOAD_LENGTH));
            Arrays.fill(expected, (byte) 0);
            if (!same) {
                Arrays.fill(key, (byte) 0);
                throw new KmsDeniedException(KmsDeniedException.Reason.INVALID_CIPHERTEXT, what
                        + ": the data key is bound to another encryption context, or damaged");
            }
            return DataKey.fromBytesWipingSource(key);
        } finally {
            if (payload != null) {
                Arrays.fill(payload, (byte) 0);
            }
        }
    }

    private byte[] tag(byte[] key, EncryptionContext context) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(label);
            return mac.doFinal(context.canonicalBytes());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 is not available", e);
        }
    }
}
