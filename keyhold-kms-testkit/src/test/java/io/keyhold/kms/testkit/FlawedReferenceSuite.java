package io.keyhold.kms.testkit;

import java.util.Set;

/**
 * The suite against a reference KMS with the flaw {@link SuiteCatchesFlawsTest} sets; not run by
 * itself (its name is not a test class name surefire picks up).
 */
class FlawedReferenceSuite extends ReferenceConformanceTest {
    static volatile Flaw flaw;

    @Override
    Set<Flaw> flaws() {
        return Set.of(flaw);
    }
}
