package io.keyhold.secrets.internal.cli;

import io.keyhold.secrets.internal.KmsSettings;
import io.keyhold.secrets.internal.Passphrases;
import io.keyhold.secrets.internal.SecretsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Create a secrets file with a master key derived from a passphrase.",
                "Set the printed master key in CONFLUENT_SECURITY_MASTER_KEY before the `file` commands.",
                "With --kms-key the data key is wrapped by a KMS key instead and no master key is needed."})
public final class MasterKeyGenerateCommand extends SecretSubcommand {
    @Mixin
    FileOptions.LocalSecretsFile localSecretsFile;

    @Option(names = "--passphrase", paramLabel = "PASSPHRASE",
            description = "The master key passphrase: a literal, @<file>, or - to read standard input.")
    String passphrase;

    @Option(names = "--kms-key", paramLabel = "KEY-REF",
            description = "Wrap the data key with this KMS key instead of a passphrase-derived master key.")
    String kmsKey;

    @Option(names = "--kms-config", paramLabel = "NAME=VALUE",
            description = "A setting for opening the KMS (repeatable), e.g. data-dir=/var/lib/keyhold. "
                    + "Stored in clear in the secrets file: never a credential.")
    java.util.List<String> kmsConfig = new java.util.ArrayList<>();

    @Override
    void execute() {
        if (kmsKey != null) {
            if (passphrase != null) {
                throw new SecretsException(SecretsException.Kind.USAGE, "--passphrase and --kms-key cannot be used together",
                        "Give --kms-key for a KMS-protected file, or --passphrase for a passphrase-protected one.");
            }
            service().generateKmsWrapped(localSecretsFile.path, kmsKey, KmsSettings.parse(kmsConfig));
            out().println("Created \"" + localSecretsFile.path + "\" with a data key wrapped by the KMS key \"" + kmsKey + "\".");
            out().flush();
            return;
        }
        if (!kmsConfig.isEmpty()) {
            throw new SecretsException(SecretsException.Kind.USAGE, "--kms-config needs --kms-key", "Name the KMS key with --kms-key <kind>:<key id>.");
        }
        String phrase = Passphrases.resolve(passphrase, stdin(), "--passphrase");
        printMasterKey(service().generateMasterKey(localSecretsFile.path, phrase));
    }
}
