#!/usr/bin/env python3
"""One instance against three behind nginx, on one PostgreSQL database.

  bench/scale.py [--duration 15s] [--connections 64] [--scenario S1|S2]

Starts deploy/rig.sh twice on fresh databases (RATE_LIMITS=off): with one
instance (wrk straight at it, then through nginx) and with three (through
nginx). Each run seeds a user and 200 public cards, warms up for 3 s, then
runs wrk (bench/wrk/s1_card.lua: GET /api/cards/{id}/ with a bearer token;
or s2_list.lua: the anonymous first page of 20) and prints a markdown row:
req/s, p50, p99, and the CPU time per request of the server processes,
nginx (master and workers) and the PostgreSQL backends of the rig's database
(utime + stime from /proc/PID/stat over the run, divided by the requests
wrk counted), and how busy the machine was.

Environment: CARGO_TARGET_DIR / SPIDER_WEB_BIN (the release binary; built
beforehand), RIG_NGINX_PORT (18380), RIG_PG. Standard library only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RIG = os.path.join(ROOT, "deploy", "rig.sh")
WRK_DIR = os.path.join(ROOT, "bench", "wrk")
TICK = os.sysconf("SC_CLK_TCK")
PG = os.environ.get("RIG_PG", "postgres://postgres@127.0.0.1:5432")


def cpu_of(pid):
    """utime + stime of a process, in seconds (0 when it is gone)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy():
    """(busy, total) jiffies of the whole machine."""
    values = [int(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def call(url, path, body=None, token=None):
    req = urllib.request.Request(url + path, method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class Rig:
    def __init__(self, instances, port):
        self.dir = tempfile.mkdtemp(prefix="scale-bench-")
        self.env = dict(os.environ, RIG_DIR=self.dir, RIG_INSTANCES=str(instances),
                        RIG_NGINX_PORT=str(port), RIG_DB=f"bench_scale_{os.getpid()}",
                        RATE_LIMITS="off", ACCESS_TOKEN_TTL="86400")
        self.instances, self.port, self.db = instances, port, self.env["RIG_DB"]

    def __enter__(self):
        subprocess.run([RIG, "start"], env=self.env, check=True, stdout=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        subprocess.run([RIG, "stop"], env=self.env, stdout=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", self.dir])

    def url(self, i=0):
        return f"http://127.0.0.1:{self.port + i}"

    def pids(self):
        servers = [int(open(f"{self.dir}/i{i}.pid").read()) for i in range(1, self.instances + 1)]
        master = int(open(f"{self.dir}/nginx-master.pid").read())
        workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                                 text=True).stdout.split()
        backends = subprocess.run(
            ["psql", f"{PG}/postgres", "-Atc",
             f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.db}'"],
            capture_output=True, text=True, check=True).stdout.split()
        return {"server": servers, "nginx": [master] + [int(w) for w in workers],
                "postgres": [int(b) for b in backends]}

    def seed(self, cards=200):
        name = "bench_" + uuid.uuid4().hex[:8]
        token = call(self.url(), "/api/auth/register/", {
            "username": name, "email": name + "@example.com",
            "password1": "bench-password-1", "password2": "bench-password-1"})["access"]

        def post(n):
            return call(self.url(), "/api/cards/", {
                "title": f"Seed card {n}", "body": f"Body of seeded card number {n}.",
                "visibility": "public"}, token)["id"]

        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(post, range(cards)))
        path = os.path.join(self.dir, "ids")
        with open(path, "w") as f:
            f.write("\n".join(ids) + "\n")
        return token, path


def to_ms(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url, script, env, duration, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency", "-s",
         os.path.join(WRK_DIR, script), url],
        env=env, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\n\s+50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\n\s+99%\s+(\S+)", out).group(1))
    bad = re.search(r"BENCH_CHECK bad_status=(\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    errors += int(non2xx.group(1)) if non2xx and not bad else 0
    return requests, rps, p50, p99, errors


def measure(label, rig, url, script, env, duration, connections):
    wrk(url, script, env, "3s", connections)  # warm-up: pools filled, caches hot
    before_pids = rig.pids()
    before = {k: {p: cpu_of(p) for p in v} for k, v in before_pids.items()}
    busy0, total0 = machine_busy()
    requests, rps, p50, p99, errors = wrk(url, script, env, duration, connections)
    busy1, total1 = machine_busy()
    after_pids = rig.pids()
    row = {"label": label, "rps": rps, "p50": p50, "p99": p99, "errors": errors,
           "busy": 100.0 * (busy1 - busy0) / max(1, total1 - total0)}
    for kind in ("server", "nginx", "postgres"):
        pids = set(before_pids[kind]) | set(after_pids[kind])
        cpu = sum(cpu_of(p) - before[kind].get(p, 0.0) for p in pids)
        row[kind] = cpu / requests * 1e6  # µs per request
    row["total"] = row["server"] + row["nginx"] + row["postgres"]
    print(f"| {label} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {row['server']:.0f} | "
          f"{row['nginx']:.0f} | {row['postgres']:.0f} | **{row['total']:.0f}** | "
          f"{row['busy']:.0f} % | {errors} |", flush=True)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", default="15s")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--scenario", default="S1", choices=["S1", "S2"])
    ap.add_argument("--port", type=int, default=int(os.environ.get("RIG_NGINX_PORT", "18380")))
    args = ap.parse_args()
    script = {"S1": "s1_card.lua", "S2": "s2_list.lua"}[args.scenario]
    print(f"{args.scenario}, wrk -t2 -c{args.connections} -d{args.duration}; CPU in µs per request")
    print()
    print("| setup | req/s | p50 ms | p99 ms | server CPU | nginx CPU | PostgreSQL CPU | "
          "total CPU | machine busy | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for instances in (1, 3):
        with Rig(instances, args.port) as rig:
            token, ids = rig.seed()
            env = dict(os.environ, BENCH_WRK_DIR=WRK_DIR, BENCH_TOKEN=token, BENCH_IDS=ids)
            if instances == 1:
                measure("1 instance, direct", rig, rig.url(1), script, env,
                        args.duration, args.connections)
                measure("1 instance behind nginx", rig, rig.url(), script, env,
                        args.duration, args.connections)
            else:
                measure("3 instances behind nginx", rig, rig.url(), script, env,
                        args.duration, args.connections)


if __name__ == "__main__":
    sys.exit(main())
