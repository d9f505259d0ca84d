package io.keyhold.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** What every command over the API shares: the context, {@code -o}, and errors as one line plus an exit code. */
abstract class ClientCommand implements Callable<Integer> {
    /** The environment variables the CLI reads; tests replace it. */
    static volatile Map<String, String> env = System.getenv();

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "human",
            description = "Output format: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Output.Format format;

    abstract void run(ApiClient api) throws Exception;

    /** Commands that need no server (login) override this. */
    boolean needsServer() {
        return true;
    }

    @Override
    public Integer call() throws Exception {
        try {
            run(needsServer() ? CliContext.require(env).client() : null);
            return 0;
        } catch (ApiError e) {
            err().println("Error: " + e.getMessage());
            err().flush();
            return e.exitCode();
        }
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** The environment from the option, else the context's, else an error. */
    static String environment(String option) {
        if (option != null) {
            return option;
        }
        String fromContext = CliContext.resolve(env).map(CliContext::environment).orElse(null);
        if (fromContext == null) {
            throw new ApiError(2, 0, "no environment given: use --environment ENV_ID or 'keyhold environment use ENV_ID'");
        }
        return fromContext;
    }

    /** Asks for confirmation on the terminal; false without a terminal answer. */
    boolean confirm(String question) {
        out().print(question + " (y/n): ");
        out().flush();
        try {
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
            String line = in.readLine();
            return line != null && (line.trim().equalsIgnoreCase("y") || line.trim().equalsIgnoreCase("yes"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** Asks before a deletion unless {@code --force}; refuses (exit code 4) when the answer is not yes. */
    void confirmDeletion(boolean force, String what) {
        if (!force && !confirm("Are you sure you want to delete " + what + "?")) {
            throw new ApiError(4, 0, "deletion not confirmed; use --force to skip the question");
        }
    }

    /** Deletes the resource at {@code path} once it is known to exist and the deletion is confirmed. */
    void deleteConfirmed(ApiClient api, boolean force, String path, String what) {
        api.get(path);
        confirmDeletion(force, what);
        api.delete(path);
        out().println("Deleted " + what + ".");
        out().flush();
    }

    /** Every page of the list at {@code path}, one row per item, printed with {@code columns} in human output. */
    void printList(ApiClient api, String path, Function<JsonNode, Map<String, Object>> row, List<String> columns) {
        List<Map<String, Object>> rows = new ArrayList<>();
        api.list(path).forEach(item -> rows.add(row.apply(item)));
        Output.list(out(), format, rows, columns);
    }
}
