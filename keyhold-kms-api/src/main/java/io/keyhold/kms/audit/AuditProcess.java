package io.keyhold.kms.audit;

import java.net.InetAddress;

/** The {@link AuditEvent#process()} of this JVM: {@code <role>@<host>:<pid>}. */
public final class AuditProcess {
    private AuditProcess() {
    }

    /** E.g. {@code server@kh-1:4242} for role {@code server}. */
    public static String name(String role) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return role + "@" + host + ":" + ProcessHandle.current().pid();
    }
}
