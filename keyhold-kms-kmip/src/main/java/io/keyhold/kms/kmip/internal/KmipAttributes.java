package io.keyhold.kms.kmip.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Attributes in requests and responses, in the encoding of the negotiated version. KMIP 1.x carries
 * each as an Attribute structure of Attribute Name (text) and Attribute Value (Template-Attribute in
 * Create, bare Attributes in Locate, Attribute Names in Get Attributes); KMIP 2.0 carries them as
 * their own tags inside one Attributes structure, and Get Attributes asks by Attribute Reference
 * (an enumeration of the attribute's tag).
 */
public final class KmipAttributes {
    /** One attribute: its 1.x name, its tag, and its value encoded under a given tag. */
    public record Attr(String name, int tag, IntFunction<Ttlv> value) {
        Ttlv v1() {
            return Ttlv.structure(Tags.ATTRIBUTE, Ttlv.text(Tags.ATTRIBUTE_NAME, name), value.apply(Tags.ATTRIBUTE_VALUE));
        }

        Ttlv v2() {
            return value.apply(tag);
        }
    }

    /** The attributes Keyhold reads, by 1.x name and 2.0 tag. */
    static final Map<Integer, String> READ = Map.of(Tags.OBJECT_TYPE, "Object Type", Tags.STATE, "State",
            Tags.CRYPTOGRAPHIC_ALGORITHM, "Cryptographic Algorithm", Tags.CRYPTOGRAPHIC_LENGTH, "Cryptographic Length",
            Tags.CRYPTOGRAPHIC_USAGE_MASK, "Cryptographic Usage Mask", Tags.INITIAL_DATE, "Initial Date", Tags.NAME, "Name");

    private KmipAttributes() {
    }

    public static Attr enumeration(String name, int tag, int value) {
        return new Attr(name, tag, t -> Ttlv.enumeration(t, value));
    }

    public static Attr integer(String name, int tag, int value) {
        return new Attr(name, tag, t -> Ttlv.integer(t, value));
    }

    public static Attr name(String name) {
        return new Attr("Name", Tags.NAME, t -> Ttlv.structure(t, Ttlv.text(Tags.NAME_VALUE, name),
                Ttlv.enumeration(Tags.NAME_TYPE, KmipEnums.NameType.UNINTERPRETED_TEXT_STRING)));
    }

    static boolean isV2(ProtocolVersion v) {
        return v.major() >= 2;
    }

    /** The attributes of a new object (Create): Template-Attribute, or 2.0's Attributes. */
    static Ttlv forCreate(ProtocolVersion v, List<Attr> attributes) {
        return isV2(v) ? Ttlv.structure(Tags.ATTRIBUTES, attributes.stream().map(Attr::v2).toList())
                : Ttlv.structure(Tags.TEMPLATE_ATTRIBUTE, attributes.stream().map(Attr::v1).toList());
    }

    /** Locate's criteria: the Attributes themselves, or 2.0's Attributes structure. */
    static List<Ttlv> forLocate(ProtocolVersion v, List<Attr> attributes) {
        return isV2(v) ? List.of(Ttlv.structure(Tags.ATTRIBUTES, attributes.stream().map(Attr::v2).toList()))
                : attributes.stream().map(Attr::v1).toList();
    }

    /** Get Attributes' request for {@link #READ}: Attribute Names, or 2.0's Attribute References. */
    static List<Ttlv> references(ProtocolVersion v) {
        List<Ttlv> out = new ArrayList<>();
        READ.forEach((tag, name) -> out.add(isV2(v) ? Ttlv.enumeration(Tags.ATTRIBUTE_REFERENCE, tag) : Ttlv.text(Tags.ATTRIBUTE_NAME, name)));
        return out;
    }

    /** What a Get Attributes response reports, as (1.x name, value) pairs; attributes Keyhold does not read are left out. */
    static List<Map.Entry<String, Ttlv>> reported(ProtocolVersion v, Ttlv payload) {
        List<Map.Entry<String, Ttlv>> out = new ArrayList<>();
        if (isV2(v)) {
            for (Ttlv a : payload.child(Tags.ATTRIBUTES).map(Ttlv::items).orElse(List.of())) {
                String name = READ.get(a.tag());
                if (name != null) {
                    out.add(Map.entry(name, a));
                }
            }
        } else {
            for (Ttlv a : payload.children(Tags.ATTRIBUTE)) {
                out.add(Map.entry(a.required(Tags.ATTRIBUTE_NAME).textValue(), a.required(Tags.ATTRIBUTE_VALUE)));
            }
        }
        return out;
    }
}
