package io.keyhold.embedded.internal;

import io.keyhold.common.AtomicFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * {@code DATA_DIR/clusters/<id>/cluster.properties}: what a cluster needs to come back after a
 * restart (where its Kafka is, its proxy ports, its key). Written when the cluster is created and
 * again when a re-key moves it to another KMS key, atomically and owner-only;
 * a file on disk rather than a database row because the data plane restores clusters before and
 * without the control plane's database, and the file goes away with the cluster's directory.
 */
public final class ClusterRecord {
    public static final String FILE = "cluster.properties";
    /** Which {@link KafkaSource} the cluster's brokers come from; absent in records older than the choice. */
    public static final String SOURCE = "kafka.source";
    public static final String PROXY_PORT = "proxy.port";
    /** How many consecutive proxy ports, from {@link #PROXY_PORT}, the cluster holds (absent: 2). */
    public static final String PROXY_PORT_COUNT = "proxy.port.count";
    /** Broker N is reached on this + N (absent: {@link #PROXY_PORT}). */
    public static final String BROKER_PORT_BASE = "proxy.broker-port-base";
    public static final String KMS_KIND = "kms.kind";
    public static final String KMS_KEY = "kms.key";
    /**
     * {@value #CLUSTER_KEYS_ONLY} when every record of the cluster was written under a cluster key
     * (created with cluster keys on); absent in records of clusters created before, whose records may
     * carry DEKs wrapped by the KMS itself, which only a rewrite could move to another key.
     */
    public static final String RECORD_KEYS = "records.keys";
    public static final String CLUSTER_KEYS_ONLY = "cluster-keys";

    private ClusterRecord() {
    }

    public static boolean exists(Path clusterDir) {
        return Files.exists(clusterDir.resolve(FILE));
    }

    public static Properties load(Path clusterDir) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(clusterDir.resolve(FILE))) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + clusterDir.resolve(FILE), e);
        }
        return p;
    }

    public static void write(Path clusterDir, Properties record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        record.store(out, "Keyhold cluster: where its Kafka is, its proxy ports and key, for restarts");
        AtomicFiles.write(clusterDir.resolve(FILE), out.toByteArray());
    }

    public static int integer(Properties record, String name, int dflt) {
        String v = record.getProperty(name);
        return v == null ? dflt : Integer.parseInt(v.trim());
    }
}
