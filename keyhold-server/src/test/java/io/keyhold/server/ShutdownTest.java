package io.keyhold.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.server.support.Api;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `keyhold server` as a real process: it serves, and SIGTERM stops it cleanly with its data intact. */
class ShutdownTest {
    private static final Pattern LISTENING = Pattern.compile("Keyhold control plane listening on (http://\\S+) \\(data");

    @TempDir
    Path tmp;

    /** A server process and everything it printed so far (read on a thread, as destroy() closes the pipe). */
    private static final class Server {
        final Process process;
        final StringBuffer output = new StringBuffer();

        Server(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        output.append(line).append('\n');
                    }
                } catch (IOException e) {
                    // the pipe closes when the process is destroyed
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        String awaitUrl() throws InterruptedException {
            for (int i = 0; i < 600; i++) {
                Matcher m = LISTENING.matcher(output);
                if (m.find()) {
                    return m.group(1);
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(50);
            }
            throw new AssertionError("the server did not start:\n" + output);
        }
    }

    @Test
    void sigtermStopsTheServerCleanly() throws Exception {
        Server first = start();
        try {
            Api api = new Api(first.awaitUrl(), "SHUTKEY", "shutdown-secret");
            assertThat(api.anonymous().get("/healthz").status()).isEqualTo(200);
            assertThat(api.post("/org/v2/environments", "{\"display_name\":\"survives\"}").status()).isEqualTo(201);
            ProcessHandle handle = first.process.toHandle();
            handle.destroy(); // SIGTERM, without closing our end of the pipe
            assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(200);
            assertThat(first.output.toString()).contains("Keyhold control plane stopped");
        } finally {
            first.process.destroyForcibly();
        }

        // the database was closed properly: a new process finds the data
        Server second = start();
        try {
            String body = new Api(second.awaitUrl(), "SHUTKEY", "shutdown-secret").get("/org/v2/environments").raw().body();
            assertThat(body).contains("survives");
        } finally {
            second.process.destroy();
            second.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private Server start() throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.keyhold.server.ServerCommand",
                "--data-dir", tmp.resolve("data").toString(), "--http-port", "0").redirectErrorStream(true);
        pb.environment().put("KEYHOLD_BOOTSTRAP_API_KEY", "SHUTKEY");
        pb.environment().put("KEYHOLD_BOOTSTRAP_API_SECRET", "shutdown-secret");
        return new Server(pb.start());
    }
}
