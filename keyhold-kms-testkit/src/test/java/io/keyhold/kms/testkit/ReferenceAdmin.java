package io.keyhold.kms.testkit;

import io.keyhold.kms.KeyState;
import java.util.UUID;

/** Drives {@link ReferenceKms}'s keys for the suite: everything an admin can do, so every test of the kit runs. */
final class ReferenceAdmin implements KmsFakeAdmin.CanDelete, KmsFakeAdmin.CanDenyAccess, KmsFakeAdmin.CanCauseOutages {
    private final ReferenceKeys keys;

    ReferenceAdmin(ReferenceKeys keys) {
        this.keys = keys;
    }

    @Override
    public String createKey() {
        String name = "key-" + UUID.randomUUID();
        keys.keys.put(name, new ReferenceKeys.Key());
        return name;
    }

    @Override
    public String unknownKeyRef() {
        return "key-" + UUID.randomUUID();
    }

    @Override
    public void disable(String ref) {
        keys.keys.get(ref).state = KeyState.DISABLED;
    }

    @Override
    public void enable(String ref) {
        keys.keys.get(ref).state = KeyState.ENABLED;
    }

    @Override
    public void rotate(String ref) {
        ReferenceKms.addVersion(keys, keys.keys.get(ref));
    }

    @Override
    public void scheduleDeletion(String ref) {
        if (!keys.has(Flaw.DELETION_IGNORED)) {
            keys.keys.get(ref).state = KeyState.PENDING_DELETION;
        }
    }

    @Override
    public void denyAccess(String ref) {
        keys.keys.get(ref).denied = true;
    }

    @Override
    public void allowAccess(String ref) {
        keys.keys.get(ref).denied = false;
        keys.keys.get(ref).unwrapDenied = false;
    }

    @Override
    public void denyUnwrap(String ref) {
        keys.keys.get(ref).unwrapDenied = true;
    }

    @Override
    public void outage(Outage mode) {
        keys.outage = mode;
    }
}
