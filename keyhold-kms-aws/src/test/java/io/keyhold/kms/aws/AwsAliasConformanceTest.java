package io.keyhold.kms.aws;

import io.keyhold.kms.Kms;
import io.keyhold.kms.aws.fake.FakeAwsKms;
import io.keyhold.kms.testkit.AccessDenialConformance;
import io.keyhold.kms.testkit.DeletionConformance;
import io.keyhold.kms.testkit.KmsConformanceSuite;
import io.keyhold.kms.testkit.KmsFakeAdmin;
import io.keyhold.kms.testkit.OutageConformance;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The conformance suite with alias ARNs as references: every key is reached through an alias, and
 * the admin's rotation moves the alias to a new key (the way customers rotate by hand). The KEK
 * reference's version is then the target key's ARN, which describe reports as the current version.
 */
@ExtendWith(FakeCredentials.class)
class AwsAliasConformanceTest extends KmsConformanceSuite implements DeletionConformance, AccessDenialConformance, OutageConformance {
    private FakeAwsKms fake;

    @Override
    protected Kms connect() {
        fake = FakeAwsKms.start("us-east-2");
        return FakeConnections.open(fake);
    }

    @Override
    public AliasAdmin admin() {
        return new AliasAdmin(fake);
    }

    @AfterEach
    void stopFake() {
        fake.close();
    }

    /** Keys behind aliases; what is done to an alias is done to the key it points at. */
    static final class AliasAdmin implements KmsFakeAdmin.CanDelete, KmsFakeAdmin.CanDenyAccess, KmsFakeAdmin.CanCauseOutages {
        private final FakeAwsKms fake;

        AliasAdmin(FakeAwsKms fake) {
            this.fake = fake;
        }

        @Override
        public String createKey() {
            return fake.createAlias(fake.createKey());
        }

        @Override
        public String unknownKeyRef() {
            return fake.unknownKeyRef().replaceFirst(":key/.*", ":alias/no-such-alias");
        }

        @Override
        public void rotate(String alias) {
            fake.moveAlias(alias, fake.createKey());
        }

        @Override
        public void disable(String ref) {
            fake.disable(ref);
        }

        @Override
        public void enable(String ref) {
            fake.enable(ref);
        }

        @Override
        public void scheduleDeletion(String ref) {
            fake.scheduleDeletion(ref);
        }

        @Override
        public void denyAccess(String ref) {
            fake.denyAccess(ref);
        }

        @Override
        public void allowAccess(String ref) {
            fake.allowAccess(ref);
        }

        @Override
        public void denyUnwrap(String ref) {
            fake.denyUnwrap(ref);
        }

        @Override
        public void outage(Outage mode) {
            fake.outage(mode);
        }
    }
}
