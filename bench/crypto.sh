#!/usr/bin/env bash
# Keyhold envelope crypto vs raw JCA AES-256-GCM, measured in the same JMH run.
# Prints "ratio keyhold/raw-jca <op> <size>: X" (time per operation; 1.00 = no overhead).
# Usage: bench/crypto.sh [JMH options replacing the defaults "-f 2 -wi 3 -w 2s -i 5 -r 2s"]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
./mvnw -B -q -Pbench -DskipTests -pl keyhold-bench -am package
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
opts=("$@")
if [ ${#opts[@]} -eq 0 ]; then opts=(-f 2 -wi 3 -w 2s -i 5 -r 2s); fi
java -jar keyhold-bench/target/benchmarks.jar EnvelopeBench "${opts[@]}" -rf json -rff "$out/result.json" >"$out/jmh.log"
grep -E "^EnvelopeBench|^Benchmark" "$out/jmh.log" || true
python3 - "$out/result.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
score = {}
for r in results:
    name = r["benchmark"].rsplit(".", 1)[1]
    score[(name, int(r["params"]["size"]))] = r["primaryMetric"]["score"]
def label(n):
    return "%dKiB" % (n // 1024)
for op in ("encrypt", "decrypt"):
    for size in sorted({s for (_, s) in score}):
        k = score[("keyhold" + op.capitalize(), size)]
        r = score[("rawJca" + op.capitalize(), size)]
        print("ratio keyhold/raw-jca %s %s: %.2f  (keyhold %.0f ns/op, raw %.0f ns/op)" % (op, label(size), k / r, k, r))
PY
