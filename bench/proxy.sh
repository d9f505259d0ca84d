#!/usr/bin/env bash
# Direct-to-broker vs through-the-encrypting-proxy throughput and proxy CPU cost.
#
# One KRaft broker JVM, one proxy JVM (configured as a standalone proxy is by default: DEKs derived
# from cluster keys, wrapped by a local KMS), Kafka's ProducerPerformance / ConsumerPerformance
# (1M records of 1 KiB, acks=all, linger.ms=5, batch.size=131072, one partition), a warm-up, then
# ROUNDS rounds in rotating order; medians. Prints:
#   ratio proxy/direct produce: X
#   ratio proxy/direct consume: Y
#   proxy cpu-s per 1M produce: A
#   proxy cpu-s per 1M consume: B
#   proxy event-loop cpu-s per 1M: produce A', consume B' (its event loop threads only: no JIT, no GC)
#   proxy KMS calls per 1M records: K (counted by the proxy's AuditedKms during the rounds)
# then each round's own proxy/direct ratio (median and range: direct and proxied run back to back,
# so these move less when a shared machine's speed drifts between rounds) and the share of CPU
# time the hypervisor took during the rounds, to judge how noisy the run was.
# Environment: RECORDS (default 1000000), ROUNDS (default 3); PROXY_THREADS=1 also prints the
# proxy's CPU by thread and its minor page faults per phase; PROXY_JVM_OPTS adds proxy JVM options.
set -euo pipefail
cd "$(dirname "$0")/.."

cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
# In one reactor run, so our own modules resolve to their freshly built jars (nothing is installed).
./mvnw -B -q -Pbench -pl keyhold-bench -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
classpath="keyhold-bench/target/classes:$(cat "$cp_file")"
CLK_TCK=$(getconf CLK_TCK) java -cp "$classpath" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.keyhold.bench.ProxyBench
