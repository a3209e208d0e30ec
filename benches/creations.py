#!/usr/bin/env python3
"""Token creations over the API for scripts/bench: registration + exchange from concurrent clients.

Usage: creations.py BASE_URL[,BASE_URL…] ADMIN_TOKEN_FILE COUNT CLIENTS PREFIX
With several base URLs (instances of one database), creation i registers on instance i and exchanges on
the next one.
Prints one line: BENCH {json} with creations/s, errors by status, "database is locked" answers, and
how many of the created names the API lists afterwards.
"""
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def main():
    base, admin_file, count, clients, prefix = sys.argv[1:6]
    count, clients = int(count), int(clients)
    urls = [urlsplit(b) for b in base.split(",")]
    with open(admin_file) as f:
        admin = f.read().strip()
    lock = threading.Lock()
    state = {"next": 0, "created": 0, "errors": {}, "locked": 0, "exceptions": 0}

    def call(conn, path, body, auth):
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Bearer " + auth
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        res = conn.getresponse()
        return res.status, res.read()

    def note_error(status, payload):
        with lock:
            state["errors"][status] = state["errors"].get(status, 0) + 1
            if b"locked" in payload or b"busy" in payload:
                state["locked"] += 1

    def connect(url):
        return http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def client():
        conns = [connect(url) for url in urls]
        while True:
            with lock:
                i = state["next"]
                if i >= count:
                    break
                state["next"] += 1
            first, second = i % len(urls), (i + 1) % len(urls)
            try:
                status, payload = call(conns[first], "/api/v1/register-tokens", {
                    "client_name": f"{prefix}{i:05d}", "access_ttl": "1h",
                    "refresh_ttl": "30d", "token_type": "USER"}, admin)
                if status != 201:
                    note_error(status, payload)
                    continue
                register = json.loads(payload)["register_token"]
                status, payload = call(conns[second], "/api/v1/refresh-tokens",
                                       {"register_token": register}, None)
                if status != 201:
                    note_error(status, payload)
                    continue
                with lock:
                    state["created"] += 1
            except Exception:  # a dropped connection counts as an error; reconnect
                with lock:
                    state["exceptions"] += 1
                for conn in conns:
                    conn.close()
                conns = [connect(url) for url in urls]
        for conn in conns:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started

    conn = connect(urls[-1])
    conn.request("GET", "/api/v1/tokens", headers={"Authorization": "Bearer " + admin})
    res = conn.getresponse()
    listed = json.loads(res.read()) if res.status == 200 else {"tokens": []}
    present = sum(1 for t in listed["tokens"] if t["name"].startswith(prefix))
    errors = sum(state["errors"].values()) + state["exceptions"]
    print("BENCH " + json.dumps({
        "attempted": count, "created": state["created"], "seconds": round(elapsed, 3),
        "per_second": round(state["created"] / elapsed, 1) if elapsed else 0,
        "errors": errors, "errors_by_status": {str(k): v for k, v in state["errors"].items()},
        "exceptions": state["exceptions"], "locked": state["locked"], "present": present,
    }))


if __name__ == "__main__":
    main()
