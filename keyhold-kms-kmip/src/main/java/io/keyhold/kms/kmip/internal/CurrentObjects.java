package io.keyhold.kms.kmip.internal;

import java.math.BigInteger;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which object a name reference wraps with: of the objects carrying the Name, the newest Active one
 * (by Initial Date, then by identifier: numerically where both are numbers, as servers that number
 * their objects count up); when none is Active, the newest of all, whose state then says why the
 * key can not be used.
 */
public final class CurrentObjects {
    static final Comparator<KeyAttributes> NEWEST_LAST = Comparator.comparingLong(KeyAttributes::initialDate)
            .thenComparing(KeyAttributes::uid, CurrentObjects::compareIdentifiers);

    private CurrentObjects() {
    }

    public static Optional<KeyAttributes> current(KmipClient client, String name) {
        List<KeyAttributes> named = client.locate(name).stream().map(client::attributes).filter(a -> a.names().contains(name)).toList();
        return pick(named);
    }

    static Optional<KeyAttributes> pick(List<KeyAttributes> named) {
        Optional<KeyAttributes> active = named.stream().filter(KeyAttributes::active).max(NEWEST_LAST);
        return active.isPresent() ? active : named.stream().max(NEWEST_LAST);
    }

    static int compareIdentifiers(String a, String b) {
        if (!a.isEmpty() && !b.isEmpty() && a.chars().allMatch(Character::isDigit) && b.chars().allMatch(Character::isDigit)) {
            return new BigInteger(a).compareTo(new BigInteger(b));
        }
        return a.compareTo(b);
    }
}
