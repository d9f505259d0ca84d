package io.keyhold.kms.kmip;

/** The conformance suite in KMIP 1.4 (its attribute encoding differs from 2.0's). */
class Kmip14KmsConformanceTest extends PyKmipConformance {
    Kmip14KmsConformanceTest() {
        super("1.4");
    }
}
