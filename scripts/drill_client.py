#!/usr/bin/env python3
"""Load client for the fault drills (standard library only).

  drill_client.py write URL SECONDS IDS_FILE [THREADS]
      registers a user, then posts cards from THREADS threads for SECONDS;
      every id answered with 201 is appended (and flushed) to IDS_FILE.
      Stops early, quietly, when the server goes away.
  drill_client.py verify URL IDS_FILE
      reads every recorded id back; prints how many are missing.
  drill_client.py probe URL SECONDS OUT_FILE
      for SECONDS, every 100 ms: GET /readyz and GET /api/cards/?page_size=1,
      recording (time, path, status, latency) as CSV lines.
"""
import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid


def call(method, url, body=None, token=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw or b"null")
        except ValueError:
            return e.code, raw.decode(errors="replace")


def register(url):
    name = "drill_" + uuid.uuid4().hex[:10]
    pw = "drill-password-" + uuid.uuid4().hex[:6]
    status, body = call("POST", url + "/api/auth/register/", {
        "username": name, "email": name + "@example.com",
        "password1": pw, "password2": pw})
    assert status == 201, (status, body)
    return body["access"]


def write(url, seconds, ids_file, threads=4):
    token = register(url)
    deadline = time.time() + float(seconds)
    out = open(ids_file, "a")
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0}

    def worker(n):
        i = 0
        while time.time() < deadline:
            i += 1
            try:
                status, body = call("POST", url + "/api/cards/",
                                    {"title": f"drill {n}-{i}", "body": "x" * 200}, token)
            except Exception:
                return  # the server went away
            with lock:
                if status == 201:
                    out.write(body["id"] + "\n")
                    out.flush()
                    counts["ok"] += 1
                else:
                    counts["failed"] += 1

    ts = [threading.Thread(target=worker, args=(n,)) for n in range(int(threads))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(f"acknowledged writes: {counts['ok']}, refused: {counts['failed']}")


def verify(url, ids_file):
    ids = [line.strip() for line in open(ids_file) if line.strip()]
    missing = []
    for card_id in ids:
        status, _ = call("GET", f"{url}/api/cards/{card_id}/")
        if status != 200:
            missing.append((card_id, status))
    print(f"acknowledged ids: {len(ids)}, readable: {len(ids) - len(missing)}, missing: {len(missing)}")
    for card_id, status in missing[:10]:
        print(f"  missing {card_id} -> {status}")
    return 1 if missing else 0


def probe(url, seconds, out_file):
    deadline = time.time() + float(seconds)
    with open(out_file, "w") as out:
        while time.time() < deadline:
            for path in ("/readyz", "/api/cards/?page_size=1"):
                start = time.time()
                try:
                    status, _ = call("GET", url + path, timeout=10)
                except Exception as e:  # connection refused, timeout
                    status = type(e).__name__
                out.write(f"{start:.3f},{path},{status},{time.time() - start:.3f}\n")
                out.flush()
            time.sleep(0.1)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "write":
        write(*sys.argv[2:])
    elif cmd == "verify":
        sys.exit(verify(*sys.argv[2:]))
    elif cmd == "probe":
        probe(*sys.argv[2:])
    else:
        sys.exit(__doc__)
