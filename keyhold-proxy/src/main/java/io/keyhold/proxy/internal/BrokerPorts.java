package io.keyhold.proxy.internal;

import io.keyhold.proxy.ProxyConfig.HostPort;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One proxy port per upstream broker. When a response names broker {@code nodeId} at its upstream
 * address, this hands back the proxy address that stands for it, opening the port the first time
 * the broker is seen. Connections to that port go to the broker's latest upstream address.
 */
public final class BrokerPorts {
    /** Opens a listener for a broker; returns the bound port. */
    public interface ListenerOpener {
        int open(int nodeId, Integer wantedPort);
    }

    private final String advertisedHost;
    private final Integer portBase;
    private final ListenerOpener opener;
    private final Map<Integer, HostPort> upstreamByNode = new ConcurrentHashMap<>();
    private final Map<Integer, Integer> portByNode = new ConcurrentHashMap<>();

    public BrokerPorts(String advertisedHost, Integer portBase, ListenerOpener opener) {
        this.advertisedHost = advertisedHost;
        this.portBase = portBase;
        this.opener = opener;
    }

    /** The proxy address clients must use for broker {@code nodeId}, which really is at {@code host:port}. */
    HostPort proxyAddressFor(int nodeId, String host, int port) {
        if (nodeId < 0) {
            return new HostPort(host, port); // "no node": Kafka's placeholder, nothing to rewrite
        }
        upstreamByNode.put(nodeId, new HostPort(host, port));
        Integer bound = portByNode.get(nodeId);
        if (bound == null) {
            bound = openOnce(nodeId);
        }
        return new HostPort(advertisedHost, bound);
    }

    private synchronized int openOnce(int nodeId) {
        Integer bound = portByNode.get(nodeId);
        if (bound != null) {
            return bound;
        }
        Integer wanted = portBase == null ? null : portBase + nodeId;
        int port = opener.open(nodeId, wanted);
        portByNode.put(nodeId, port);
        return port;
    }

    /** Where connections to broker {@code nodeId}'s proxy port go, or null when unknown. */
    HostPort upstreamOf(int nodeId) {
        return upstreamByNode.get(nodeId);
    }

    /** A view for tests and logs. */
    public Map<Integer, Integer> ports() {
        return Map.copyOf(portByNode);
    }
}
