package io.keyhold.server.internal.util;

import java.security.SecureRandom;

/** Resource ids in the Confluent style: a type prefix and random lower-case characters (cck-3f9a0z). */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String LOWER = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String SECRET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private Ids() {
    }

    /** e.g. {@code newId("cck")}: 8 random characters, about 41 bits; inserts retry on a clash. */
    public static String newId(String prefix) {
        return prefix + "-" + random(LOWER, 8);
    }

    /** API key ids look like Confluent's: 16 upper-case letters and digits. */
    public static String apiKeyId() {
        return random(UPPER, 16);
    }

    /** 64 letters and digits (about 381 bits): safe to paste into shells and env files. */
    public static String apiSecret() {
        return random(SECRET, 64);
    }

    private static String random(String alphabet, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
