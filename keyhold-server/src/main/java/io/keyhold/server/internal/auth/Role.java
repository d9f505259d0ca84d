package io.keyhold.server.internal.auth;

import java.util.Arrays;
import java.util.Optional;

/** The roles a service account can be bound to. */
public enum Role {
    /** Everything in the organization. */
    OrganizationAdmin(false),
    /** Keys (organization-wide, as the byok/v1 contract says), and clusters of one environment. */
    EnvironmentAdmin(true),
    /** Reads everything in the organization except secrets; changes nothing. */
    ReadOnly(false);

    private final boolean scopedToEnvironment;

    Role(boolean scopedToEnvironment) {
        this.scopedToEnvironment = scopedToEnvironment;
    }

    public boolean scopedToEnvironment() {
        return scopedToEnvironment;
    }

    public static Optional<Role> parse(String name) {
        return Arrays.stream(values()).filter(r -> r.name().equals(name)).findFirst();
    }
}
