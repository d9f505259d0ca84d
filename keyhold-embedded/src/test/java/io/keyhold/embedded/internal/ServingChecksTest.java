package io.keyhold.embedded.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Readiness checks stay within their deadline whatever an endpoint does, and do not pile up probes. */
class ServingChecksTest {

    @Test
    void anEndpointThatNeverAnswersDoesNotServeHoldsNoCheckPastItsDeadlineAndIsProbedOnceAtATime() throws Exception {
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept()); // accepts, never answers
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, InetSocketAddress> endpoints = Map.of("lkc-silent", new InetSocketAddress(silent.getInetAddress(),
                    silent.getLocalPort()));
            try (ServingChecks checks = new ServingChecks(new EndpointProbe(5_000), Duration.ofMillis(300))) {
                long start = System.nanoTime();
                assertThat(checks.notServing(endpoints)).containsExactly("lkc-silent");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
                // Its probe still waits for an answer: the next check waits for that one, it does not connect again.
                assertThat(checks.notServing(endpoints)).containsExactly("lkc-silent");
                assertThat(accepted).hasSize(1);
            } finally {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }
}
