package io.keyhold.kms.audit;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The {@link AuditEvent#process()} of this JVM: {@code <role>@<host>:<pid>}, e.g.
 * {@code server@kh-1:4711} or {@code proxy@edge-3:912}, so that an auditor can tell which of several
 * Keyhold processes made a KMS call.
 */
public final class ProcessName {
    private static final String HOST = host();

    private ProcessName() {
    }

    /** The name of this process in the role {@code role} ({@code server}, {@code proxy}, ...). */
    public static String of(String role) {
        return role + "@" + HOST + ":" + ProcessHandle.current().pid();
    }

    private static String host() {
        String env = System.getenv("HOSTNAME"); // set in containers, and free: no name lookup
        if (env != null && !env.isBlank()) {
            return env.strip();
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException | SecurityException e) {
            return "localhost";
        }
    }
}
