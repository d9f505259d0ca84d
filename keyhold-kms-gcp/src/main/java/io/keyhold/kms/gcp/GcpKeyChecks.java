package io.keyhold.kms.gcp;

import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import io.keyhold.kms.gcp.internal.KeyDescriptions;
import io.keyhold.kms.gcp.internal.KeyName;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether a Cloud KMS key can serve as a Keyhold KEK, each problem in words that name the fix: for
 * the server's key validator ({@link GcpKms#keyProblems}). A key passes when it is a symmetric
 * encryption key (purpose {@code ENCRYPT_DECRYPT}, algorithm {@code GOOGLE_SYMMETRIC_ENCRYPTION}),
 * its primary version is {@code ENABLED}, and its key ring is in a single region (the validator
 * then compares that region with the one the key is registered for, and does an Encrypt + Decrypt
 * round trip).
 */
public final class GcpKeyChecks {
    private GcpKeyChecks() {
    }

    /** What keeps {@code key} (as GetCryptoKey describes it) from serving; empty when nothing. */
    public static List<String> problems(KeyName ref, CryptoKey key) {
        List<String> p = new ArrayList<>();
        String gcloudKey = " --key " + ref.key() + " --keyring " + ref.keyRing() + " --location " + ref.location() + " --project " + ref.project();
        if (key.getPurpose() != CryptoKeyPurpose.ENCRYPT_DECRYPT) {
            p.add("the key's purpose is " + key.getPurpose() + ": Keyhold needs a symmetric encryption key (purpose ENCRYPT_DECRYPT,"
                    + " algorithm " + KeyDescriptions.SYMMETRIC + "); create one with gcloud kms keys create <name> --purpose encryption"
                    + " --keyring " + ref.keyRing() + " --location " + ref.location());
        } else if (!key.hasPrimary() || key.getPrimary().getName().isEmpty()) {
            p.add("the key has no primary version: create one with gcloud kms keys versions create --primary" + gcloudKey);
        } else {
            CryptoKeyVersion primary = key.getPrimary();
            String id = ref.versionId(primary.getName());
            if (!KeyDescriptions.SYMMETRIC.equals(primary.getAlgorithm().name())) {
                p.add("the primary version's algorithm is " + primary.getAlgorithm() + ": Keyhold needs " + KeyDescriptions.SYMMETRIC);
            }
            switch (primary.getState()) {
                case ENABLED:
                case PENDING_GENERATION:
                    break;
                case DISABLED:
                    p.add("the primary version " + id + " is disabled: enable it with gcloud kms keys versions enable " + id + gcloudKey);
                    break;
                case DESTROY_SCHEDULED:
                    p.add("the primary version " + id + " is scheduled for destruction" + (primary.hasDestroyTime()
                            ? " (on " + java.time.Instant.ofEpochSecond(primary.getDestroyTime().getSeconds()) + ")" : "")
                            + ": restore it with gcloud kms keys versions restore " + id + gcloudKey + ", then enable it");
                    break;
                default:
                    p.add("the primary version " + id + " is " + primary.getState() + ": make an enabled version primary with"
                            + " gcloud kms keys set-primary-version" + gcloudKey.replace(" --key ", " ") + " --version <id>");
                    break;
            }
        }
        if (!ref.singleRegion()) {
            p.add("the key ring is in location '" + ref.location() + "', which is not a single region: Keyhold needs a key ring in the"
                    + " cluster's region (e.g. us-central1); create the key ring and key there");
        }
        return p;
    }
}
