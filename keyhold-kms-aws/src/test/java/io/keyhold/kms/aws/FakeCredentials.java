package io.keyhold.kms.aws;

import io.keyhold.kms.aws.fake.FakeAwsKms;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives the SDK the fake's static test credentials the way a user could: through the
 * {@code aws.accessKeyId} / {@code aws.secretAccessKey} system properties, the first source of the
 * default credentials chain the provider uses. Removed again after the test class.
 */
public final class FakeCredentials implements BeforeAllCallback, AfterAllCallback {
    static final String ACCESS_KEY_PROPERTY = "aws.accessKeyId";
    static final String SECRET_KEY_PROPERTY = "aws.secretAccessKey";

    @Override
    public void beforeAll(ExtensionContext context) {
        install();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        System.clearProperty(ACCESS_KEY_PROPERTY);
        System.clearProperty(SECRET_KEY_PROPERTY);
    }

    static void install() {
        System.setProperty(ACCESS_KEY_PROPERTY, FakeAwsKms.ACCESS_KEY);
        System.setProperty(SECRET_KEY_PROPERTY, FakeAwsKms.SECRET_KEY);
    }
}
