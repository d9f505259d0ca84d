package io.keyhold.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** External programs the tests run: kcat (the librdkafka client, for a non-Java client) and openssl. */
final class Commands {
    private Commands() {
    }

    /** kcat's path; fails the test when it is not installed. */
    static String kcat() {
        Path kcat = Stream.of("/usr/bin/kcat", "/usr/local/bin/kcat").map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        assertThat(kcat).as("this test needs kcat, the non-Java Kafka client: apt-get install kcat (.ci/run does)").isNotNull();
        return kcat.toString();
    }

    /** Runs {@code command} with {@code stdin}, asserts it succeeded and returns its standard output. */
    static String run(String stdin, String... command) throws Exception {
        Result r = exec(stdin, command);
        assertThat(r.exit()).as(command[0] + " failed: " + r.err()).isZero();
        return r.out();
    }

    /** How a finished command ended. */
    record Result(int exit, String out, String err) {
    }

    /** Runs {@code command} with {@code stdin} to its end, whatever its exit status. */
    static Result exec(String stdin, String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (java.io.IOException e) {
                return new byte[0];
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err.get(), StandardCharsets.UTF_8));
    }
}
