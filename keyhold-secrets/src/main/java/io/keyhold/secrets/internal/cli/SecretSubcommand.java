package io.keyhold.secrets.internal.cli;

import io.keyhold.secrets.internal.Environment;
import io.keyhold.secrets.internal.SecretsException;
import io.keyhold.secrets.internal.SecretsService;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Shared plumbing: error reporting with stable exit codes, and access to the environment and stdin. */
abstract class SecretSubcommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() {
        try {
            execute();
            return 0;
        } catch (SecretsException e) {
            // One line, like every keyhold command: what was wrong, then what to do.
            PrintWriter err = spec.commandLine().getErr();
            err.println("Error: " + e.getMessage() + (e.suggestion() == null ? "" : ". " + e.suggestion()));
            err.flush();
            return e.kind().exitCode();
        }
    }

    abstract void execute();

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    SecretsService service() {
        return new SecretsService(context().map(SecretsContext::environment).orElse(Environment.system()));
    }

    InputStream stdin() {
        return context().map(SecretsContext::stdin).orElse(System.in);
    }

    private java.util.Optional<SecretsContext> context() {
        for (CommandSpec s = spec; s != null; s = s.parent()) {
            if (s.userObject() instanceof SecretsContext c) {
                return java.util.Optional.of(c);
            }
        }
        return java.util.Optional.empty();
    }

    static List<String> splitKeys(String keys) {
        if (keys == null || keys.isBlank()) {
            return List.of();
        }
        return Arrays.stream(keys.split(",")).map(String::trim).filter(k -> !k.isEmpty()).toList();
    }

    void printMasterKey(String masterKey) {
        PrintWriter out = out();
        out.println("Save the master key. It cannot be retrieved later.");
        out.println("Master Key: " + masterKey);
        out.flush();
    }
}
