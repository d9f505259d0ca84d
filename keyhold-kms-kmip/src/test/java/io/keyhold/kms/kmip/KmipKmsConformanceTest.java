package io.keyhold.kms.kmip;

/** The conformance suite in KMIP 2.0, which pykmip-server 0.10 offers (Keyhold's default). */
class KmipKmsConformanceTest extends PyKmipConformance {
    KmipKmsConformanceTest() {
        super(null);
    }
}
