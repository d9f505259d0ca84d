package io.keyhold.kms.kmip.internal;

import java.util.Map;

/** The KMIP 1.x tags Keyhold sends or reads (KMIP 1.4 section 9.1.3.1), with their names for messages. */
public final class Tags {
    public static final int ACTIVATION_DATE = 0x420001;
    public static final int ATTRIBUTE = 0x420008;
    public static final int ATTRIBUTE_NAME = 0x42000A;
    public static final int ATTRIBUTE_VALUE = 0x42000B;
    public static final int BATCH_COUNT = 0x42000D;
    public static final int BATCH_ITEM = 0x42000F;
    public static final int BLOCK_CIPHER_MODE = 0x420011;
    public static final int CRYPTOGRAPHIC_ALGORITHM = 0x420028;
    public static final int CRYPTOGRAPHIC_LENGTH = 0x42002A;
    public static final int CRYPTOGRAPHIC_PARAMETERS = 0x42002B;
    public static final int CRYPTOGRAPHIC_USAGE_MASK = 0x42002C;
    public static final int INITIAL_DATE = 0x420039;
    public static final int IV_COUNTER_NONCE = 0x42003D;
    public static final int KEY_BLOCK = 0x420040;
    public static final int KEY_FORMAT_TYPE = 0x420042;
    public static final int KEY_MATERIAL = 0x420043;
    public static final int KEY_VALUE = 0x420045;
    public static final int MAXIMUM_RESPONSE_SIZE = 0x420050;
    public static final int NAME = 0x420053;
    public static final int NAME_TYPE = 0x420054;
    public static final int NAME_VALUE = 0x420055;
    public static final int OBJECT_TYPE = 0x420057;
    public static final int OPERATION = 0x42005C;
    public static final int PADDING_METHOD = 0x42005F;
    public static final int PROTOCOL_VERSION = 0x420069;
    public static final int PROTOCOL_VERSION_MAJOR = 0x42006A;
    public static final int PROTOCOL_VERSION_MINOR = 0x42006B;
    public static final int REQUEST_HEADER = 0x420077;
    public static final int REQUEST_MESSAGE = 0x420078;
    public static final int REQUEST_PAYLOAD = 0x420079;
    public static final int RESPONSE_HEADER = 0x42007A;
    public static final int RESPONSE_MESSAGE = 0x42007B;
    public static final int RESPONSE_PAYLOAD = 0x42007C;
    public static final int RESULT_MESSAGE = 0x42007D;
    public static final int RESULT_REASON = 0x42007E;
    public static final int RESULT_STATUS = 0x42007F;
    public static final int REVOCATION_REASON = 0x420081;
    public static final int REVOCATION_REASON_CODE = 0x420082;
    public static final int STATE = 0x42008D;
    public static final int SYMMETRIC_KEY = 0x42008F;
    public static final int TEMPLATE_ATTRIBUTE = 0x420091;
    public static final int TIME_STAMP = 0x420092;
    public static final int UNIQUE_IDENTIFIER = 0x420094;
    public static final int DATA = 0x4200C2;
    /** KMIP 2.0. */
    public static final int ATTRIBUTES = 0x420125;
    /** KMIP 2.0. */
    public static final int ATTRIBUTE_REFERENCE = 0x42013B;

    private static final Map<Integer, String> NAMES = Map.ofEntries(
            Map.entry(ACTIVATION_DATE, "ActivationDate"),
            Map.entry(ATTRIBUTE, "Attribute"),
            Map.entry(ATTRIBUTES, "Attributes"),
            Map.entry(ATTRIBUTE_REFERENCE, "AttributeReference"),
            Map.entry(ATTRIBUTE_NAME, "AttributeName"),
            Map.entry(ATTRIBUTE_VALUE, "AttributeValue"),
            Map.entry(BATCH_COUNT, "BatchCount"),
            Map.entry(BATCH_ITEM, "BatchItem"),
            Map.entry(BLOCK_CIPHER_MODE, "BlockCipherMode"),
            Map.entry(CRYPTOGRAPHIC_ALGORITHM, "CryptographicAlgorithm"),
            Map.entry(CRYPTOGRAPHIC_LENGTH, "CryptographicLength"),
            Map.entry(CRYPTOGRAPHIC_PARAMETERS, "CryptographicParameters"),
            Map.entry(CRYPTOGRAPHIC_USAGE_MASK, "CryptographicUsageMask"),
            Map.entry(INITIAL_DATE, "InitialDate"),
            Map.entry(IV_COUNTER_NONCE, "IvCounterNonce"),
            Map.entry(KEY_BLOCK, "KeyBlock"),
            Map.entry(KEY_FORMAT_TYPE, "KeyFormatType"),
            Map.entry(KEY_MATERIAL, "KeyMaterial"),
            Map.entry(KEY_VALUE, "KeyValue"),
            Map.entry(MAXIMUM_RESPONSE_SIZE, "MaximumResponseSize"),
            Map.entry(NAME, "Name"),
            Map.entry(NAME_TYPE, "NameType"),
            Map.entry(NAME_VALUE, "NameValue"),
            Map.entry(OBJECT_TYPE, "ObjectType"),
            Map.entry(OPERATION, "Operation"),
            Map.entry(PADDING_METHOD, "PaddingMethod"),
            Map.entry(PROTOCOL_VERSION, "ProtocolVersion"),
            Map.entry(PROTOCOL_VERSION_MAJOR, "ProtocolVersionMajor"),
            Map.entry(PROTOCOL_VERSION_MINOR, "ProtocolVersionMinor"),
            Map.entry(REQUEST_HEADER, "RequestHeader"),
            Map.entry(REQUEST_MESSAGE, "RequestMessage"),
            Map.entry(REQUEST_PAYLOAD, "RequestPayload"),
            Map.entry(RESPONSE_HEADER, "ResponseHeader"),
            Map.entry(RESPONSE_MESSAGE, "ResponseMessage"),
            Map.entry(RESPONSE_PAYLOAD, "ResponsePayload"),
            Map.entry(RESULT_MESSAGE, "ResultMessage"),
            Map.entry(RESULT_REASON, "ResultReason"),
            Map.entry(RESULT_STATUS, "ResultStatus"),
            Map.entry(REVOCATION_REASON, "RevocationReason"),
            Map.entry(REVOCATION_REASON_CODE, "RevocationReasonCode"),
            Map.entry(STATE, "State"),
            Map.entry(SYMMETRIC_KEY, "SymmetricKey"),
            Map.entry(TEMPLATE_ATTRIBUTE, "TemplateAttribute"),
            Map.entry(TIME_STAMP, "TimeStamp"),
            Map.entry(UNIQUE_IDENTIFIER, "UniqueIdentifier"),
            Map.entry(DATA, "Data"));

    private Tags() {
    }

    /** The tag's name, or its number in hex. */
    public static String name(int tag) {
        String n = NAMES.get(tag);
        return n != null ? n : String.format("0x%06X", tag);
    }
}
