package io.keyhold.kms.kmip.internal;

/** The KMIP 1.x enumeration values Keyhold uses (KMIP 1.4 section 9.1.3.2), as int constants named like the spec's. */
public final class KmipEnums {
    private KmipEnums() {
    }

    /** Operation. */
    public static final class Operation {
        public static final int CREATE = 0x01;
        public static final int LOCATE = 0x08;
        public static final int GET = 0x0A;
        public static final int GET_ATTRIBUTES = 0x0B;
        public static final int ACTIVATE = 0x12;
        public static final int REVOKE = 0x13;
        public static final int DESTROY = 0x14;
        public static final int DISCOVER_VERSIONS = 0x1E;
        public static final int ENCRYPT = 0x1F;
        public static final int DECRYPT = 0x20;

        private Operation() {
        }
    }

    /** Result Status. */
    public static final class ResultStatus {
        public static final int SUCCESS = 0;
        public static final int OPERATION_FAILED = 1;

        private ResultStatus() {
        }
    }

    /** Result Reason. */
    public static final class ResultReason {
        public static final int ITEM_NOT_FOUND = 0x01;
        public static final int AUTHENTICATION_NOT_SUCCESSFUL = 0x03;
        public static final int INVALID_MESSAGE = 0x04;
        public static final int OPERATION_NOT_SUPPORTED = 0x05;
        public static final int INVALID_FIELD = 0x07;
        public static final int FEATURE_NOT_SUPPORTED = 0x08;
        public static final int CRYPTOGRAPHIC_FAILURE = 0x0A;
        public static final int ILLEGAL_OPERATION = 0x0B;
        public static final int PERMISSION_DENIED = 0x0C;
        public static final int OBJECT_ARCHIVED = 0x0D;
        public static final int GENERAL_FAILURE = 0x100;

        private ResultReason() {
        }
    }

    /** State. */
    public static final class State {
        public static final int PRE_ACTIVE = 1;
        public static final int ACTIVE = 2;
        public static final int DEACTIVATED = 3;
        public static final int COMPROMISED = 4;
        public static final int DESTROYED = 5;
        public static final int DESTROYED_COMPROMISED = 6;

        private State() {
        }

        public static String name(int state) {
            return switch (state) {
                case PRE_ACTIVE -> "Pre-Active";
                case ACTIVE -> "Active";
                case DEACTIVATED -> "Deactivated";
                case COMPROMISED -> "Compromised";
                case DESTROYED -> "Destroyed";
                case DESTROYED_COMPROMISED -> "Destroyed Compromised";
                default -> "state " + state;
            };
        }
    }

    /** Object Type. */
    public static final class ObjectType {
        public static final int SYMMETRIC_KEY = 2;

        private ObjectType() {
        }
    }

    /** Cryptographic Algorithm. */
    public static final class CryptographicAlgorithm {
        public static final int AES = 3;

        private CryptographicAlgorithm() {
        }
    }

    /** Cryptographic Usage Mask bits. */
    public static final class UsageMask {
        public static final int ENCRYPT = 0x04;
        public static final int DECRYPT = 0x08;

        private UsageMask() {
        }
    }

    /** Block Cipher Mode. */
    public static final class BlockCipherMode {
        public static final int CBC = 1;

        private BlockCipherMode() {
        }
    }

    /** Padding Method. */
    public static final class PaddingMethod {
        public static final int PKCS5 = 3;

        private PaddingMethod() {
        }
    }

    /** Key Format Type. */
    public static final class KeyFormatType {
        public static final int RAW = 1;

        private KeyFormatType() {
        }
    }

    /** Name Type. */
    public static final class NameType {
        public static final int UNINTERPRETED_TEXT_STRING = 1;

        private NameType() {
        }
    }

    /** Revocation Reason Code. */
    public static final class RevocationReasonCode {
        public static final int UNSPECIFIED = 1;
        public static final int KEY_COMPROMISE = 2;
        public static final int CESSATION_OF_OPERATION = 6;

        private RevocationReasonCode() {
        }
    }
}
