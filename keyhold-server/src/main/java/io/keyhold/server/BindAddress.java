package io.keyhold.server;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Whether a listen address keeps traffic on this machine. */
public final class BindAddress {
    private BindAddress() {
    }

    /**
     * True when every address {@code bind} stands for is a loopback address (127.0.0.0/8, ::1, a
     * name such as localhost that resolves only to those). The wildcard (0.0.0.0, ::, empty) and a
     * name that does not resolve are not.
     */
    public static boolean isLoopback(String bind) {
        if (bind == null || bind.isBlank()) {
            return false;
        }
        try {
            InetAddress[] all = InetAddress.getAllByName(bind.startsWith("[") && bind.endsWith("]") ? bind.substring(1, bind.length() - 1) : bind);
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
