package io.keyhold.server.internal.keys;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A registered key's immutable description, as parsed from the {@code key} object of a create request.
 *
 * @param kind      the variant, e.g. {@code AwsKey}, {@code LocalKey}
 * @param provider  the API's {@code provider}: AWS, Azure, GCP, Local
 * @param kmsKind   the KMS SPI provider kind that validates and uses it: aws, azure, gcp, local
 * @param ident     the key's identifier inside its KMS as the customer gives it (ARN, key URL, resource
 *                  name, local name)
 * @param kmsRef    the reference the KMS is called with: {@code ident}, or for a LocalKey its store name
 * @param region    where the key lives when the identifier says so, else null until validated
 * @param stored    the writable fields as given (normalised), stored as JSON
 */
public record KeySpec(String kind, String provider, String kmsKind, String ident, String kmsRef, String region, ObjectNode stored) {

    /** The identity of the KMS key the reference names (see {@link KeyIdentities}). */
    String identity() {
        return KeyIdentities.of(kind, kmsRef);
    }
}
