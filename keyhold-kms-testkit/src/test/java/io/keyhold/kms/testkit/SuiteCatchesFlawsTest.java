package io.keyhold.kms.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.platform.commons.support.ReflectionSupport;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Every test of the suite and of its capability interfaces can fail: run against a reference KMS with
 * one flaw, the test written for that behaviour fails (and passes without the flaw:
 * {@link ReferenceConformanceTest}, which implements every capability so that no test is left out).
 */
class SuiteCatchesFlawsTest {

    @ParameterizedTest(name = "{0} fails {1}")
    @CsvSource({
        "IGNORES_CONTEXT, aDekUnwrapsOnlyWithTheContextItWasWrappedWith",
        "EDEK_HOLDS_DEK, generatesA256BitDekThatUnwrapsToTheSameBytes",
        "UNAUTHENTICATED_EDEK, aDamagedEdekOrOneOfAnotherKeyIsInvalidCiphertext",
        "UNSTABLE_IDENTITY, describeResolvesTheReferenceToAStableIdentityAndItsCurrentVersion",
        "UNKNOWN_AS_DISABLED, anUnknownKeyIsNotFound",
        "DISABLED_AS_NOT_FOUND, aDisabledKeyIsDeniedUntilEnabledAgain",
        "DELETION_IGNORED, aKeyScheduledForDeletionIsDenied",
        "DENIAL_AS_UNAVAILABLE, removedAccessIsDeniedAccessDeniedUntilGivenBack",
        "CHECK_ACCESS_SKIPS_UNWRAP, checkAccessFailsWhenOnlyTheUnwrapPermissionIsRemoved",
        "OUTAGE_AS_DENIED, anOutageAnsweringServiceUnavailableIsUnavailableNotDenied",
        "ROTATION_INVISIBLE, rotationIsVisibleAndOldDeksStillUnwrap",
        "ROTATION_LOSES_OLD_VERSIONS, rotateThroughTheConnectionKeepsTheKeyAndOldDeks",
        "BLOCKS_CALLER_WHILE_HANGING, aHangingKmsTimesOutAndNoCallWaitsForIt",
        "LEAKS_KEY_IN_ERRORS, noKeyBytesInAnyTextOrError",
        "RACES_UNDER_LOAD, manyThreadsGenerateAndUnwrapCorrectly",
        "THROWS_ON_BAD_ARGUMENTS, badArgumentsFailTheStageInsteadOfThrowing",
        "THROWS_ON_BAD_ARGUMENTS, wrapWithBadArgumentsFailsTheStageInsteadOfThrowing",
        "WRAP_MAKES_A_NEW_KEY, wrapsAKeyItDidNotMakeSoThatUnwrapGivesTheSameBytesBack",
        "WRAP_UNDER_FIRST_VERSION, wrapUsesTheCurrentVersionAndWhatItWrappedBeforeARotationStillUnwraps",
        "WRAP_IGNORES_KEY_STATE, wrapUnderADisabledOrUnknownKeyIsDenied",
    })
    void theTestForTheBehaviourFails(Flaw flaw, String test) {
        FlawedReferenceSuite.flaw = flaw;
        List<TestExecutionResult> results = new ArrayList<>();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(FlawedReferenceSuite.class, test)).build(), new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        if (id.isTest()) {
                            results.add(result);
                        }
                    }
                });
        assertThat(results).as("runs of " + test).hasSize(1);
        assertThat(results.get(0).getStatus()).as(test + " with " + flaw).isEqualTo(TestExecutionResult.Status.FAILED);
    }

    /** The capability interfaces of the kit: its public interfaces that extend {@link ConformanceContext}. */
    static List<Class<?>> capabilities() {
        return ReflectionSupport.findAllClassesInPackage(ConformanceContext.class.getPackageName(),
                c -> c.isInterface() && Modifier.isPublic(c.getModifiers()) && c != ConformanceContext.class
                        && ConformanceContext.class.isAssignableFrom(c),
                name -> true);
    }

    @Test
    void theReferenceSuiteImplementsEveryCapability() {
        assertThat(capabilities()).as("capability interfaces found")
                .contains(DeletionConformance.class, AccessDenialConformance.class, OutageConformance.class)
                .allSatisfy(c -> assertThat(c).as("a capability of the reference suite").isAssignableFrom(ReferenceConformanceTest.class));
    }

    @Test
    void everyTestOfTheSuiteHasAFlawThatFailsIt() throws NoSuchMethodException {
        Set<String> suite = new TreeSet<>(testsOf(KmsConformanceSuite.class));
        for (Class<?> capability : capabilities()) {
            suite.addAll(testsOf(capability));
        }
        assertThat(suite).as("tests of the suite and its capability interfaces").contains("aKeyScheduledForDeletionIsDenied",
                "removedAccessIsDeniedAccessDeniedUntilGivenBack", "aHangingKmsTimesOutAndNoCallWaitsForIt");
        Set<String> covered = new TreeSet<>();
        Method flawed = getClass().getDeclaredMethod("theTestForTheBehaviourFails", Flaw.class, String.class);
        for (String row : flawed.getAnnotation(CsvSource.class).value()) {
            covered.add(row.split(",")[1].trim());
        }
        assertThat(covered).isEqualTo(suite);
    }

    /** The names of the {@code @Test} methods of {@code type}, its superclasses and every interface they implement. */
    private static Set<String> testsOf(Class<?> type) {
        Set<String> tests = new TreeSet<>();
        if (type == null || type == Object.class) {
            return tests;
        }
        for (Method m : type.getDeclaredMethods()) {
            if (m.isAnnotationPresent(Test.class)) {
                tests.add(m.getName());
            }
        }
        tests.addAll(testsOf(type.getSuperclass()));
        for (Class<?> i : type.getInterfaces()) {
            tests.addAll(testsOf(i));
        }
        return tests;
    }
}
