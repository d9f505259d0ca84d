#!/usr/bin/env bash
# Bytes on disk per record through the proxy against plaintext, for the KEK references and wrapped-DEK
# sizes of each KMS (DEKs from the KMS: each record carries the KEK reference and EDEK), and with cluster
# keys (each record names its cluster key and DEK id: the same under every KMS).
# Exact, not timed: uncompressed batches are stored as the proxy writes them.
set -euo pipefail
cd "$(dirname "$0")/.."
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -B -q -Pbench -pl keyhold-bench -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
java -cp "keyhold-bench/target/classes:$(cat "$cp_file")" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.keyhold.bench.RecordOverhead
