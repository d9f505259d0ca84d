#!/usr/bin/env bash
# Bytes on disk per record through the proxy against plaintext, for the KEK references and wrapped-DEK
# sizes of each KMS (record format v1 carries the whole envelope header in every record).
# Exact, not timed: uncompressed batches are stored as the proxy writes them.
set -euo pipefail
cd "$(dirname "$0")/.."
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -B -q -Pbench -pl keyhold-bench -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
java -cp "keyhold-bench/target/classes:$(cat "$cp_file")" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn io.keyhold.bench.RecordOverhead
