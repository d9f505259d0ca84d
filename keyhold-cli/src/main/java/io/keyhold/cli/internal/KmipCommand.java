package io.keyhold.cli.internal;

import io.keyhold.cli.ExitCodes;
import io.keyhold.kms.KmsConfig;
import io.keyhold.kms.kmip.KmipAdmin;
import io.keyhold.server.ServerConfigLoader;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code keyhold kmip create|activate|revoke|destroy|locate}: admin operations on a KMIP server, with
 * the settings the {@code kmip} provider uses ({@code kms.kmip.<server>.*} of the server's YAML file,
 * or flags), so an operator can make and retire the keys Keyhold is given without another tool.
 */
@Command(name = "kmip", mixinStandardHelpOptions = true, description = {"Admin operations on a KMIP server.",
        "Settings: --config (the server's YAML, kms.kmip.<server>.*) and/or --address, --client-cert, --client-key, --ca."},
        subcommands = {KmipCommand.Create.class, KmipCommand.Activate.class, KmipCommand.Revoke.class, KmipCommand.Destroy.class,
                KmipCommand.Locate.class})
public final class KmipCommand {

    /** Where the KMIP settings come from: the server's YAML file (through the server's own loader), then flags over it. */
    static final class Settings {
        @Option(names = "--config", paramLabel = "FILE", description = "The Keyhold server's YAML file (its kms.kmip.<server>.* settings).")
        Path config;
        @Option(names = "--server", paramLabel = "NAME", defaultValue = "kmip",
                description = "The configured KMIP server's name (default: ${DEFAULT-VALUE}).")
        String server;
        @Option(names = "--address", paramLabel = "HOST[:PORT]", description = "The KMIP server (port 5696 by default).")
        String address;
        @Option(names = "--client-cert", paramLabel = "PEM", description = "Keyhold's client certificate (chain).")
        Path clientCert;
        @Option(names = "--client-key", paramLabel = "PEM", description = "Its private key.")
        Path clientKey;
        @Option(names = "--ca", paramLabel = "PEM", description = "The CA certificates that sign the KMIP server's certificate.")
        Path ca;
        @Option(names = "--max-version", paramLabel = "VERSION", description = "The highest KMIP version to offer (1.1 .. 1.4, 2.0).")
        String maxVersion;

        KmipAdmin open() {
            Map<String, String> values = new HashMap<>();
            // the server's own loader: the same file (or KEYHOLD_CONFIG) and KEYHOLD_KMS_KMIP_* variables as the server reads
            values.putAll(ServerConfigLoader.load(Map.of(), System.getenv(), config).kmsSettingsOf("kmip"));
            put(values, server + ".address", address);
            put(values, server + ".client-cert", clientCert);
            put(values, server + ".client-key", clientKey);
            put(values, server + ".ca", ca);
            put(values, "max-version", maxVersion);
            return KmipAdmin.open(KmsConfig.of(values), server);
        }

        private static void put(Map<String, String> values, String name, Object value) {
            if (value != null) {
                values.put(name, value.toString());
            }
        }
    }

    /** What every KMIP command shares: the settings, the output format, one connection per run. */
    abstract static class KmipOperation implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Settings settings;
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "human",
                description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
        Printer.Format format;

        abstract Map<String, ?> run(KmipAdmin kmip);

        @Override
        public Integer call() {
            try (KmipAdmin kmip = settings.open()) {
                Printer.object(spec.commandLine().getOut(), format, run(kmip));
                spec.commandLine().getOut().flush();
                return ExitCodes.OK;
            }
        }

        static Map<String, Object> object(KmipAdmin kmip, String uid) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("unique_identifier", uid);
            m.put("state", kmip.state(uid));
            return m;
        }
    }

    /** A command on one object, named by its unique identifier. */
    abstract static class ObjectOperation extends KmipOperation {
        @Parameters(index = "0", paramLabel = "UID", description = "The object's unique identifier.")
        String uid;
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create an AES-256 key with Encrypt and Decrypt (Pre-Active unless --activate).")
    static final class Create extends KmipOperation {
        @Option(names = "--name", paramLabel = "NAME", description = "Its Name (register kmip:<server>/name:<name> to rotate by creating more).")
        String name;
        @Option(names = "--activate", description = "Activate it at once.")
        boolean activate;

        @Override
        Map<String, ?> run(KmipAdmin kmip) {
            String uid = kmip.create(name);
            if (activate) {
                kmip.activate(uid);
            }
            Map<String, Object> m = object(kmip, uid);
            m.put("key_reference", settings.server + "/" + (name != null ? "name:" + name : uid));
            return m;
        }
    }

    @Command(name = "activate", mixinStandardHelpOptions = true, description = "Activate a Pre-Active object.")
    static final class Activate extends ObjectOperation {
        @Override
        Map<String, ?> run(KmipAdmin kmip) {
            kmip.activate(uid);
            return object(kmip, uid);
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Revoke an object (Deactivated; Compromised with --compromised): clusters it protects lock. There is no way back.")
    static final class Revoke extends ObjectOperation {
        @Option(names = "--compromised", description = "Revoke for key compromise.")
        boolean compromised;

        @Override
        Map<String, ?> run(KmipAdmin kmip) {
            kmip.revoke(uid, compromised);
            return object(kmip, uid);
        }
    }

    @Command(name = "destroy", mixinStandardHelpOptions = true,
            description = "Destroy a revoked object: data whose keys it wraps can never be read again.")
    static final class Destroy extends ObjectOperation {
        @Option(names = "--force", description = "Do not ask for confirmation.")
        boolean force;

        @Override
        Map<String, ?> run(KmipAdmin kmip) {
            if (!force && !Confirm.ask(spec.commandLine(), "Destroy KMIP object " + uid + " for good? Data encrypted under it can never be"
                    + " read again.")) {
                throw new CliException(ExitCodes.CONFLICT, "not destroyed: confirmation declined (use --force in scripts)");
            }
            kmip.destroy(uid);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("unique_identifier", uid);
            m.put("destroyed", true);
            return m;
        }
    }

    @Command(name = "locate", mixinStandardHelpOptions = true, description = "The objects with a Name, and their states.")
    static final class Locate extends KmipOperation {
        @Parameters(index = "0", paramLabel = "NAME", description = "The Name.")
        String name;

        @Override
        Map<String, ?> run(KmipAdmin kmip) {
            List<String> uids = kmip.locate(name);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("objects", uids.stream().map(uid -> object(kmip, uid)).toList());
            return m;
        }
    }
}
