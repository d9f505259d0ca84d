/**
 * The KMS provider test kit: {@link io.keyhold.kms.testkit.KmsConformanceSuite}, the behaviour every
 * {@link io.keyhold.kms.Kms} provider owes Keyhold as JUnit 5 tests, and
 * {@link io.keyhold.kms.testkit.KmsFakeAdmin}, what the suite does to the KMS behind the connection
 * (create, disable, rotate keys). What only some admins can do (delete keys, take access away, cause
 * outages) is tested by the capability interfaces {@link io.keyhold.kms.testkit.DeletionConformance},
 * {@link io.keyhold.kms.testkit.AccessDenialConformance} and {@link io.keyhold.kms.testkit.OutageConformance}:
 * a provider's test class implements those its admin can do, and no test is ever skipped.
 *
 * <p>A provider module depends on this one in test scope, writes a wire-level fake of its KMS that
 * implements {@code KmsFakeAdmin} and the admin interfaces of what it models ({@code KmsFakeAdmin.CanDelete},
 * {@code CanDenyAccess}, {@code CanCauseOutages}), and extends the suite:
 *
 * <pre>{@code
 * class MyKmsConformanceTest extends KmsConformanceSuite
 *         implements DeletionConformance, AccessDenialConformance, OutageConformance {
 *     private MyFake fake;
 *
 *     protected Kms connect() {            // before each test
 *         fake = MyFake.start();           // 127.0.0.1, a free port
 *         return new MyKmsProvider().open(KmsConfig.of(Map.of("endpoint", fake.url())));
 *     }
 *
 *     public MyFake admin() {             // all three admin interfaces
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
 * The same class against the real service, in a profile of its own, is the provider's live test; it
 * implements only the capabilities that can be exercised on the real service.
 * See the module's README.md for what each test checks.
 */
package io.keyhold.kms.testkit;
