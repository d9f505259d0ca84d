package io.keyhold.kms.kmip;

import io.keyhold.kms.kmip.internal.KeyAttributes;
import io.keyhold.kms.kmip.internal.KmipEnums;
import java.util.ArrayList;
import java.util.List;

/** What keeps a KMIP object from serving as a Keyhold KEK, in words that name the fix. */
public final class KmipKeyChecks {
    private KmipKeyChecks() {
    }

    public static List<String> problems(KeyAttributes key) {
        List<String> out = new ArrayList<>();
        if (key.objectType() != KmipEnums.ObjectType.SYMMETRIC_KEY) {
            out.add("the KMIP object " + key.uid() + " is not a Symmetric Key (Object Type " + key.objectType()
                    + "): create a 256-bit AES symmetric key");
        } else if (key.algorithm() != KmipEnums.CryptographicAlgorithm.AES || key.length() != 256) {
            out.add("the KMIP object " + key.uid() + " is " + key.algorithmName() + ", not AES-256: create a 256-bit AES key");
        }
        if (!key.active()) {
            out.add("the KMIP object " + key.uid() + " is " + KmipEnums.State.name(key.state()) + ", not Active"
                    + (key.state() == KmipEnums.State.PRE_ACTIVE ? ": activate it" : ": it can not be used again; register an Active key"));
        }
        int needed = KmipEnums.UsageMask.ENCRYPT | KmipEnums.UsageMask.DECRYPT;
        if ((key.usageMask() & needed) != needed) {
            out.add("the KMIP object " + key.uid() + "'s Cryptographic Usage Mask (" + key.usageMask() + ") lacks "
                    + ((key.usageMask() & KmipEnums.UsageMask.ENCRYPT) == 0 ? "Encrypt" : "")
                    + ((key.usageMask() & needed) == 0 ? " and " : "")
                    + ((key.usageMask() & KmipEnums.UsageMask.DECRYPT) == 0 ? "Decrypt" : "")
                    + ": create the key with both (mask " + needed + " or more)");
        }
        return out;
    }
}
