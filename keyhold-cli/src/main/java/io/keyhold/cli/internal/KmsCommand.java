package io.keyhold.cli.internal;

import io.keyhold.kms.KeyInfo;
import io.keyhold.kms.local.LocalKms;
import io.keyhold.server.cli.ApiError;
import io.keyhold.server.cli.RemoteLocalKms;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code keyhold kms key ...}: manage keys in the embedded local KMS. */
@Command(name = "kms", mixinStandardHelpOptions = true, description = "Manage the embedded local KMS.",
        subcommands = KmsCommand.Key.class)
public final class KmsCommand {

    /**
     * With a server context the server's API decides what is seen: the caller's organization's keys,
     * by their names. With {@code --data-dir} the store itself is opened, whole: an organization's
     * keys appear as {@code <organization id>/<name>}, the keys of clusters with automatic encryption
     * as {@code <organization id>/keyhold-auto-<cluster id>}, and names without an organization are
     * the first organization's (see docs/SECURITY.md, "Tenancy and key ownership").
     */
    @Command(name = "key", mixinStandardHelpOptions = true, description = {"Manage local KMS keys.",
            "Through a server (a context from `keyhold login` or KEYHOLD_URL): your organization's keys, by name.",
            "With --data-dir: the whole store; an organization's keys are named <organization id>/<name>."},
            subcommands = {Create.class, ListKeys.class, Describe.class, Rotate.class, Disable.class, Enable.class,
                    ScheduleDeletion.class, CancelDeletion.class, Destroy.class})
    static final class Key {
    }

    /** What every key command shares: store access, output format, and printing a key. */
    abstract static class KeyCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        LocalKmsAccess store;
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "human",
                description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        Printer.Format format;

        abstract Object run(LocalKms kms);

        /** The same command through a server's local KMS API. */
        abstract Object runRemote(RemoteLocalKms kms);

        @Override
        public Integer call() {
            // With a server context (KEYHOLD_URL or `keyhold login`) and no explicit --data-dir, the
            // server owns the store: go through its API instead of opening the files directly.
            Optional<RemoteLocalKms> remote = spec.commandLine().getParseResult().hasMatchedOption("--data-dir")
                    ? Optional.empty() : RemoteLocalKms.fromContext();
            if (remote.isPresent()) {
                try {
                    print(runRemote(remote.get()));
                    return 0;
                } catch (ApiError e) {
                    throw new CliException(e.exitCode(), e.getMessage());
                }
            }
            try (LocalKms kms = store.open()) {
                print(run(kms));
                return 0;
            }
        }

        private void print(Object result) {
            if (result instanceof KeyInfo) {
                Printer.object(spec.commandLine().getOut(), format, row((KeyInfo) result));
            }
        }
    }

    static Map<String, Object> row(KeyInfo k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", k.keyId());
        m.put("state", k.state().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        m.put("algorithm", k.algorithm());
        m.put("region", k.region());
        m.put("current_version", k.currentVersion());
        m.put("created_at", k.createdAt() == null ? null : k.createdAt().toString());
        m.put("deletion_date", k.deletionDate() == null ? null : k.deletionDate().toString());
        return m;
    }

    /** A command that names one key and applies one operation to it. */
    abstract static class NamedKeyCommand extends KeyCommand {
        @Parameters(index = "0", paramLabel = "NAME",
                description = "The key's name (with --data-dir, an organization's key is <organization id>/<name>).")
        String name;

        abstract BiFunction<LocalKms, String, KeyInfo> operation();

        @Override
        Object run(LocalKms kms) {
            return operation().apply(kms, name);
        }

        @Override
        Object runRemote(RemoteLocalKms kms) {
            return kms.apply(spec.name(), name, null);
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a key (AES-256, version 1).")
    static final class Create extends NamedKeyCommand {
        BiFunction<LocalKms, String, KeyInfo> operation() {
            return LocalKms::create;
        }
    }

    @Command(name = "describe", mixinStandardHelpOptions = true, description = "Show one key.")
    static final class Describe extends NamedKeyCommand {
        BiFunction<LocalKms, String, KeyInfo> operation() {
            return LocalKms::describeKey;
        }
    }

    @Command(name = "rotate", mixinStandardHelpOptions = true, description = "Add a key version; new DEKs wrap under it, old versions still decrypt.")
    static final class Rotate extends NamedKeyCommand {
        BiFunction<LocalKms, String, KeyInfo> operation() {
            return LocalKms::rotateKey;
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true, description = "Disable a key: clusters using it lock.")
    static final class Disable extends NamedKeyCommand {
        BiFunction<LocalKms, String, KeyInfo> operation() {
            return LocalKms::disable;
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable a disabled key: clusters using it unlock.")
    static final class Enable extends NamedKeyCommand {
        BiFunction<LocalKms, String, KeyInfo> operation() {
            return LocalKms::enable;
        }
    }

    @Command(name = "cancel-deletion", mixinStandardHelpOptions = true, description = "Cancel a scheduled deletion; the key comes back disabled.")
    static final class CancelDeletion extends NamedKeyCommand {
        BiFunction<LocalKms, String, KeyInfo> operation() {
            return LocalKms::cancelDeletion;
        }
    }

    @Command(name = "schedule-deletion", mixinStandardHelpOptions = true,
            description = "Schedule a key for destruction after a waiting period; it refuses all use meanwhile.")
    static final class ScheduleDeletion extends NamedKeyCommand {
        @Option(names = "--waiting-days", paramLabel = "DAYS", defaultValue = "30",
                description = "Days before the key is destroyed, 1 to 365 (default: ${DEFAULT-VALUE}).")
        int waitingDays;

        BiFunction<LocalKms, String, KeyInfo> operation() {
            if (waitingDays < 1 || waitingDays > 365) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--waiting-days must be 1..365, got " + waitingDays);
            }
            return (kms, n) -> kms.scheduleDeletion(n, Duration.ofDays(waitingDays));
        }

        @Override
        Object runRemote(RemoteLocalKms kms) {
            operation();
            return kms.apply("schedule-deletion", name, waitingDays);
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true,
            description = "Destroy a key scheduled for deletion now. Everything encrypted under it becomes unreadable, for good.")
    static final class Destroy extends NamedKeyCommand {
        @Option(names = "--force", description = "Do not ask for confirmation.")
        boolean force;

        BiFunction<LocalKms, String, KeyInfo> operation() {
            return (kms, n) -> {
                confirm("'" + n + "'");
                return kms.destroy(n);
            };
        }

        @Override
        Object runRemote(RemoteLocalKms kms) {
            confirm("'" + name + "' of " + kms.url());
            return kms.apply("destroy", name, null);
        }

        /** Asks unless --force; {@code key} names the key as the question shows it. */
        private void confirm(String key) {
            if (!force && !Confirm.ask(spec.commandLine(), "Destroy local key " + key + " for good? Data encrypted under it can never be read again.")) {
                throw new CliException(io.keyhold.cli.ExitCodes.CONFLICT, "not destroyed: confirmation declined (use --force in scripts)");
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys.")
    static final class ListKeys extends KeyCommand {
        @Override
        Object run(LocalKms kms) {
            return print(kms.list());
        }

        @Override
        Object runRemote(RemoteLocalKms kms) {
            return print(kms.list());
        }

        private Object print(List<KeyInfo> keys) {
            List<Map<String, Object>> rows = keys.stream().map(KmsCommand::row).collect(Collectors.toList());
            Printer.list(spec.commandLine().getOut(), format, rows, "name", "state", "current_version", "created_at", "deletion_date");
            return null;
        }
    }
}
