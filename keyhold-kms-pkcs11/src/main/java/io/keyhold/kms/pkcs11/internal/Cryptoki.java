package io.keyhold.kms.pkcs11.internal;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;

/**
 * The few raw PKCS#11 calls the JDK's SunPKCS11 provider does not offer through the JCA: listing
 * tokens by label, reading and setting a key object's attributes, finding objects by label. They go
 * through the JDK's own PKCS#11 wrapper ({@code sun.security.pkcs11.wrapper}, the one SunPKCS11
 * uses, so both share the library's one initialisation), reached by reflection because the JDK does
 * not export that package: Java must run with
 * {@code --add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (the launcher
 * does). Failures of the library come out as {@link CryptokiException} with the {@code CKR_} name.
 */
public final class Cryptoki {
    /** What the JVM needs for this class to work, in the words a message can quote. */
    public static final String JVM_OPTION = "--add-exports=jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED";

    public static final long CKA_CLASS = 0x0, CKA_TOKEN = 0x1, CKA_LABEL = 0x3, CKA_KEY_TYPE = 0x100, CKA_SENSITIVE = 0x103,
            CKA_ENCRYPT = 0x104, CKA_DECRYPT = 0x105, CKA_WRAP = 0x106, CKA_UNWRAP = 0x107, CKA_VALUE_LEN = 0x161,
            CKA_EXTRACTABLE = 0x162;
    public static final long CKO_SECRET_KEY = 0x4, CKK_AES = 0x1F;
    private static final long CKF_RW_SESSION = 0x2, CKF_SERIAL_SESSION = 0x4, CKF_OS_LOCKING_OK = 0x2;
    private static final String WRAPPER = "sun.security.pkcs11.wrapper.";

    /** A slot with a token in it. */
    public record Token(long slot, String label, String serialNumber) {
    }

    private final Object pkcs11;
    private final Class<?> attribute;
    private final Method getSlotList, getTokenInfo, openSession, closeSession, findInit, find, findFinal, getAttributes,
            setAttributes, destroyObject, wrapKey;
    private final Class<?> mechanism;

    private Cryptoki(Object pkcs11) throws ReflectiveOperationException {
        this.pkcs11 = pkcs11;
        Class<?> p = Class.forName(WRAPPER + "PKCS11"); // the public type: the instance may be a private subclass
        attribute = Class.forName(WRAPPER + "CK_ATTRIBUTE");
        mechanism = Class.forName(WRAPPER + "CK_MECHANISM");
        Class<?> attributes = attribute.arrayType();
        getSlotList = p.getMethod("C_GetSlotList", boolean.class);
        getTokenInfo = p.getMethod("C_GetTokenInfo", long.class);
        openSession = p.getMethod("C_OpenSession", long.class, long.class, Object.class, Class.forName(WRAPPER + "CK_NOTIFY"));
        closeSession = p.getMethod("C_CloseSession", long.class);
        findInit = p.getMethod("C_FindObjectsInit", long.class, attributes);
        find = p.getMethod("C_FindObjects", long.class, long.class);
        findFinal = p.getMethod("C_FindObjectsFinal", long.class);
        getAttributes = p.getMethod("C_GetAttributeValue", long.class, long.class, attributes);
        setAttributes = p.getMethod("C_SetAttributeValue", long.class, long.class, attributes);
        destroyObject = p.getMethod("C_DestroyObject", long.class, long.class);
        wrapKey = p.getMethod("C_WrapKey", long.class, mechanism, long.class, long.class);
    }

    /**
     * The library at {@code library}, initialised (once per JVM and library, shared with SunPKCS11).
     *
     * @throws IllegalArgumentException when the JVM lacks {@link #JVM_OPTION} or the library cannot be loaded
     */
    public static Cryptoki load(String library) {
        Module cryptoki = ModuleLayer.boot().findModule("jdk.crypto.cryptoki")
                .orElseThrow(() -> new IllegalArgumentException("this Java has no PKCS#11 support (module jdk.crypto.cryptoki)"));
        if (!cryptoki.isExported("sun.security.pkcs11.wrapper", Cryptoki.class.getModule())) {
            throw new IllegalArgumentException("the pkcs11 KMS needs Java started with " + JVM_OPTION
                    + " (the keyhold launcher adds it; add it to KEYHOLD_JAVA_OPTS or your JVM options otherwise)");
        }
        try {
            Class<?> p = Class.forName(WRAPPER + "PKCS11");
            Method getInstance = p.getMethod("getInstance", String.class, String.class, Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS"),
                    boolean.class);
            // As SunPKCS11 initialises it: the library may be called from many threads and locks with the OS's own means.
            Object initArgs = Class.forName(WRAPPER + "CK_C_INITIALIZE_ARGS").getConstructor().newInstance();
            initArgs.getClass().getField("flags").setLong(initArgs, CKF_OS_LOCKING_OK);
            return new Cryptoki(invoke(getInstance, null, library, "C_GetFunctionList", initArgs, false));
        } catch (CryptokiException e) {
            throw new IllegalArgumentException("the PKCS#11 library " + library + " failed to initialise: " + e.getMessage());
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalArgumentException("the PKCS#11 library " + library + " cannot be loaded: " + e);
        }
    }

    /** The slots that hold a token, with the token's label and serial number. */
    public List<Token> tokens() {
        List<Token> tokens = new ArrayList<>();
        for (long slot : (long[]) call(getSlotList, true)) {
            Object info = call(getTokenInfo, slot);
            tokens.add(new Token(slot, text(field(info, "label")), text(field(info, "serialNumber"))));
        }
        return tokens;
    }

    /** A read-write session on the token in {@code slot}; close it with {@link #closeSession}. */
    public long openSession(long slot) {
        return (Long) call(openSession, slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, null, null);
    }

    public void closeSession(long session) {
        call(closeSession, session);
    }

    /** The handles of the secret keys stored on the token labelled {@code label} (private ones once logged in). */
    public long[] findSecretKeys(long session, String label) {
        Object template = attributes(attribute(CKA_CLASS, CKO_SECRET_KEY), attribute(CKA_TOKEN, true), attribute(CKA_LABEL, label.toCharArray()));
        call(findInit, session, template);
        try {
            return (long[]) call(find, session, 16L);
        } finally {
            call(findFinal, session);
        }
    }

    /** The labels of every secret key stored on the token (not session objects, which come and go) that the session sees. */
    public List<String> secretKeyLabels(long session) {
        call(findInit, session, attributes(attribute(CKA_CLASS, CKO_SECRET_KEY), attribute(CKA_TOKEN, true)));
        List<Long> handles = new ArrayList<>();
        try {
            for (long[] batch = (long[]) call(find, session, 64L); batch.length > 0; batch = (long[]) call(find, session, 64L)) {
                for (long h : batch) {
                    handles.add(h);
                }
            }
        } finally {
            call(findFinal, session);
        }
        List<String> labels = new ArrayList<>();
        for (long h : handles) {
            try {
                if (read(session, h, CKA_LABEL) instanceof char[] chars) {
                    labels.add(new String(chars));
                }
            } catch (CryptokiException e) {
                if (!e.code().equals("CKR_OBJECT_HANDLE_INVALID")) { // destroyed since it was found: no longer a label
                    throw e;
                }
            }
        }
        return labels;
    }

    /** A boolean attribute of an object. */
    public boolean bool(long session, long object, long type) {
        return (Boolean) read(session, object, type);
    }

    /** A number attribute (CK_ULONG) of an object. */
    public long number(long session, long object, long type) {
        return ((Number) read(session, object, type)).longValue();
    }

    public void set(long session, long object, long type, boolean value) {
        call(setAttributes, session, object, attributes(attribute(type, value)));
    }

    public void destroy(long session, long object) {
        call(destroyObject, session, object);
    }

    /** {@code C_WrapKey}: the token's answer to a request to export {@code key} wrapped under {@code wrapping}. */
    public byte[] wrap(long session, long mechanismType, long wrapping, long key) {
        try {
            return (byte[]) call(wrapKey, session, mechanism.getConstructor(long.class).newInstance(mechanismType), wrapping, key);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Any attribute of an object, as the wrapper gives it (a {@code Boolean}, {@code Long}, {@code char[]}, {@code byte[]}). */
    public Object read(long session, long object, long type) {
        Object template = attributes(attribute(type));
        call(getAttributes, session, object, template);
        return field(java.lang.reflect.Array.get(template, 0), "pValue");
    }

    private Object attribute(long type, Object... value) {
        try {
            if (value.length == 0) {
                return attribute.getConstructor(long.class).newInstance(type);
            }
            Object v = value[0];
            if (v instanceof Boolean) {
                return attribute.getConstructor(long.class, boolean.class).newInstance(type, v);
            }
            if (v instanceof Long) {
                return attribute.getConstructor(long.class, long.class).newInstance(type, v);
            }
            return attribute.getConstructor(long.class, Object.class).newInstance(type, v);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private Object attributes(Object... items) {
        Object array = java.lang.reflect.Array.newInstance(attribute, items.length);
        for (int i = 0; i < items.length; i++) {
            java.lang.reflect.Array.set(array, i, items[i]);
        }
        return array;
    }

    private Object call(Method m, Object... args) {
        return invoke(m, pkcs11, args);
    }

    private static Object invoke(Method m, Object target, Object... args) {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw CryptokiException.of(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("the JDK's PKCS#11 wrapper is not accessible: start Java with " + JVM_OPTION, e);
        }
    }

    private static Object field(Object o, String name) {
        try {
            return o.getClass().getField(name).get(o);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String text(Object chars) {
        return new String((char[]) chars).trim();
    }
}
