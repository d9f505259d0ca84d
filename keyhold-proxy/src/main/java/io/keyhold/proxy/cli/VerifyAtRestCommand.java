package io.keyhold.proxy.cli;

import io.keyhold.proxy.internal.LogScanner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code keyhold kafka verify-at-rest --log-dir DIR --needle TEXT}: proves (or disproves) that a
 * plaintext string is absent from a broker's data. Exit 0: not found; 1: found; 2: could not scan.
 */
@Command(name = "verify-at-rest", mixinStandardHelpOptions = true,
        description = {"Scan Kafka log directories for a plaintext string (raw bytes and inside compressed batches).",
                "Exit status: 0 not found, 1 found, 2 error."})
public final class VerifyAtRestCommand implements Callable<Integer> {
    @Option(names = "--log-dir", required = true, paramLabel = "DIR", description = "a broker log directory (log.dirs); repeatable")
    List<Path> logDirs;

    @Option(names = "--needle", required = true, paramLabel = "TEXT", description = "the plaintext to look for (UTF-8)")
    String needle;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        byte[] n = needle.getBytes(StandardCharsets.UTF_8);
        if (n.length == 0) {
            spec.commandLine().getErr().println("--needle must not be empty");
            return 2;
        }
        int found = 0;
        for (Path dir : logDirs) {
            if (!Files.isDirectory(dir)) {
                spec.commandLine().getErr().println("not a directory: " + dir);
                return 2;
            }
            for (LogScanner.Hit hit : LogScanner.scan(dir, n)) {
                spec.commandLine().getOut().println("FOUND " + hit);
                found++;
            }
        }
        if (found == 0) {
            spec.commandLine().getOut().println("not found: the text does not occur in " + logDirs);
            return 0;
        }
        spec.commandLine().getOut().println(found + " occurrence(s) found");
        return 1;
    }
}
