package io.keyhold.kms.kmip.pykmip;

import io.keyhold.kms.kmip.internal.KmipClient;
import io.keyhold.kms.kmip.internal.KmipEnums;
import io.keyhold.kms.kmip.internal.KmipKeyRef;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The conformance kit's admin on a running {@link PyKmipServer}, through KMIP itself: keys are
 * AES-256 objects made with Create and Activate (as the Keyhold user, so it owns them), named so the
 * references are name references; rotation creates a newer object of the name; disabling is Revoke
 * (the object becomes Deactivated); deletion is Revoke and Destroy. KMIP has no way back from
 * Deactivated, so {@link #enable} alone writes the state into the server's SQLite database, the
 * server's own state, which it reads afresh for every request.
 */
public final class PyKmipAdmin implements KmsFakeAdmin.CanDelete, AutoCloseable {
    private static final AtomicInteger KEYS = new AtomicInteger();
    private final PyKmipServer server;
    private final String serverName;
    private final KmipClient client;

    public PyKmipAdmin(PyKmipServer server, String serverName) {
        this.server = server;
        this.serverName = serverName;
        this.client = server.client(PyKmipServer.KEYHOLD_USER);
    }

    public KmipClient client() {
        return client;
    }

    @Override
    public String createKey() {
        String name = "keyhold-test-" + KEYS.incrementAndGet() + "-" + Long.toHexString(System.nanoTime());
        createObject(name);
        return KmipKeyRef.ofName(serverName, name);
    }

    /** A new Active AES-256 object, referenced by its unique identifier. */
    public String createKeyByIdentifier() {
        return KmipKeyRef.ofUid(serverName, createObject(null));
    }

    /** A new Active AES-256 object named {@code name} (null: none); its identifier. */
    public String createObject(String name) {
        String uid = client.create(name, KmipEnums.UsageMask.ENCRYPT | KmipEnums.UsageMask.DECRYPT);
        client.activate(uid);
        return uid;
    }

    @Override
    public String unknownKeyRef() {
        return KmipKeyRef.ofName(serverName, "no-such-key-" + Long.toHexString(System.nanoTime()));
    }

    @Override
    public void disable(String keyRef) {
        for (String uid : objects(keyRef)) {
            if (client.attributes(uid).active()) {
                client.revoke(uid, KmipEnums.RevocationReasonCode.CESSATION_OF_OPERATION);
            }
        }
    }

    @Override
    public void enable(String keyRef) {
        for (String uid : objects(keyRef)) {
            sql("UPDATE crypto_objects SET state = " + KmipEnums.State.ACTIVE + " WHERE uid = " + Integer.parseInt(uid));
        }
    }

    @Override
    public void rotate(String keyRef) {
        KmipKeyRef ref = KmipKeyRef.parse(keyRef);
        if (!ref.byName()) {
            throw new UnsupportedOperationException("an object named by its identifier has one version");
        }
        createObject(ref.name());
    }

    @Override
    public void scheduleDeletion(String keyRef) {
        disable(keyRef);
        for (String uid : objects(keyRef)) {
            client.destroy(uid);
        }
    }

    /** The objects a reference names. */
    public List<String> objects(String keyRef) {
        KmipKeyRef ref = KmipKeyRef.parse(keyRef);
        return ref.byName() ? client.locate(ref.name()) : List.of(ref.uid());
    }

    /** Runs one SQL statement on the server's database (Python's sqlite3 module, which pykmip-server itself uses). */
    void sql(String statement) {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import sqlite3, sys\n"
                    + "c = sqlite3.connect(sys.argv[1], timeout=30)\n"
                    + "c.execute(sys.argv[2])\n"
                    + "c.commit()\n", PyKmipServer.database(server.dir()).toString(), statement)
                    .redirectErrorStream(true).redirectOutput(server.dir().resolve("sql.log").toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("SQL on the pykmip-server database failed: " + statement);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
