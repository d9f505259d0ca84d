package io.keyhold.kms.pkcs11.internal;

import java.util.ArrayList;
import java.util.List;

/** What the token says about one key object: the attributes that decide whether it can serve as a Keyhold KEK. */
public record KeyAttributes(long keyType, long valueLength, boolean encrypt, boolean decrypt, boolean sensitive, boolean extractable) {

    /** A key whose token refuses both directions: the customer's way to disable it (docs/kms/pkcs11.md). */
    public boolean disabled() {
        return !encrypt && !decrypt;
    }

    /** What keeps the key from serving as a KEK, in words that say how to fix it; empty when nothing does. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (keyType != Cryptoki.CKK_AES || valueLength != 32) {
            problems.add("the key is not an AES-256 key (CKA_KEY_TYPE " + keyType + ", " + valueLength * 8
                    + " bits): create a 256-bit CKK_AES secret key");
        }
        if (extractable) {
            problems.add("the key is extractable (CKA_EXTRACTABLE=true): create it with CKA_EXTRACTABLE=false so its bytes never leave the token");
        }
        if (!sensitive) {
            problems.add("the key is not sensitive (CKA_SENSITIVE=false): create it with CKA_SENSITIVE=true so the token never reveals its value");
        }
        if (disabled()) {
            problems.add("the key is disabled (CKA_ENCRYPT and CKA_DECRYPT are false)");
        } else if (!encrypt || !decrypt) {
            problems.add("the key may not " + (encrypt ? "decrypt (CKA_DECRYPT=false)" : "encrypt (CKA_ENCRYPT=false)")
                    + ": Keyhold needs both to wrap and unwrap data keys");
        }
        return problems;
    }
}
