package io.keyhold.kms.aws.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A KMS key or alias ARN, {@code arn:<partition>:kms:<region>:<account>:key/<id>} or
 * {@code .../alias/<name>}, in any partition ({@code aws}, {@code aws-cn}, {@code aws-us-gov}, ...).
 * Keyhold takes only ARNs, never bare key ids or alias names: the ARN says which region (and so
 * which endpoint) to call, and which account the key belongs to.
 *
 * @param arn       the ARN as given
 * @param partition e.g. {@code aws}
 * @param region    e.g. {@code eu-west-1}
 * @param account   the 12-digit account id
 * @param alias     true for {@code alias/...}
 * @param resource  the key id, or the alias name without {@code alias/}
 */
public record KeyArn(String arn, String partition, String region, String account, boolean alias, String resource) {
    private static final Pattern ARN = Pattern.compile(
            "arn:(aws(?:-[a-z]+)*):kms:([a-z]{2,4}(?:-[a-z]+)+-\\d+):(\\d{12}):(key|alias)/([A-Za-z0-9/_-]{1,256})");

    /** Parses {@code ref}; throws {@link IllegalArgumentException} naming what a reference looks like. */
    public static KeyArn parse(String ref) {
        if (ref == null) {
            throw new IllegalArgumentException("an AWS KMS key reference is required");
        }
        Matcher m = ARN.matcher(ref);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + ref + "' is not an AWS KMS key ARN or alias ARN"
                    + " (arn:aws:kms:<region>:<account>:key/<key-id> or arn:aws:kms:<region>:<account>:alias/<name>)");
        }
        return new KeyArn(ref, m.group(1), m.group(2), m.group(3), m.group(4).equals("alias"), m.group(5));
    }

    @Override
    public String toString() {
        return arn;
    }
}
