package io.keyhold.kms.kmip;

/**
 * The conformance suite in KMIP 1.1 mode (the key fetched with Get, DEKs wrapped by Keyhold), the
 * server told to speak 1.1 by {@code max-version}.
 */
class Kmip11KmsConformanceTest extends PyKmipConformance {
    Kmip11KmsConformanceTest() {
        super("1.1");
    }
}
