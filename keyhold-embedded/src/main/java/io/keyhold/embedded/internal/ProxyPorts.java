package io.keyhold.embedded.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Collection;
import java.util.Properties;

/**
 * Hands out blocks of consecutive proxy ports from the configured range: the block's first port is
 * the cluster's bootstrap endpoint, the others stand for its brokers. Blocks are remembered in the
 * cluster records, so endpoints stay the same across restarts and no two clusters share a port.
 */
public final class ProxyPorts {
    private final int rangeStart;
    private final int rangeEnd;

    /**
     * What a cluster needs: {@code count} ports from the bootstrap port on, broker N at
     * bootstrap + {@code brokerOffset} + N.
     */
    public record Need(int count, int brokerOffset) {
        public Need {
            if (count < 1) {
                throw new IllegalArgumentException("a cluster needs at least its bootstrap port");
            }
        }
    }

    public ProxyPorts(int rangeStart, int rangeEnd) {
        this.rangeStart = rangeStart;
        this.rangeEnd = rangeEnd;
    }

    /** The first port of a free block of {@code count} ports, not held by any of {@code others}. */
    public int allocate(int count, Collection<Properties> others) throws IOException {
        for (int p = rangeStart; p + count - 1 <= rangeEnd; p++) {
            if (free(p, count, others)) {
                return p;
            }
        }
        throw new IOException("no " + count + " consecutive free ports left in the proxy port range " + rangeStart + "-" + rangeEnd
                + " (KEYHOLD_CLUSTER_PORTS)");
    }

    private static boolean free(int start, int count, Collection<Properties> others) {
        for (Properties o : others) {
            int oStart = ClusterRecord.integer(o, ClusterRecord.PROXY_PORT, -1);
            int oCount = ClusterRecord.integer(o, ClusterRecord.PROXY_PORT_COUNT, 2);
            if (oStart >= 0 && start < oStart + oCount && oStart < start + count) {
                return false;
            }
        }
        for (int p = start; p < start + count; p++) {
            if (!bindable(p)) {
                return false;
            }
        }
        return true;
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
