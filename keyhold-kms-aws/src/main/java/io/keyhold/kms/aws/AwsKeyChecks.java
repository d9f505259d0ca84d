package io.keyhold.kms.aws;

import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.Kms;
import io.keyhold.kms.KmsCalls;
import io.keyhold.kms.KmsDeniedException;
import io.keyhold.kms.aws.internal.KeyDescriptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether an AWS key can serve as a Keyhold KEK, in words a customer can act on: for the server's
 * key validator. A key passes when it is a symmetric encryption key ({@code KeySpec
 * SYMMETRIC_DEFAULT}, which AWS only makes with {@code KeyUsage ENCRYPT_DECRYPT}), enabled, and in
 * the expected region. This looks at DescribeKey only; that Keyhold may also generate and decrypt
 * is what {@link Kms#checkAccess} proves.
 */
public final class AwsKeyChecks {
    private static final Pattern PRINCIPAL = Pattern.compile("User: (\\S+) is not authorized");

    private AwsKeyChecks() {
    }

    /**
     * The problems of the key {@code keyRef} names, empty when there are none. A KMS that does not
     * answer fails the stage ({@link io.keyhold.kms.KmsUnavailableException}): that says nothing
     * about the key.
     *
     * @param expectedRegion the region the key must be in, or null for any
     */
    public static CompletionStage<List<String>> check(Kms kms, String keyRef, String expectedRegion) {
        return kms.describe(keyRef).handle((info, err) -> {
            if (err == null) {
                return problems(info, expectedRegion);
            }
            Throwable cause = KmsCalls.cause(err);
            if (cause instanceof KmsDeniedException) {
                return List.of(problem((KmsDeniedException) cause));
            }
            throw KmsCalls.asCompletionFailure(cause);
        });
    }

    /** What is wrong with a described key; empty when nothing. */
    public static List<String> problems(KeyInfo info, String expectedRegion) {
        List<String> p = new ArrayList<>();
        if (!KeyDescriptions.SYMMETRIC_DEFAULT.equals(info.algorithm())) {
            p.add("the key is not a symmetric encryption key (key spec " + info.algorithm()
                    + "): Keyhold needs key spec SYMMETRIC_DEFAULT, key usage ENCRYPT_DECRYPT");
        }
        switch (info.state()) {
            case DISABLED:
                p.add("the key is disabled");
                break;
            case PENDING_DELETION:
                p.add("the key is pending deletion" + (info.deletionDate() == null ? "" : " (to be deleted " + info.deletionDate() + ")"));
                break;
            case DESTROYED:
                p.add("the key is destroyed");
                break;
            default:
                break;
        }
        if (expectedRegion != null && !expectedRegion.equals(info.region())) {
            p.add("wrong region: the key is in " + info.region() + ", expected " + expectedRegion);
        }
        return p;
    }

    /** The one problem a refused DescribeKey shows. */
    public static String problem(KmsDeniedException e) {
        switch (e.reason()) {
            case ACCESS_DENIED:
                Matcher m = PRINCIPAL.matcher(String.valueOf(e.getMessage()));
                return "access denied for " + (m.find() ? m.group(1) : "Keyhold's AWS principal") + " (the key policy or IAM"
                        + " policy must allow kms:DescribeKey, kms:GenerateDataKey and kms:Decrypt)";
            case NOT_FOUND:
                return "the key was not found (or Keyhold's AWS principal may not see it)";
            case DISABLED:
                return "the key is disabled";
            case PENDING_DELETION:
                return "the key is pending deletion";
            case DESTROYED:
                return "the key is destroyed";
            default:
                return "the key cannot be used: " + e.getMessage();
        }
    }
}
