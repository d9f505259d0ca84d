package io.keyhold.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Direct-to-broker versus through-the-encrypting-proxy throughput, measured the way bench/proxy.sh
 * promises: one broker JVM, one proxy JVM, Kafka's own ProducerPerformance and ConsumerPerformance
 * as separate JVMs with identical settings, a warm-up, rounds in rotating order, medians, and the
 * proxy JVM's CPU time (utime+stime from /proc/PID/stat) around each proxied run.
 */
public final class ProxyBench {
    private static final long CLOCK_TICKS = Long.parseLong(System.getenv().getOrDefault("CLK_TCK", "100"));

    private final String javaCmd = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final String classpath = System.getProperty("java.class.path");
    private final int records;
    private final int rounds;

    private ProxyBench(int records, int rounds) {
        this.records = records;
        this.rounds = rounds;
    }

    public static void main(String[] args) throws Exception {
        int records = Integer.parseInt(System.getenv().getOrDefault("RECORDS", "1000000"));
        int rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "3"));
        new ProxyBench(records, rounds).run();
    }

    private void run() throws Exception {
        Process broker = start(List.of("-Xmx2g"), BenchBroker.class.getName());
        try {
            String bootstrap = awaitLine(broker, "BOOTSTRAP ");
            // PROXY_JVM_OPTS: extra JVM options for the proxy only (e.g. a JFR recording to profile it)
            List<String> proxyJvm = new ArrayList<>(List.of("-Xmx1g"));
            String extra = System.getenv("PROXY_JVM_OPTS");
            if (extra != null && !extra.isBlank()) {
                proxyJvm.addAll(List.of(extra.trim().split("\\s+")));
            }
            Process proxy = start(proxyJvm, BenchProxy.class.getName(), bootstrap);
            try {
                ProxyControl control = new ProxyControl(proxy);
                String proxied = control.awaitLine("PROXY ");
                measure(bootstrap, proxied, proxy.pid(), control);
            } finally {
                stop(proxy);
            }
        } finally {
            stop(broker);
        }
    }

    /** Talks to the {@link BenchProxy} over its standard streams: its address, then its KMS call count on request. */
    private static final class ProxyControl {
        private final BufferedReader out;
        private final java.io.Writer in;

        ProxyControl(Process proxy) {
            this.out = new BufferedReader(new InputStreamReader(proxy.getInputStream(), StandardCharsets.UTF_8));
            this.in = new java.io.OutputStreamWriter(proxy.getOutputStream(), StandardCharsets.UTF_8);
        }

        String awaitLine(String prefix) throws IOException {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith(prefix)) {
                    return line.substring(prefix.length()).trim();
                }
            }
            throw new IllegalStateException("the proxy exited before printing " + prefix);
        }

        /** Calls the proxy has made to its KMS so far (every one, as its audit trail records them). */
        long kmsCalls() throws IOException {
            in.write("kms\n");
            in.flush();
            return Long.parseLong(awaitLine("KMS "));
        }
    }

    private void measure(String direct, String proxied, long proxyPid, ProxyControl control) throws Exception {
        log("warm-up");
        // A full-size run each way, so the JIT is done with the hot paths; then a shorter one on a
        // second topic. Every round uses a new topic, and with it a new DEK: the first key change
        // takes a path the JIT compiled as never-taken, and the recompilation that follows belongs
        // in the warm-up, not in the first measured round.
        int warm = Math.max(100_000, records);
        for (String via : List.of(direct, proxied)) {
            for (int n : new int[] {warm, warm / 4}) {
                String t = createTopic(direct, "warmup-" + n + "-" + (via.equals(direct) ? "direct" : "proxy"));
                produce(via, t, n);
                consume(via, t, n);
                deleteTopic(direct, t);
            }
        }
        List<Double> directProduce = new ArrayList<>();
        List<Double> proxyProduce = new ArrayList<>();
        List<Double> directConsume = new ArrayList<>();
        List<Double> proxyConsume = new ArrayList<>();
        List<Double> cpuProduce = new ArrayList<>();
        List<Double> cpuConsume = new ArrayList<>();
        List<Double> loopProduce = new ArrayList<>();
        List<Double> loopConsume = new ArrayList<>();
        long[] machine0 = machineTicks();
        long kms0 = control.kmsCalls();
        for (int round = 0; round < rounds; round++) {
            boolean proxyFirst = round % 2 == 1; // rotate the order so neither side always runs on a warmer machine
            for (boolean viaProxy : proxyFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
                String via = viaProxy ? proxied : direct;
                String topic = createTopic(direct, "bench-" + round + (viaProxy ? "-proxy" : "-direct"));
                java.util.Map<String, Double> threads0 = threadCpu(proxyPid);
                long faults0 = minorFaults(proxyPid);
                double cpu0 = cpuSeconds(proxyPid);
                double p = produce(via, topic, records);
                java.util.Map<String, Double> threads1 = threadCpu(proxyPid);
                long faults1 = minorFaults(proxyPid);
                double cpu1 = cpuSeconds(proxyPid);
                double c = consume(via, topic, records);
                double cpu2 = cpuSeconds(proxyPid);
                java.util.Map<String, Double> threads2 = threadCpu(proxyPid);
                long faults2 = minorFaults(proxyPid);
                deleteTopic(direct, topic);
                if (viaProxy && System.getenv("PROXY_THREADS") != null) {
                    log("proxy CPU seconds by thread while producing: " + delta(threads0, threads1));
                    log("proxy CPU seconds by thread while consuming: " + delta(threads1, threads2));
                    log("proxy minor page faults: " + (faults1 - faults0) + " producing, " + (faults2 - faults1) + " consuming");
                }
                if (viaProxy) {
                    proxyProduce.add(p);
                    proxyConsume.add(c);
                    cpuProduce.add((cpu1 - cpu0) * 1_000_000.0 / records);
                    cpuConsume.add((cpu2 - cpu1) * 1_000_000.0 / records);
                    loopProduce.add(eventLoopSeconds(threads0, threads1) * 1_000_000.0 / records);
                    loopConsume.add(eventLoopSeconds(threads1, threads2) * 1_000_000.0 / records);
                } else {
                    directProduce.add(p);
                    directConsume.add(c);
                }
                log(String.format("round %d %s: produce %.0f rec/s, consume %.0f rec/s%s", round + 1,
                        viaProxy ? "proxy " : "direct", p, c, viaProxy
                                ? String.format(", proxy cpu-s %.2f produce / %.2f consume", cpu1 - cpu0, cpu2 - cpu1) : ""));
            }
        }
        long[] machine1 = machineTicks();
        long kms1 = control.kmsCalls();
        System.out.printf("direct produce median: %.0f records/s, proxy produce median: %.0f records/s%n", median(directProduce), median(proxyProduce));
        System.out.printf("direct consume median: %.0f records/s, proxy consume median: %.0f records/s%n", median(directConsume), median(proxyConsume));
        System.out.printf("ratio proxy/direct produce: %.2f%n", median(proxyProduce) / median(directProduce));
        System.out.printf("ratio proxy/direct consume: %.2f%n", median(proxyConsume) / median(directConsume));
        System.out.printf("proxy cpu-s per 1M produce: %.2f%n", median(cpuProduce));
        System.out.printf("proxy cpu-s per 1M consume: %.2f%n", median(cpuConsume));
        // The proxy's event loops alone (user + system): without the JIT compiler, which on a short
        // run still recompiles the hot path during the first rounds, and without GC threads.
        System.out.printf("proxy event-loop cpu-s per 1M: produce %.2f, consume %.2f%n", median(loopProduce), median(loopConsume));
        // Each round runs direct and proxied back to back, so a round's own ratio is less exposed to
        // the machine drifting between rounds (a shared VM's speed does); shown beside the medians.
        System.out.println("paired ratios, median of the rounds' own (range): produce " + paired(proxyProduce, directProduce)
                + ", consume " + paired(proxyConsume, directConsume));
        // Each measured record goes through the proxy twice (produced, then consumed): counted once here.
        System.out.printf("proxy KMS calls per 1M records: %.2f (%d during the rounds' %d records; %d since the proxy started)%n",
                (kms1 - kms0) * 1_000_000.0 / ((long) records * rounds), kms1 - kms0, (long) records * rounds, kms1);
        long busy = machine1[0] - machine0[0];
        long steal = machine1[1] - machine0[1];
        System.out.printf("machine: CPU time stolen by the hypervisor during the rounds: %.1f%% of busy time%n",
                busy + steal == 0 ? 0.0 : 100.0 * steal / (busy + steal));
    }

    /** ProducerPerformance: records/s from its summary line. */
    private double produce(String bootstrap, String topic, int n) throws Exception {
        List<String> out = tool("org.apache.kafka.tools.ProducerPerformance", "--topic", topic, "--num-records", String.valueOf(n),
                "--record-size", "1024", "--throughput", "-1", "--producer-props", "bootstrap.servers=" + bootstrap,
                "acks=all", "linger.ms=5", "batch.size=131072");
        for (int i = out.size() - 1; i >= 0; i--) {
            String line = out.get(i);
            if (line.contains(" records sent, ") && line.contains(" records/sec")) {
                String s = line.substring(line.indexOf(" records sent, ") + 15);
                return Double.parseDouble(s.substring(0, s.indexOf(' ')));
            }
        }
        throw new IllegalStateException("no summary from ProducerPerformance: " + out);
    }

    /** ConsumerPerformance: fetch.nMsg.sec (records/s while fetching, group join excluded). */
    private double consume(String bootstrap, String topic, int n) throws Exception {
        List<String> out = tool("org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bootstrap, "--topic", topic,
                "--messages", String.valueOf(n), "--timeout", "120000");
        String header = null;
        for (String line : out) {
            if (line.startsWith("start.time")) {
                header = line;
            } else if (header != null && line.matches("^\\d{4}-.*")) {
                List<String> names = Arrays.stream(header.split(",")).map(String::trim).toList();
                String[] values = line.split(",");
                double consumed = Double.parseDouble(values[names.indexOf("data.consumed.in.nMsg")].trim());
                if (consumed < n) {
                    throw new IllegalStateException("ConsumerPerformance read " + consumed + " of " + n + " records");
                }
                return Double.parseDouble(values[names.indexOf("fetch.nMsg.sec")].trim());
            }
        }
        throw new IllegalStateException("no summary from ConsumerPerformance: " + out);
    }

    private List<String> tool(String mainClass, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(javaCmd, "-Xmx1g", "-cp", classpath, mainClass));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException(mainClass + " failed: " + String.join("\n", lines));
        }
        return lines;
    }

    private static String createTopic(String bootstrap, String name) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(name, 1, (short) 1))).all().get();
            // ListOffsets is answered only once the partition's leader is serving.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (true) {
                try {
                    admin.listOffsets(java.util.Map.of(new org.apache.kafka.common.TopicPartition(name, 0),
                            org.apache.kafka.clients.admin.OffsetSpec.latest())).all().get();
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(100);
                }
            }
        }
        return name;
    }

    private static void deleteTopic(String bootstrap, String name) throws Exception {
        try (Admin admin = admin(bootstrap)) {
            admin.deleteTopics(Set.of(name)).all().get();
        }
    }

    private static Admin admin(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        return Admin.create(p);
    }

    /** Indices into {@link #statFields}: minflt (field 10 of proc(5)), utime (14), stime (15). */
    private static final int MINFLT = 7;
    private static final int UTIME = 11;
    private static final int STIME = 12;

    /**
     * The fields of a /proc stat file after "(comm) ", so that field 3 of proc(5) (state) is
     * index 0. The command name may hold spaces, hence the split after its closing parenthesis.
     */
    private static String[] statFields(Path stat) throws IOException {
        String s = Files.readString(stat);
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    /** utime + stime of process {@code pid}, in seconds. */
    private static double cpuSeconds(long pid) throws IOException {
        String[] f = statFields(Path.of("/proc/" + pid + "/stat"));
        return (Long.parseLong(f[UTIME]) + Long.parseLong(f[STIME])) / (double) CLOCK_TICKS;
    }

    private static String paired(List<Double> proxied, List<Double> direct) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < proxied.size(); i++) {
            ratios.add(proxied.get(i) / direct.get(i));
        }
        double[] sorted = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format("%.2f (%.2f-%.2f)", median(ratios), sorted[0], sorted[sorted.length - 1]);
    }

    /** The machine's busy CPU ticks (user, nice, system, irq, softirq) and stolen ticks, from /proc/stat. */
    private static long[] machineTicks() throws IOException {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6]) + Long.parseLong(f[7]);
        return new long[] {busy, Long.parseLong(f[8])};
    }

    /** Minor page faults of process {@code pid} so far. */
    private static long minorFaults(long pid) throws IOException {
        return Long.parseLong(statFields(Path.of("/proc/" + pid + "/stat"))[MINFLT]);
    }

    /**
     * CPU seconds the proxy's Netty threads ({@code keyhold-proxy-<cluster>-...}: the event loops and
     * the acceptor, which hardly counts) used between two snapshots.
     */
    private static double eventLoopSeconds(java.util.Map<String, Double> before, java.util.Map<String, Double> after) {
        double sum = 0;
        for (java.util.Map.Entry<String, Double> e : after.entrySet()) {
            if (e.getKey().startsWith("keyhold-proxy-")) {
                sum += e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            }
        }
        return sum;
    }

    private static String delta(java.util.Map<String, Double> before, java.util.Map<String, Double> after) {
        StringBuilder sb = new StringBuilder();
        after.forEach((name, cpu) -> {
            double d = cpu - before.getOrDefault(name, 0.0);
            if (d >= 0.05) {
                sb.append(name).append('=').append(String.format("%.2f", d)).append(' ');
            }
        });
        return sb.toString();
    }

    /**
     * CPU seconds of the proxy's threads by name (numbers folded), user and system time apart
     * (names ending in ":sys"), to see where its time goes.
     */
    private static java.util.Map<String, Double> threadCpu(long pid) throws IOException {
        java.util.Map<String, Double> byName = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "#");
                    String[] f = statFields(t.resolve("stat"));
                    byName.merge(name, Long.parseLong(f[UTIME]) / (double) CLOCK_TICKS, Double::sum);
                    byName.merge(name + ":sys", Long.parseLong(f[STIME]) / (double) CLOCK_TICKS, Double::sum);
                } catch (IOException e) {
                    // thread ended
                }
            }
        }
        return byName;
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private Process start(List<String> jvmOptions, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(javaCmd));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", classpath, mainClass));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    private static String awaitLine(Process p, String prefix) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line.substring(prefix.length()).trim();
            }
        }
        throw new IllegalStateException("process exited before printing " + prefix);
    }

    private static void stop(Process p) throws InterruptedException {
        try {
            p.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    private static void log(String s) {
        System.err.println("[bench] " + s);
    }
}
