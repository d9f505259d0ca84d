package io.keyhold.kms.kmip.internal;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One KMIP TTLV item: a 3-byte tag, a type, and a value (a list of items for a structure). Immutable;
 * {@link TtlvCodec} turns it into bytes and back. Byte strings are copied in and out, and
 * {@link #toString()} never shows one (they may be key material).
 */
public final class Ttlv {
    /** The item types of KMIP 1.x, with their type byte. */
    public enum Type {
        STRUCTURE(0x01), INTEGER(0x02), LONG_INTEGER(0x03), BIG_INTEGER(0x04), ENUMERATION(0x05), BOOLEAN(0x06),
        TEXT_STRING(0x07), BYTE_STRING(0x08), DATE_TIME(0x09), INTERVAL(0x0A);

        final int code;

        Type(int code) {
            this.code = code;
        }

        static Type of(int code) {
            for (Type t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new TtlvException("unknown TTLV item type 0x" + Integer.toHexString(code));
        }
    }

    private final int tag;
    private final Type type;
    private final Object value;

    private Ttlv(int tag, Type type, Object value) {
        if ((tag & ~0xFFFFFF) != 0) {
            throw new IllegalArgumentException("a TTLV tag has 3 bytes: 0x" + Integer.toHexString(tag));
        }
        this.tag = tag;
        this.type = type;
        this.value = Objects.requireNonNull(value);
    }

    public static Ttlv structure(int tag, List<Ttlv> items) {
        return new Ttlv(tag, Type.STRUCTURE, List.copyOf(items));
    }

    public static Ttlv structure(int tag, Ttlv... items) {
        return structure(tag, List.of(items));
    }

    public static Ttlv integer(int tag, int v) {
        return new Ttlv(tag, Type.INTEGER, v);
    }

    public static Ttlv longInteger(int tag, long v) {
        return new Ttlv(tag, Type.LONG_INTEGER, v);
    }

    public static Ttlv bigInteger(int tag, BigInteger v) {
        return new Ttlv(tag, Type.BIG_INTEGER, v);
    }

    public static Ttlv enumeration(int tag, int v) {
        return new Ttlv(tag, Type.ENUMERATION, v);
    }

    public static Ttlv bool(int tag, boolean v) {
        return new Ttlv(tag, Type.BOOLEAN, v);
    }

    public static Ttlv text(int tag, String v) {
        return new Ttlv(tag, Type.TEXT_STRING, v);
    }

    public static Ttlv bytes(int tag, byte[] v) {
        return new Ttlv(tag, Type.BYTE_STRING, v.clone());
    }

    /** A date-time: seconds since 1970-01-01T00:00:00Z. */
    public static Ttlv dateTime(int tag, long epochSeconds) {
        return new Ttlv(tag, Type.DATE_TIME, epochSeconds);
    }

    /** An interval in seconds (unsigned 32 bits on the wire). */
    public static Ttlv interval(int tag, long seconds) {
        if (seconds < 0 || seconds > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("an interval is 0..2^32-1 seconds");
        }
        return new Ttlv(tag, Type.INTERVAL, seconds);
    }

    public int tag() {
        return tag;
    }

    public Type type() {
        return type;
    }

    /** The items of a structure. */
    @SuppressWarnings("unchecked")
    public List<Ttlv> items() {
        require(Type.STRUCTURE);
        return (List<Ttlv>) value;
    }

    /** The first item of this structure with {@code childTag}. */
    public Optional<Ttlv> child(int childTag) {
        return items().stream().filter(i -> i.tag == childTag).findFirst();
    }

    /** The first item with {@code childTag}, which the message must have. */
    public Ttlv required(int childTag) {
        return child(childTag).orElseThrow(() -> new TtlvException("the KMIP message lacks item " + Tags.name(childTag)
                + " in " + Tags.name(tag)));
    }

    /** Every item of this structure with {@code childTag}, in order. */
    public List<Ttlv> children(int childTag) {
        return items().stream().filter(i -> i.tag == childTag).toList();
    }

    /** The value of an Integer or Enumeration. */
    public int intValue() {
        if (type != Type.INTEGER && type != Type.ENUMERATION) {
            throw wrongType("an Integer or Enumeration");
        }
        return (Integer) value;
    }

    /** The value of a Long Integer, Date-Time or Interval. */
    public long longValue() {
        if (type != Type.LONG_INTEGER && type != Type.DATE_TIME && type != Type.INTERVAL) {
            throw wrongType("a Long Integer, Date-Time or Interval");
        }
        return (Long) value;
    }

    public BigInteger bigIntegerValue() {
        require(Type.BIG_INTEGER);
        return (BigInteger) value;
    }

    public boolean booleanValue() {
        require(Type.BOOLEAN);
        return (Boolean) value;
    }

    public String textValue() {
        require(Type.TEXT_STRING);
        return (String) value;
    }

    /** A copy of a Byte String's bytes. */
    public byte[] bytesValue() {
        require(Type.BYTE_STRING);
        return ((byte[]) value).clone();
    }

    /** Overwrites a Byte String's bytes with zeros (for key material received from a server). */
    public void wipe() {
        if (type == Type.BYTE_STRING) {
            Arrays.fill((byte[]) value, (byte) 0);
        } else if (type == Type.STRUCTURE) {
            items().forEach(Ttlv::wipe);
        }
    }

    Object rawValue() {
        return value;
    }

    private void require(Type wanted) {
        if (type != wanted) {
            throw wrongType("a " + wanted);
        }
    }

    private TtlvException wrongType(String wanted) {
        return new TtlvException("KMIP item " + Tags.name(tag) + " is a " + type + ", not " + wanted);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Ttlv other) || other.tag != tag || other.type != type) {
            return false;
        }
        return type == Type.BYTE_STRING ? Arrays.equals((byte[]) value, (byte[]) other.value) : value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tag, type, type == Type.BYTE_STRING ? Arrays.hashCode((byte[]) value) : value);
    }

    /** The item's tag and type, a structure's items, values other than byte strings (whose length only). */
    @Override
    public String toString() {
        String v = switch (type) {
            case BYTE_STRING -> "<" + ((byte[]) value).length + " bytes>";
            case TEXT_STRING -> "'" + value + "'";
            default -> String.valueOf(value);
        };
        return Tags.name(tag) + ":" + type + "=" + v;
    }
}
