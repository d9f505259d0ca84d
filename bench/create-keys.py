"""Creates N AwsKey keys through POST /byok/v1/keys with a few keep-alive connections in parallel."""
import http.client
import json
import sys
import threading
from urllib.parse import urlparse

url, auth, total, workers = sys.argv[1], sys.argv[2], int(sys.argv[3]), 8
target = urlparse(url)
failures = []


def worker(first, step):
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    for i in range(first, total, step):
        name = f"bench-{i}"
        body = json.dumps({"display_name": name,
                           "key": {"kind": "AwsKey", "key_arn": f"arn:aws:kms:us-west-2:111122223333:key/{name}"}})
        conn.request("POST", "/byok/v1/keys", body, {"Authorization": auth, "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 201:
            failures.append(response.status)


threads = [threading.Thread(target=worker, args=(w, workers)) for w in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
if failures:
    sys.exit(f"{len(failures)} requests failed, statuses {sorted(set(failures))}")
