#!/usr/bin/env bash
# Restart-to-serving: how long after `keyhold server` is (re)started, following a kill -9, until
#   healthz   GET /healthz answers 200 (the control plane is up)
#   port      every cluster's endpoint accepts TCP connections
#   readyz    GET /readyz answers 200 (every provisioned cluster serves)
#   produce   a kcat produce through every cluster's endpoint has been acknowledged
# with CLUSTERS embedded clusters (automatic encryption), over ROUNDS restarts; prints each round and
# the medians, in seconds from the exec of the server process. Uses the ./keyhold launcher (which builds
# keyhold-dist when sources changed), kcat and curl (Debian packages) and python3.
# Environment: ROUNDS (default 5), CLUSTERS (default 1), SERVER_LOG (copy the server's output, all
# rounds, there at the end), KEYHOLD_JAVA_OPTS (passed on to the launcher), KEYHOLD_CMD (the
# launcher to run, default ./keyhold; point it at a script that runs another build to compare: one
# without /readyz shows n/a there).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-5}"
CLUSTERS="${CLUSTERS:-1}"
KEYHOLD_CMD="${KEYHOLD_CMD:-./keyhold}"
for tool in kcat curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: please install $tool" >&2; exit 1; }
done
"$KEYHOLD_CMD" --help >/dev/null # builds the distribution if needed, so that no round includes a build

work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
port="$(free_port)"
cluster_ports="$(free_port)"
url="http://127.0.0.1:$port"
key="BENCHRESTART0001"
secret="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)"
auth="Authorization: Basic $(printf '%s:%s' "$key" "$secret" | base64 -w0)"

cleanup() {
  if [ -n "${SERVER_LOG:-}" ] && [ -f "$work/server.log" ]; then cp "$work/server.log" "$SERVER_LOG"; fi
  if [ -n "${probes:-}" ]; then kill "${probes[@]}" 2>/dev/null || true; fi
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

start_server() {
  KEYHOLD_BOOTSTRAP_API_KEY="$key" KEYHOLD_BOOTSTRAP_API_SECRET="$secret" \
  KEYHOLD_LOCAL_KMS_PASSPHRASE="restart bench passphrase" \
  KEYHOLD_CLUSTER_PORTS="$cluster_ports-$((cluster_ports + 20))" \
    "$KEYHOLD_CMD" server --data-dir "$work/data" --http-port "$port" >>"$work/server.log" 2>&1 &
  server_pid=$!
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

produce() { # endpoint
  echo "restart probe" | kcat -b "$1" -P -t restart-probe -q -X message.timeout.ms=2000 \
    -X socket.connection.setup.timeout.ms=1000 >/dev/null 2>&1
}

echo "bench: first start, creating $CLUSTERS cluster(s)" >&2
start_server
for _ in $(seq 1 240); do curl -fs "$url/healthz" >/dev/null 2>&1 && break; sleep 0.25; done
env_id=$(curl -fs -H "$auth" "$url/org/v2/environments" | json 'd["data"][0]["id"]')
endpoints=()
for n in $(seq 1 "$CLUSTERS"); do
  cluster=$(curl -fs -H "$auth" -H 'Content-Type: application/json' -X POST "$url/cmk/v2/clusters" -d '{"spec":{
    "display_name":"restart-bench-'"$n"'","availability":"SINGLE_ZONE","cloud":"LOCAL","region":"local",
    "config":{"kind":"Dedicated","cku":1},"environment":{"id":"'"$env_id"'"}}}' | json 'd["id"]')
  for _ in $(seq 1 240); do
    phase=$(curl -fs -H "$auth" "$url/cmk/v2/clusters/$cluster?environment=$env_id" | json 'd["status"]["phase"]')
    [ "$phase" = PROVISIONED ] && break
    sleep 0.25
  done
  endpoint=$(curl -fs -H "$auth" "$url/cmk/v2/clusters/$cluster?environment=$env_id" | json 'd["spec"]["kafka_bootstrap_endpoint"]')
  produce "$endpoint" || { echo "bench: cannot produce to $endpoint" >&2; tail -50 "$work/server.log" >&2; exit 1; }
  endpoints+=("$endpoint")
done

# Each probe polls on its own, so a slow one (kcat waiting for a broker) does not delay the others.
probe() { # name t0 command...
  local name="$1" t0="$2"
  shift 2
  until "$@"; do sleep 0.05; done
  python3 -c "import time; print('%.2f' % (time.time() - $t0))" >"$work/$name"
}
ports_open() {
  local e
  for e in "${endpoints[@]}"; do (exec 3<>"/dev/tcp/127.0.0.1/${e##*:}") 2>/dev/null || return 1; done
}
produce_everywhere() { # each endpoint once; remembers which have been acknowledged
  local e
  for e in "${endpoints[@]}"; do
    [ -f "$work/produced-${e##*:}" ] && continue
    produce "$e" || return 1
    touch "$work/produced-${e##*:}"
  done
}
readyz() { # 200: ready; 401 or 404 (a build without it): give up with n/a
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")
  [ "$code" = 200 ] && return 0
  case "$code" in 401 | 404) echo n/a >"$work/readyz.na"; return 0 ;; esac
  return 1
}

printf '%-6s %8s %8s %8s %8s\n' round healthz port readyz produce
for round in $(seq 1 "$ROUNDS"); do
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  rm -f "$work"/{healthz,port,readyz,readyz.na,produce} "$work"/produced-*
  t0=$(python3 -c 'import time; print(time.time())')
  echo "=== round $round, started at $t0" >>"$work/server.log"
  start_server
  probes=()
  probe healthz "$t0" curl -fs -o /dev/null "$url/healthz" & probes+=($!)
  probe port "$t0" ports_open & probes+=($!)
  probe readyz "$t0" readyz & probes+=($!)
  probe produce "$t0" produce_everywhere & probes+=($!)
  timeout 120 bash -c "while [ ! -f '$work/produce' ] || [ ! -f '$work/readyz' ] || [ ! -f '$work/healthz' ] \
      || [ ! -f '$work/port' ]; do sleep 0.1; done" \
    || { echo "bench: round $round did not come back within 120 s" >&2; tail -50 "$work/server.log" >&2; exit 1; }
  wait "${probes[@]}"
  if [ -f "$work/readyz.na" ]; then mv "$work/readyz.na" "$work/readyz"; fi
  printf '%-6s %8s %8s %8s %8s\n' "$round" "$(cat "$work/healthz")" "$(cat "$work/port")" "$(cat "$work/readyz")" \
    "$(cat "$work/produce")" | tee -a "$work/rounds"
done
python3 - "$work/rounds" <<'EOF2'
import statistics, sys
rows = [line.split()[1:] for line in open(sys.argv[1])]
def median(i):
    values = [float(r[i]) for r in rows if r[i] != "n/a"]
    return " %8.2f" % statistics.median(values) if values else " %8s" % "n/a"
print("%-6s" % "median" + "".join(median(i) for i in range(4)))
EOF2
