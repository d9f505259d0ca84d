#!/usr/bin/env bash
# Direct-to-broker vs through-the-encrypting-proxy throughput and proxy CPU cost.
#
# One KRaft broker JVM, one proxy JVM, Kafka's ProducerPerformance / ConsumerPerformance
# (1M records of 1 KiB, acks=all, linger.ms=5, batch.size=131072, one partition), a warm-up, then
# ROUNDS rounds in rotating order; medians. Prints:
#   ratio proxy/direct produce: X
#   ratio proxy/direct consume: Y
#   proxy cpu-s per 1M produce: A
#   proxy cpu-s per 1M consume: B
# Environment: RECORDS (default 1000000), ROUNDS (default 3).
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
