package io.keyhold.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** kcat, a non-Java Kafka client (librdkafka; Debian package {@code kcat}), as the end-to-end tests run it. */
final class Kcat {
    private Kcat() {
    }

    /** Produces one record per line; fails the test if kcat does. */
    static void produce(String bootstrap, String topic, List<String> lines) throws Exception {
        produce(bootstrap, topic, lines, List.of());
    }

    /** As {@link #produce(String, String, List)} with more kcat options ({@code -X security.protocol=ssl}, ...). */
    static void produce(String bootstrap, String topic, List<String> lines, List<String> options) throws Exception {
        List<String> args = new ArrayList<>(List.of("-b", bootstrap, "-P", "-t", topic, "-X", "message.timeout.ms=20000"));
        args.addAll(options);
        Result r = run(String.join("\n", lines) + "\n", args.toArray(String[]::new));
        assertThat(r.code).as("kcat produce: " + r.err).isZero();
    }

    /** Whether producing {@code line} fails (a locked cluster refuses it). */
    static boolean produceFails(String bootstrap, String topic, String line) throws Exception {
        Result r = run(line + "\n", "-b", bootstrap, "-P", "-t", topic, "-X", "message.timeout.ms=5000");
        return r.code != 0 || r.err.contains("ERROR") || r.err.contains("Authorization");
    }

    /** Up to {@code count} values from the beginning of {@code topic}. */
    static List<String> consume(String bootstrap, String topic, int count) throws Exception {
        return consume(bootstrap, topic, count, List.of());
    }

    static List<String> consume(String bootstrap, String topic, int count, List<String> options) throws Exception {
        List<String> args = new ArrayList<>(List.of("-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-c", Integer.toString(count),
                "-e", "-q", "-X", "fetch.wait.max.ms=100"));
        args.addAll(options);
        Result r = run("", args.toArray(String[]::new));
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
