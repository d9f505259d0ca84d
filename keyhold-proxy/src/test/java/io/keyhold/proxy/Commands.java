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
        Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(command[0] + " failed: " + err).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }
}
