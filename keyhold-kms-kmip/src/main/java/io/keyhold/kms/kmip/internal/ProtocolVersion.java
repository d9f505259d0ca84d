package io.keyhold.kms.kmip.internal;

/** A KMIP protocol version, e.g. 1.4. */
public record ProtocolVersion(int major, int minor) implements Comparable<ProtocolVersion> {
    public static final ProtocolVersion V1_1 = new ProtocolVersion(1, 1);
    public static final ProtocolVersion V1_2 = new ProtocolVersion(1, 2);
    public static final ProtocolVersion V1_3 = new ProtocolVersion(1, 3);
    public static final ProtocolVersion V1_4 = new ProtocolVersion(1, 4);
    public static final ProtocolVersion V2_0 = new ProtocolVersion(2, 0);
    /** The highest version Keyhold speaks, and offers unless {@code max-version} says otherwise. */
    public static final ProtocolVersion HIGHEST = V2_0;

    /** One of the versions Keyhold speaks, written {@code 1.1} .. {@code 1.4} or {@code 2.0} (the {@code max-version} setting). */
    public static ProtocolVersion parse(String text) {
        for (ProtocolVersion v : new ProtocolVersion[] {V1_1, V1_2, V1_3, V1_4, V2_0}) {
            if (v.toString().equals(text.trim())) {
                return v;
            }
        }
        throw new IllegalArgumentException("KMS setting 'max-version' must be 1.1, 1.2, 1.3, 1.4 or 2.0, got '" + text + "'");
    }

    Ttlv toTtlv() {
        return Ttlv.structure(Tags.PROTOCOL_VERSION, Ttlv.integer(Tags.PROTOCOL_VERSION_MAJOR, major),
                Ttlv.integer(Tags.PROTOCOL_VERSION_MINOR, minor));
    }

    static ProtocolVersion of(Ttlv item) {
        return new ProtocolVersion(item.required(Tags.PROTOCOL_VERSION_MAJOR).intValue(), item.required(Tags.PROTOCOL_VERSION_MINOR).intValue());
    }

    /** Whether a server speaking this version has Encrypt and Decrypt (KMIP 1.2 and later). */
    public boolean hasServerSideCrypto() {
        return compareTo(V1_2) >= 0;
    }

    @Override
    public int compareTo(ProtocolVersion o) {
        return major != o.major ? Integer.compare(major, o.major) : Integer.compare(minor, o.minor);
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
