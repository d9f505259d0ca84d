package io.keyhold.server.internal.util;

import java.lang.management.ManagementFactory;

/** How this process names itself in the audit trail and the leader lease: {@code server@host:pid}. */
public final class ProcessName {
    private static final String NAME = name();

    private ProcessName() {
    }

    public static String get() {
        return NAME;
    }

    private static String name() {
        // The JVM's own "pid@host": no name lookup of our own, which could wait on a resolver.
        String jvm = ManagementFactory.getRuntimeMXBean().getName();
        int at = jvm.indexOf('@');
        String host = at < 0 ? "localhost" : jvm.substring(at + 1);
        return "server@" + host + ":" + ProcessHandle.current().pid();
    }
}
