package io.keyhold.kms.pkcs11.internal;

/** A PKCS#11 function returned an error: {@link #code()} is its {@code CKR_} name, e.g. {@code CKR_PIN_INCORRECT}. */
public final class CryptokiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;

    private CryptokiException(String code, Throwable cause) {
        super(code, cause);
        this.code = code;
    }

    /** From the wrapper's {@code PKCS11Exception} (whose message is the {@code CKR_} name), or anything else the call threw. */
    static RuntimeException of(Throwable t) {
        String code = ckr(t);
        if (code != null) {
            return new CryptokiException(code, t);
        }
        return t instanceof RuntimeException ? (RuntimeException) t : new IllegalStateException(t);
    }

    /** The {@code CKR_} name in {@code t} or its causes, or null: how SunPKCS11's JCA exceptions carry the library's error. */
    public static String ckr(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof CryptokiException) {
                return ((CryptokiException) c).code;
            }
            if (c.getClass().getName().endsWith(".PKCS11Exception") && c.getMessage() != null) {
                String m = c.getMessage().trim();
                int space = m.indexOf(' ');
                return space < 0 ? m : m.substring(0, space);
            }
        }
        return null;
    }

    public String code() {
        return code;
    }
}
