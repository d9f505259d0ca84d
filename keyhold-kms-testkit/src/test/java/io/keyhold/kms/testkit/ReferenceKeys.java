package io.keyhold.kms.testkit;

import io.keyhold.kms.KeyState;
import io.keyhold.kms.testkit.KmsFakeAdmin.CanCauseOutages.Outage;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** The reference KMS's state: keys with versions and states, denials, the outage, the flaws it is told to have. */
final class ReferenceKeys {
    static final SecureRandom RANDOM = new SecureRandom();

    static final class Key {
        final List<byte[]> versions = new CopyOnWriteArrayList<>(List.of(random(32)));
        volatile KeyState state = KeyState.ENABLED;
        volatile boolean denied;
        volatile boolean unwrapDenied;
    }

    final Map<String, Key> keys = new ConcurrentHashMap<>();
    final Set<Flaw> flaws;
    volatile Outage outage = Outage.NONE;

    ReferenceKeys(Set<Flaw> flaws) {
        this.flaws = flaws.isEmpty() ? EnumSet.noneOf(Flaw.class) : EnumSet.copyOf(flaws);
    }

    boolean has(Flaw f) {
        return flaws.contains(f);
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }
}
