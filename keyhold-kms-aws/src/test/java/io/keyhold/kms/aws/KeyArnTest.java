package io.keyhold.kms.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.kms.aws.internal.KeyArn;
import org.junit.jupiter.api.Test;

class KeyArnTest {

    @Test
    void keyAndAliasArnsInEveryPartition() {
        KeyArn key = KeyArn.parse("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab");
        assertThat(key).isEqualTo(new KeyArn(key.arn(), "aws", "eu-west-1", "111122223333", false, "1234abcd-12ab-34cd-56ef-1234567890ab"));
        KeyArn alias = KeyArn.parse("arn:aws-us-gov:kms:us-gov-west-1:111122223333:alias/keyhold/orders_prod");
        assertThat(alias.alias()).isTrue();
        assertThat(alias.partition()).isEqualTo("aws-us-gov");
        assertThat(alias.region()).isEqualTo("us-gov-west-1");
        assertThat(alias.resource()).isEqualTo("keyhold/orders_prod");
        assertThat(KeyArn.parse("arn:aws-cn:kms:cn-northwest-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab").region())
                .isEqualTo("cn-northwest-1");
        assertThat(KeyArn.parse("arn:aws-eusc:kms:eusc-de-east-1:111122223333:key/1234").partition()).isEqualTo("aws-eusc");
    }

    @Test
    void anythingElseIsRefusedWithWhatAReferenceLooksLike() {
        for (String bad : new String[] {"", "alias/orders", "1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:aws:kms:eu-west-1:1111222233:key/x", "arn:aws:kms:eu-west-1:111122223333:grant/x",
                "arn:aws:iam::111122223333:role/x", "arn:aws:kms:eu-west-1:111122223333:key/ab cd"}) {
            assertThatThrownBy(() -> KeyArn.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("arn:aws:kms:<region>:<account>:key/<key-id>");
        }
    }
}
