package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** kcat, a non-Java Kafka client (Debian package kcat), producing and consuming lines through a cluster's endpoint. */
final class Kcat {
    private Kcat() {
    }

    static void produce(String bootstrap, String topic, List<String> lines) throws Exception {
        Result r = run(String.join("\n", lines) + "\n", "-b", bootstrap, "-P", "-t", topic, "-X", "message.timeout.ms=20000");
        assertThat(r.code).as("kcat produce: " + r.err).isZero();
    }

    static boolean produceFails(String bootstrap, String topic, String line) throws Exception {
        Result r = run(line + "\n", "-b", bootstrap, "-P", "-t", topic, "-X", "message.timeout.ms=5000");
        return r.code != 0 || r.err.contains("ERROR") || r.err.contains("Authorization");
    }

    static List<String> consume(String bootstrap, String topic, int count) throws Exception {
        Result r = run("", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-c", Integer.toString(count), "-e", "-q",
                "-X", "fetch.wait.max.ms=100");
        List<String> out = new ArrayList<>();
        for (String l : r.out.split("\n")) {
            if (!l.isEmpty()) {
                out.add(l);
            }
        }
        return out;
    }

    private record Result(int code, String out, String err) {
    }

    private static Result run(String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("kcat");
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            throw new AssertionError("kcat is not installed: install the Debian package kcat (see README)", e);
        }
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kcat did not finish: " + cmd);
        }
        return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
