package io.keyhold.embedded.internal;

import io.keyhold.proxy.TlsSettings;
import io.keyhold.server.BindAddress;
import io.keyhold.server.ClusterRuntime;

/**
 * What the cluster endpoints expose, from where they listen and whether they serve TLS. Plaintext on
 * an address other machines can reach carries decrypted records across the network in clear: the
 * proxy decrypts for its clients, so there the records are no longer protected by Keyhold.
 */
public final class EndpointSecurity {
    /** Shown with every cluster (API, CLI): says what is wrong, not how this server is set up. */
    static final String DESCRIBE_WARNING = "the cluster endpoint serves plaintext on a network address: decrypted records cross "
            + "the network in clear; the operator should give the server a certificate (cluster-tls)";

    private EndpointSecurity() {
    }

    /** As the API shows it. */
    public static ClusterRuntime.EndpointSecurity describe(String listenHost, TlsSettings tls) {
        return new ClusterRuntime.EndpointSecurity(tls != null, tls == null ? TlsSettings.ClientAuth.NONE.configName()
                : tls.clientAuth().configName(), exposedInClear(listenHost, tls) ? DESCRIBE_WARNING : null);
    }

    /** The warning logged at start, naming the address, or null when there is nothing to warn about. */
    public static String startWarning(String listenHost, TlsSettings tls) {
        if (!exposedInClear(listenHost, tls)) {
            return null;
        }
        return "cluster endpoints listen on " + (listenHost.isEmpty() ? "every address" : listenHost) + " (KEYHOLD_CLUSTER_BIND),"
                + " which is not a loopback address, without TLS: decrypted records would cross the network in clear. Give the"
                + " server a certificate (cluster-tls.certificate and cluster-tls.key, or KEYHOLD_CLUSTER_TLS_CERTIFICATE and"
                + " KEYHOLD_CLUSTER_TLS_KEY), or bind the endpoints to 127.0.0.1";
    }

    private static boolean exposedInClear(String listenHost, TlsSettings tls) {
        return tls == null && !BindAddress.isLoopback(listenHost);
    }
}
