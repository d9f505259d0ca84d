package io.keyhold.secrets.internal.cli;

import io.keyhold.secrets.internal.Passphrases;
import io.keyhold.secrets.internal.SecretsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "rotate", mixinStandardHelpOptions = true,
        description = {"Rotate the master key (--master-key) or the data key (--data-key).",
                "The current passphrase is checked against the master key in CONFLUENT_SECURITY_MASTER_KEY."})
public final class FileRotateCommand extends SecretSubcommand {
    @Option(names = "--master-key", description = "Re-wrap the data key under a new master key.")
    boolean masterKey;

    @Option(names = "--data-key", description = "Re-encrypt every value under a new data key.")
    boolean dataKey;

    @Mixin
    FileOptions.LocalSecretsFile localSecretsFile;

    @Option(names = "--passphrase", paramLabel = "PASSPHRASE",
            description = "The current master key passphrase: a literal, @<file>, or - (standard input).")
    String passphrase;

    @Option(names = "--passphrase-new", paramLabel = "PASSPHRASE",
            description = "The new master key passphrase (with --master-key): a literal, @<file>, or -.")
    String passphraseNew;

    @Override
    void execute() {
        if (masterKey == dataKey) {
            throw new SecretsException(SecretsException.Kind.USAGE, "give exactly one of --master-key and --data-key",
                    "--master-key re-wraps the data key under a new passphrase; --data-key re-encrypts every value under a new data key.");
        }
        if ("-".equals(passphrase) && "-".equals(passphraseNew)) {
            throw new SecretsException(SecretsException.Kind.USAGE, "only one of --passphrase and --passphrase-new can read standard input",
                    "Give the other one as a literal or as @<file>.");
        }
        if (masterKey) {
            String current = Passphrases.resolve(passphrase, stdin(), "--passphrase");
            String next = Passphrases.resolve(passphraseNew, stdin(), "--passphrase-new");
            String masterKey = service().rotateMasterKey(localSecretsFile.path, current, next);
            printMasterKey(masterKey);
            out().println("Set the new master key in the environment variable named in the secrets file before using it again.");
            out().flush();
        } else {
            String current = passphrase == null ? null : Passphrases.resolve(passphrase, stdin(), "--passphrase");
            service().rotateDataKey(localSecretsFile.path, current);
        }
    }
}
