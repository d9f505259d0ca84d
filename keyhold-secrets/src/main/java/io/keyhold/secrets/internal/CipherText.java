package io.keyhold.secrets.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One encrypted value as written in a secrets file:
 * {@code ENC[<algorithm>,data:<base64>,iv:<base64>,type:str]}.
 */
public record CipherText(String algorithm, String data, String iv) {
    public static final String GCM = "AES/GCM/NoPadding";
    public static final String CBC = "AES/CBC/PKCS5Padding";

    // Confluent's readers take the first match of each field; we do the same so that
    // every file they accept is read identically here.
    private static final Pattern ALGORITHM = Pattern.compile("ENC\\[(.*?),");
    private static final Pattern DATA = Pattern.compile("data:(.*?),");
    private static final Pattern IV = Pattern.compile("iv:(.*?),");
    private static final Pattern WHOLE = Pattern.compile("ENC\\[(.*?)\\]");

    /** True when the value looks like an encrypted value at all. */
    public static boolean isCipherText(String value) {
        return value != null && WHOLE.matcher(value).find();
    }

    /** Parses the value; a field that is missing comes back as an empty string. */
    public static CipherText parse(String value) {
        return new CipherText(first(ALGORITHM, value), first(DATA, value), first(IV, value));
    }

    private static String first(Pattern pattern, String value) {
        Matcher m = pattern.matcher(value);
        return m.find() ? m.group(1) : "";
    }

    public String format() {
        return "ENC[" + algorithm + ",data:" + data + ",iv:" + iv + ",type:str]";
    }

    @Override
    public String toString() {
        // Ciphertext is not secret, but keep logs short and free of it anyway.
        return "CipherText[" + algorithm + "]";
    }
}
