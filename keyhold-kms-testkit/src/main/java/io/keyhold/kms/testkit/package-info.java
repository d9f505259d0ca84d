/**
 * The KMS provider test kit: {@link io.keyhold.kms.testkit.KmsConformanceSuite}, the behaviour every
 * {@link io.keyhold.kms.Kms} provider owes Keyhold as JUnit 5 tests, and
 * {@link io.keyhold.kms.testkit.KmsFakeAdmin}, what the suite does to the KMS behind the connection
 * (create, disable, rotate, delete keys, take access away, cause outages).
 *
 * <p>A provider module depends on this one in test scope, writes a wire-level fake of its KMS that
 * implements {@code KmsFakeAdmin}, and extends the suite:
 *
 * <pre>{@code
 * class MyKmsConformanceTest extends KmsConformanceSuite {
 *     private MyFake fake;
 *
 *     protected Kms connect() {            // before each test
 *         fake = MyFake.start();           // 127.0.0.1, a free port
 *         return new MyKmsProvider().open(KmsConfig.of(Map.of("endpoint", fake.url())));
 *     }
 *
 *     protected KmsFakeAdmin admin() {
 *         return fake;
 *     }
 *
 *     @AfterEach
 *     void stop() {
 *         fake.close();
 *     }
 * }
 * }</pre>
 *
 * The same class against the real service, in a profile of its own, is the provider's live test.
 * See the module's README.md for what each test checks.
 */
package io.keyhold.kms.testkit;
