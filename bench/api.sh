#!/usr/bin/env bash
# Control-plane API benchmark: requests/second and p99 latency of
#   GET /byok/v1/keys/{id}            (goal on a 2-core machine: >= 2,000 req/s, p99 < 20 ms)
#   GET /byok/v1/keys?page_size=100
# with 10,000 keys stored, on the embedded H2 database. Installs wrk and curl (Debian) if missing.
# Needs python3 (to read JSON answers).
# Options (environment): KEYS (10000), DURATION (15s), CONNECTIONS (4), THREADS (2).
# The single-key read is also measured with 4x the connections: on 2 shared cores, where wrk
# itself needs one, more connections raise throughput a little and the tail latency a lot.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS="${KEYS:-10000}"
DURATION="${DURATION:-15s}"
CONNECTIONS="${CONNECTIONS:-4}"
THREADS="${THREADS:-2}"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "bench: please install ${need[*]} (Debian packages)" >&2; exit 1; fi
  echo "bench: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "bench: building keyhold-server" >&2
./mvnw -B -q -DskipTests -pl keyhold-server -am package dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime >&2
cp="keyhold-server/target/classes:$(cat keyhold-server/target/bench-classpath.txt)"

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
key="BENCHBOOTSTRAP01"
secret="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 48)"
url="http://127.0.0.1:$port"
auth="Authorization: Basic $(printf '%s:%s' "$key" "$secret" | base64 -w0)"

cleanup() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench: starting the server on $url" >&2
KEYHOLD_BOOTSTRAP_API_KEY="$key" KEYHOLD_BOOTSTRAP_API_SECRET="$secret" \
KEYHOLD_MAX_KEYS_PER_ORG=$((KEYS + 100)) KEYHOLD_RATE_LIMIT=1000000000 \
  java -Xms512m -Xmx1g -cp "$cp" io.keyhold.server.ServerCommand --data-dir "$work/data" --http-port "$port" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -fs "$url/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fs "$url/healthz" >/dev/null || { echo "bench: server did not start" >&2; cat "$work/server.log" >&2; exit 1; }

echo "bench: storing $KEYS keys" >&2
start=$(date +%s)
python3 bench/create-keys.py "$url" "${auth#Authorization: }" "$KEYS"
total=$(curl -fs -H "$auth" "$url/byok/v1/keys?page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["total_size"])')
echo "bench: $total keys stored in $(( $(date +%s) - start )) s" >&2
[ "$total" -ge "$KEYS" ] || { echo "bench: expected $KEYS keys, found $total" >&2; grep -m5 -B2 -A20 ERROR "$work/server.log" >&2; exit 1; }
# Let the background validator finish so that it does not compete with the measurement.
for _ in $(seq 1 300); do
  left=$(curl -fs -H "$auth" "$url/byok/v1/keys?validation_phase=INITIALIZING&page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["total_size"])')
  [ "$left" = 0 ] && break
  sleep 1
done

id=$(curl -fs -H "$auth" "$url/byok/v1/keys?page_size=1&display_name=bench-5000" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')

measure() { # name url [connections]
  local c="${3:-$CONNECTIONS}"
  wrk -t"$THREADS" -c"$c" -d5s -H "$auth" "$2" >/dev/null   # warm-up (JIT, caches)
  out=$(wrk -t"$THREADS" -c"$c" -d"$DURATION" --latency -H "$auth" "$2")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  printf '%-46s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$1 (c=$c)" "$rps" "$p50" "$p99" "${errors:-0}"
}

echo
echo "Keyhold control plane, $total keys, H2 embedded, $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION"
measure "GET /byok/v1/keys/{id}" "$url/byok/v1/keys/$id"
measure "GET /byok/v1/keys/{id}" "$url/byok/v1/keys/$id" $((CONNECTIONS * 4))
measure "GET /byok/v1/keys?page_size=100" "$url/byok/v1/keys?page_size=100"
last=$(curl -fs -H "$auth" "$url/byok/v1/keys?page_size=100" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["last"])')
measure "GET metadata.last of ?page_size=100" "$last"
