#!/usr/bin/env bash
# Revocation and restoration: how long after a cluster's key is disabled in its KMS until the cluster
# is LOCKED (produce and fetch refused, DEKs wiped), and after the key is enabled again until it is
# PROVISIONED, over TRIALS trials for each health interval in INTERVALS. Prints each trial, then the
# max and median per interval, in seconds from the KMS call. Goal: LOCKED within interval + 5 s in
# every trial.
# One embedded cluster on a key of the server's local KMS (disable/enable through the local KMS API,
# as `keyhold kms key disable` does). Uses the ./keyhold launcher (which builds keyhold-dist when
# sources changed), kcat and curl (Debian packages) and python3.
# Environment: TRIALS (default 20), INTERVALS (health intervals, default "30s 5s"), SERVER_LOG (copy
# the server's output there at the end), KEYHOLD_JAVA_OPTS (passed on to the launcher).
set -euo pipefail
cd "$(dirname "$0")/.."

TRIALS="${TRIALS:-20}"
INTERVALS="${INTERVALS:-30s 5s}"
KEYHOLD_CMD="${KEYHOLD_CMD:-./keyhold}"
for tool in kcat curl python3; do
  command -v "$tool" >/dev/null || { echo "bench: please install $tool" >&2; exit 1; }
done
"$KEYHOLD_CMD" --help >/dev/null # builds the distribution if needed, so that no trial includes a build

work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
key="BENCHLOCK0000001"
secret="$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)"

cleanup() {
  if [ -n "${SERVER_LOG:-}" ] && [ -f "$work/server.log" ]; then cp "$work/server.log" "$SERVER_LOG"; fi
  stop_server
  rm -rf "$work"
}
stop_server() {
  if [ -n "${server_pid:-}" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=
}
trap cleanup EXIT

for interval in $INTERVALS; do
  port="$(free_port)"
  cluster_ports="$(free_port)"
  echo "=== health interval $interval" >>"$work/server.log"
  KEYHOLD_BOOTSTRAP_API_KEY="$key" KEYHOLD_BOOTSTRAP_API_SECRET="$secret" \
  KEYHOLD_LOCAL_KMS_PASSPHRASE="lock bench passphrase" \
  KEYHOLD_CLUSTER_PORTS="$cluster_ports-$((cluster_ports + 20))" \
  KEYHOLD_HEALTH_INTERVAL="$interval" \
    "$KEYHOLD_CMD" server --data-dir "$work/data-$interval" --http-port "$port" >>"$work/server.log" 2>&1 &
  server_pid=$!
  echo "bench: health interval $interval, $TRIALS trial(s)" >&2
  # The trials run in Python: a poll is one HTTP request, not a process start, so the timings are not
  # rounded up by the tooling.
  python3 - "http://127.0.0.1:$port" "$key" "$secret" "$interval" "$TRIALS" "$work/results" <<'EOF' ||
import base64, json, random, subprocess, sys, time, urllib.request, urllib.error
url, key, secret, interval, trials, results = sys.argv[1:]
auth = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()

def call(method, path, body=None):
    req = urllib.request.Request(url + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:  # the first local KMS call derives its key: seconds on a busy machine
        return json.loads(r.read() or b"{}")

def wait_for(what, check, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            v = check()
            if v:
                return v
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.05)
    sys.exit(f"bench: {what} did not happen within {timeout} s")

wait_for("the server start", lambda: urllib.request.urlopen(url + "/healthz", timeout=2).status == 200)
env = call("GET", "/org/v2/environments")["data"][0]["id"]
call("POST", "/keyhold/v1/local-kms/keys", {"name": "lock-bench"})
byok = call("POST", "/byok/v1/keys", {"key": {"kind": "LocalKey", "key_id": "lock-bench"}})["id"]
wait_for("key validation", lambda: call("GET", f"/byok/v1/keys/{byok}")["validation"]["phase"] == "VALID")
cluster = call("POST", "/cmk/v2/clusters", {"spec": {"display_name": "lock-bench", "availability": "SINGLE_ZONE",
    "cloud": "LOCAL", "region": "local", "config": {"kind": "Dedicated", "cku": 1}, "environment": {"id": env},
    "byok": {"id": byok}}})["id"]
phase = lambda: call("GET", f"/cmk/v2/clusters/{cluster}?environment={env}")["status"]["phase"]
wait_for("provisioning", lambda: phase() == "PROVISIONED")
endpoint = call("GET", f"/cmk/v2/clusters/{cluster}?environment={env}")["spec"]["kafka_bootstrap_endpoint"]
def produce():
    return subprocess.run(["kcat", "-b", endpoint, "-P", "-t", "lock-probe", "-q", "-X", "message.timeout.ms=5000"],
                          input=b"lock probe\n", capture_output=True, timeout=30).returncode == 0
wait_for("a first produce", produce)

seconds = float(interval[:-2]) / 1000 if interval.endswith("ms") else float(interval[:-1])
rnd = random.Random(7)  # the same schedule on every run, spread over the interval
with open(results, "a") as out:
    for trial in range(1, int(trials) + 1):
        # a real revocation (or restoration) comes at any point of the monitor's interval, not just after a check
        time.sleep(rnd.uniform(0, seconds))
        t0 = time.time()
        call("POST", "/keyhold/v1/local-kms/keys/lock-bench/disable", {})
        wait_for("LOCKED", lambda: phase() == "LOCKED")
        locked = time.time() - t0
        if produce():
            sys.exit("bench: a produce through a LOCKED cluster was acknowledged")
        time.sleep(rnd.uniform(0, seconds))
        t0 = time.time()
        call("POST", "/keyhold/v1/local-kms/keys/lock-bench/enable", {})
        wait_for("PROVISIONED", lambda: phase() == "PROVISIONED")
        restored = time.time() - t0
        line = "%-9s %-6d %8.2f %8.2f" % (interval, trial, locked, restored)
        print(line, flush=True)
        out.write(line + "\n")
EOF
    { echo "bench: trials at interval $interval failed" >&2; tail -50 "$work/server.log" >&2; exit 1; }
  stop_server
done

python3 - "$work/results" <<'EOF2'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for interval in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == interval]
    locked = [float(r[2]) for r in mine]
    restored = [float(r[3]) for r in mine]
    goal = (float(interval[:-2]) / 1000 if interval.endswith("ms") else float(interval[:-1])) + 5
    print("%-9s %6d max %6.2f median %6.2f | max %6.2f median %6.2f | locked within interval + 5 s: %d/%d" % (
        interval, len(mine), max(locked), statistics.median(locked), max(restored), statistics.median(restored),
        sum(1 for v in locked if v <= goal), len(mine)))
EOF2
