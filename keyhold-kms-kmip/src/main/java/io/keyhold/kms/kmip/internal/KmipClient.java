package io.keyhold.kms.kmip.internal;

import static io.keyhold.kms.kmip.internal.KmipEnums.Operation;

import java.io.IOException;
import java.io.UncheckedIOException;
import io.keyhold.crypto.DataKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A blocking KMIP 1.x client of one server: the operations Keyhold uses (Encrypt, Decrypt, Locate,
 * Get Attributes, and Get for KMIP 1.1 servers) and the admin operations tests and operators use (Create, Activate, Revoke,
 * Destroy). The protocol version is negotiated with Discover Versions on first use: the highest of
 * 2.0, 1.4, 1.3, 1.2 and 1.1 the server offers (attributes are encoded as that version has them:
 * {@link KmipAttributes}). Connections are kept open for the next call (up to
 * {@link #MAX_IDLE}); one that fails is closed, and a call that failed on a connection kept from
 * before is tried once more on a new one (the server may have closed it meanwhile).
 *
 * <p>Failures: {@link KmipResultException} when the server answered with a failure,
 * {@link UncheckedIOException} when it could not be reached or the connection broke,
 * {@link TtlvException} when its answer is not KMIP Keyhold reads.
 */
public final class KmipClient implements AutoCloseable {
    static final int MAX_IDLE = 8;
    private static final List<ProtocolVersion> OFFERED = List.of(ProtocolVersion.V2_0, ProtocolVersion.V1_4, ProtocolVersion.V1_3,
            ProtocolVersion.V1_2, ProtocolVersion.V1_1);

    private final ServerSettings server;
    private final ProtocolVersion highest;
    private final ConcurrentLinkedDeque<KmipConnection> idle = new ConcurrentLinkedDeque<>();
    private volatile ProtocolVersion version;
    private volatile boolean closed;

    /** @param highest the highest version to offer (tests use it to act as an older client) */
    public KmipClient(ServerSettings server, ProtocolVersion highest) {
        this.server = server;
        this.highest = highest;
    }

    public KmipClient(ServerSettings server) {
        this(server, ProtocolVersion.HIGHEST);
    }

    public ServerSettings server() {
        return server;
    }

    /** The negotiated protocol version (negotiates on first use). */
    public ProtocolVersion version() {
        ProtocolVersion v = version;
        if (v == null) {
            synchronized (this) {
                if (version == null) {
                    version = discoverVersion();
                }
                v = version;
            }
        }
        return v;
    }

    private ProtocolVersion discoverVersion() {
        List<Ttlv> offered = OFFERED.stream().filter(v -> v.compareTo(highest) <= 0).map(ProtocolVersion::toTtlv).toList();
        Ttlv payload;
        try {
            payload = send(ProtocolVersion.V1_1, Operation.DISCOVER_VERSIONS, "DiscoverVersions", offered);
        } catch (KmipResultException e) {
            throw new IllegalStateException(server + " does not answer Discover Versions (" + e.getMessage()
                    + "): Keyhold needs a KMIP 1.1 or later server", e);
        }
        return payload.children(Tags.PROTOCOL_VERSION).stream().map(ProtocolVersion::of)
                .filter(v -> OFFERED.contains(v) && v.compareTo(highest) <= 0).findFirst()
                .orElseThrow(() -> new IllegalStateException(server + " speaks none of the KMIP versions Keyhold speaks (1.1 to 1.4, 2.0)"));
    }

    /** Creates a 256-bit AES key (Pre-Active) with {@code usageMask} and, unless null, {@code name}; returns its identifier. */
    public String create(String name, int usageMask) {
        List<KmipAttributes.Attr> attributes = new ArrayList<>(List.of(
                KmipAttributes.enumeration("Cryptographic Algorithm", Tags.CRYPTOGRAPHIC_ALGORITHM, KmipEnums.CryptographicAlgorithm.AES),
                KmipAttributes.integer("Cryptographic Length", Tags.CRYPTOGRAPHIC_LENGTH, 256),
                KmipAttributes.integer("Cryptographic Usage Mask", Tags.CRYPTOGRAPHIC_USAGE_MASK, usageMask)));
        if (name != null) {
            attributes.add(KmipAttributes.name(name));
        }
        ProtocolVersion v = version();
        Ttlv payload = send(v, Operation.CREATE, "Create", List.of(Ttlv.enumeration(Tags.OBJECT_TYPE, KmipEnums.ObjectType.SYMMETRIC_KEY),
                KmipAttributes.forCreate(v, attributes)));
        return payload.required(Tags.UNIQUE_IDENTIFIER).textValue();
    }

    public void activate(String uid) {
        call(Operation.ACTIVATE, "Activate", List.of(uid(uid)));
    }

    /** Revokes with {@code reasonCode} (see {@link KmipEnums.RevocationReasonCode}): the object can no longer protect data. */
    public void revoke(String uid, int reasonCode) {
        List<Ttlv> payload = new ArrayList<>(List.of(uid(uid),
                Ttlv.structure(Tags.REVOCATION_REASON, Ttlv.enumeration(Tags.REVOCATION_REASON_CODE, reasonCode))));
        call(Operation.REVOKE, "Revoke", payload);
    }

    public void destroy(String uid) {
        call(Operation.DESTROY, "Destroy", List.of(uid(uid)));
    }

    /** The identifiers of the objects whose Name is {@code name}, in the server's order. */
    public List<String> locate(String name) {
        ProtocolVersion v = version();
        Ttlv payload = send(v, Operation.LOCATE, "Locate", KmipAttributes.forLocate(v, List.of(KmipAttributes.name(name))));
        return payload.children(Tags.UNIQUE_IDENTIFIER).stream().map(Ttlv::textValue).toList();
    }

    public KeyAttributes attributes(String uid) {
        ProtocolVersion v = version();
        List<Ttlv> request = new ArrayList<>(List.of(uid(uid)));
        request.addAll(KmipAttributes.references(v));
        Ttlv payload = send(v, Operation.GET_ATTRIBUTES, "GetAttributes", request);
        int objectType = 0;
        int state = 0;
        int algorithm = 0;
        int length = 0;
        int mask = 0;
        long initial = 0;
        List<String> names = new ArrayList<>();
        for (var a : KmipAttributes.reported(v, payload)) {
            Ttlv value = a.getValue();
            switch (a.getKey()) {
                case "Object Type" -> objectType = value.intValue();
                case "State" -> state = value.intValue();
                case "Cryptographic Algorithm" -> algorithm = value.intValue();
                case "Cryptographic Length" -> length = value.intValue();
                case "Cryptographic Usage Mask" -> mask = value.intValue();
                case "Initial Date" -> initial = value.longValue();
                case "Name" -> names.add(value.required(Tags.NAME_VALUE).textValue());
                default -> {
                    // an attribute Keyhold did not ask for
                }
            }
        }
        return new KeyAttributes(uid, objectType, state, algorithm, length, mask, initial, names);
    }

    /**
     * The key of the symmetric key object {@code uid} (Get, Key Format Type Raw), for KMIP 1.1 servers,
     * which cannot encrypt: every copy of the bytes on the way (the response, its decoding) is wiped.
     */
    public DataKey getKey(String uid) {
        Ttlv payload = call(Operation.GET, "Get", List.of(uid(uid), Ttlv.enumeration(Tags.KEY_FORMAT_TYPE, KmipEnums.KeyFormatType.RAW)));
        try {
            Ttlv material = payload.required(Tags.SYMMETRIC_KEY).required(Tags.KEY_BLOCK).required(Tags.KEY_VALUE)
                    .required(Tags.KEY_MATERIAL);
            if (material.type() != Ttlv.Type.BYTE_STRING) {
                throw new TtlvException("the KMIP server's Get of " + uid + " answered no raw key material");
            }
            byte[] bytes = material.bytesValue();
            if (bytes.length != DataKey.LENGTH) {
                Arrays.fill(bytes, (byte) 0);
                throw new TtlvException("the KMIP object " + uid + " is not a 256-bit key");
            }
            return DataKey.fromBytesWipingSource(bytes);
        } finally {
            payload.wipe();
        }
    }

    /** AES-CBC with PKCS#5 padding under the key {@code uid}, on the server. */
    public byte[] encrypt(String uid, byte[] data, byte[] iv) {
        Ttlv payload = call(Operation.ENCRYPT, "Encrypt", cbc(uid, data, iv));
        return payload.required(Tags.DATA).bytesValue();
    }

    /** The inverse of {@link #encrypt}; the caller wipes the result. */
    public byte[] decrypt(String uid, byte[] data, byte[] iv) {
        Ttlv payload = call(Operation.DECRYPT, "Decrypt", cbc(uid, data, iv));
        Ttlv plain = payload.required(Tags.DATA);
        byte[] out = plain.bytesValue();
        plain.wipe();
        return out;
    }

    private static List<Ttlv> cbc(String uid, byte[] data, byte[] iv) {
        return List.of(uid(uid),
                Ttlv.structure(Tags.CRYPTOGRAPHIC_PARAMETERS,
                        Ttlv.enumeration(Tags.BLOCK_CIPHER_MODE, KmipEnums.BlockCipherMode.CBC),
                        Ttlv.enumeration(Tags.PADDING_METHOD, KmipEnums.PaddingMethod.PKCS5),
                        Ttlv.enumeration(Tags.CRYPTOGRAPHIC_ALGORITHM, KmipEnums.CryptographicAlgorithm.AES)),
                Ttlv.bytes(Tags.DATA, data),
                Ttlv.bytes(Tags.IV_COUNTER_NONCE, iv));
    }

    private static Ttlv uid(String uid) {
        return Ttlv.text(Tags.UNIQUE_IDENTIFIER, uid);
    }

    private Ttlv call(int operation, String name, List<Ttlv> payload) {
        return send(version(), operation, name, payload);
    }

    private Ttlv send(ProtocolVersion v, int operation, String name, List<Ttlv> payload) {
        byte[] request = TtlvCodec.encode(KmipMessages.request(v, operation, payload));
        for (int attempt = 0; ; attempt++) {
            if (closed) {
                throw new IllegalStateException("the KMIP connection is closed");
            }
            KmipConnection connection = idle.pollFirst();
            boolean reused = connection != null;
            try {
                if (connection == null) {
                    connection = KmipConnection.open(server);
                }
                byte[] raw = connection.call(request);
                Ttlv response;
                try {
                    response = TtlvCodec.decode(raw);
                } finally {
                    Arrays.fill(raw, (byte) 0); // it may hold key material (Get, Decrypt)
                }
                Ttlv result = KmipMessages.payload(response, name);
                release(connection);
                return result;
            } catch (KmipResultException e) {
                release(connection); // a well-formed answer: the connection is fine
                throw e;
            } catch (IOException e) {
                close(connection);
                if (!reused || attempt > 0) {
                    throw new UncheckedIOException(server + " could not be reached for " + name + ": " + e.getMessage(), e);
                }
            } catch (RuntimeException e) {
                close(connection);
                throw e;
            }
        }
    }

    private void release(KmipConnection connection) {
        if (closed || idle.size() >= MAX_IDLE) {
            connection.close();
        } else {
            idle.offerFirst(connection);
        }
    }

    private static void close(KmipConnection connection) {
        if (connection != null) {
            connection.close();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (KmipConnection c; (c = idle.pollFirst()) != null; ) {
            c.close();
        }
    }
}
