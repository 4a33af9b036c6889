#!/usr/bin/env python3
"""Drill of the load-balanced rig (deploy/rig.sh), standard library only.

  rig_drill.py        (run by scripts/rig-drill.sh, with the rig started)

Environment: RIG_NGINX_PORT (18080), RIG_INSTANCES (3), RIG_DIR, and the rig
script's path in RIG_SCRIPT. Checks, through nginx on 127.0.0.1:
  1. requests are spread over every instance (nginx's X-Upstream header);
  2. a GraphQL subscriber over WebSocket through nginx, and an SSE subscriber
     pinned to instance 1, receive the cards written through the others;
  3. the 31st login attempt of one client address within a minute is refused
     (429, the contract's body) though the 30 before went to all instances,
     and another address is still answered: nginx's X-Forwarded-For is
     believed and the window is shared;
  4. kill -9 of instance 2 under a read load: every request still answers
     200 (nginx passes refused connections to the next instance), the
     watcher takes it out of rotation on its failing /readyz, an SSE
     subscriber through nginx that was on it sees its stream end, reconnects
     and receives the next card; revived, it is back in rotation.
Exits non-zero when a check fails.
"""
import base64
import http.client
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid

NGINX_PORT = int(os.environ.get("RIG_NGINX_PORT", "18080"))
INSTANCES = int(os.environ.get("RIG_INSTANCES", "3"))
RIG_DIR = os.environ.get("RIG_DIR", "/tmp/spider-web-rig")
RIG_SCRIPT = os.environ.get("RIG_SCRIPT", "deploy/rig.sh")
HOST = "127.0.0.1"


def port_of(i):
    return NGINX_PORT + i


def check(cond, what):
    if not cond:
        print(f"FAILED: {what}")
        sys.exit(1)


def call(port, method, path, body=None, token=None, source=None, headers=None, timeout=10):
    """One request on a fresh connection; (status, json body, headers)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    hdrs = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["content-type"] = "application/json"
    if token:
        hdrs["authorization"] = "Bearer " + token
    try:
        conn.request(method, path, body=data, headers=hdrs)
        r = conn.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw or b"null")
        except ValueError:
            parsed = raw.decode(errors="replace")
        return r.status, parsed, {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()


def upstream_index(headers):
    """Which instance nginx used (the last address tried)."""
    addr = headers.get("x-upstream", "").split(",")[-1].strip()
    try:
        return int(addr.rsplit(":", 1)[1]) - NGINX_PORT
    except (IndexError, ValueError):
        return None


def register():
    name = "rig_" + uuid.uuid4().hex[:10]
    pw = "rig-password-" + uuid.uuid4().hex[:6]
    status, body, _ = call(NGINX_PORT, "POST", "/api/auth/register/", {
        "username": name, "email": name + "@example.com", "password1": pw, "password2": pw})
    check(status == 201, f"register: {status} {body}")
    return body["access"]


def post_card(token, port=NGINX_PORT, title=None):
    status, body, headers = call(port, "POST", "/api/cards/",
                                 {"title": title or "rig " + uuid.uuid4().hex[:8],
                                  "visibility": "public"}, token)
    check(status == 201, f"post card: {status} {body}")
    return body["id"], upstream_index(headers) if port == NGINX_PORT else port - NGINX_PORT


class Sse:
    """An SSE subscriber to /api/cards/stream/: card ids of `created` events
    land in `ids`; `ended` is set when the stream closes."""

    def __init__(self, port, token=None):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        hdrs = {"accept": "text/event-stream"}
        if token:
            hdrs["authorization"] = "Bearer " + token
        self.conn.request("GET", "/api/cards/stream/?visibility=public", headers=hdrs)
        self.resp = self.conn.getresponse()
        check(self.resp.status == 200, f"SSE status {self.resp.status}")
        self.instance = upstream_index({k.lower(): v for k, v in self.resp.getheaders()}) \
            if port == NGINX_PORT else port - NGINX_PORT
        self.ids = queue.Queue()
        self.connected = threading.Event()
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        check(self.connected.wait(5), "SSE: no `connected` comment")

    def _read(self):
        event = None
        try:
            while True:
                line = self.resp.fp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\r\n")
                if line.startswith(": connected"):
                    self.connected.set()
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "created":
                    self.ids.put(json.loads(line[5:])["card_id"])
        except (OSError, ValueError, http.client.HTTPException):
            pass
        self.ended.set()

    def wait_for(self, wanted, seconds):
        wanted, deadline = set(wanted), time.time() + seconds
        while wanted and time.time() < deadline:
            try:
                wanted.discard(self.ids.get(timeout=max(0.01, deadline - time.time())))
            except queue.Empty:
                break
        return wanted

    def close(self):
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


class Ws:
    """A minimal graphql-transport-ws client (text frames only)."""

    def __init__(self, port, token):
        self.sock = socket.create_connection((HOST, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /graphql/ws HTTP/1.1\r\n"
            f"Host: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            check(chunk, "WebSocket: connection closed during the handshake")
            head += chunk
        check(head.startswith(b"HTTP/1.1 101"), f"WebSocket upgrade refused: {head[:80]!r}")
        self.send({"type": "connection_init", "payload": {"Authorization": "Bearer " + token}})
        check(self.recv()["type"] == "connection_ack", "WebSocket: no connection_ack")

    def send(self, message):
        data = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + len(data).to_bytes(2, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            check(chunk, "WebSocket closed")
            out += chunk
        return out

    def recv(self):
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            payload = self._exact(n)
            if b0 & 0x0F == 0x1:
                return json.loads(payload)
            check(b0 & 0x0F != 0x8, "WebSocket closed by the server")

    def close(self):
        self.sock.close()


def rotation():
    try:
        text = open(os.path.join(RIG_DIR, "upstream.conf")).read()
    except OSError:
        return {}
    return {int(l.split(":")[1].split()[0]) - NGINX_PORT: "down" not in l
            for l in text.splitlines() if l.strip()}


def main():
    print(f"== rig drill: nginx on {HOST}:{NGINX_PORT}, {INSTANCES} instances")

    # 1. Spread.
    seen = [upstream_index(call(NGINX_PORT, "GET", "/healthz")[2]) for _ in range(3 * INSTANCES)]
    check(set(seen) == set(range(1, INSTANCES + 1)), f"nginx spread: {seen}")
    print(f"spread: {3 * INSTANCES} requests through nginx went to instances {sorted(set(seen))}")

    # 2. Live feed across instances.
    token = register()
    sse = Sse(port_of(1), token)
    ws = Ws(NGINX_PORT, token)
    ws.send({"id": "1", "type": "subscribe", "payload": {
        "query": "subscription { cardEvents(filter: {visibility: PUBLIC}) { kind cardId } }"}})
    time.sleep(0.3)  # the subscription is registered
    by_others = {}
    for _ in range(60):
        card, via = post_card(token)
        if via != 1:
            by_others.setdefault(via, []).append(card)
        if all(len(by_others.get(i, [])) >= 2 for i in range(2, INSTANCES + 1)):
            break
    written = [c for cards in by_others.values() for c in cards]
    check(len(by_others) == INSTANCES - 1, f"cards written through instances {sorted(by_others)}")
    missing = sse.wait_for(written, 5)
    check(not missing, f"SSE subscriber on instance 1 missed {len(missing)} cards")
    print(f"feed: SSE subscriber pinned to instance 1 received {len(written)}/{len(written)} cards "
          f"written through nginx by instances {sorted(by_others)}")
    ws_ids = set()
    deadline = time.time() + 5
    while not set(written) <= ws_ids and time.time() < deadline:
        msg = ws.recv()
        if msg.get("type") == "next":
            ws_ids.add(msg["payload"]["data"]["cardEvents"]["cardId"])
    check(set(written) <= ws_ids, "GraphQL WebSocket subscriber through nginx missed cards")
    print(f"feed: GraphQL WebSocket subscriber through nginx received them too "
          f"({len(set(written))} cards)")
    ws.close()
    sse.close()

    # 3. The per-IP login limit across the set.
    client, other = "127.0.0.77", "127.0.0.78"
    statuses, used = [], set()
    for _ in range(30):
        status, _, headers = call(NGINX_PORT, "POST", "/api/auth/login/",
                                  {"username": "nobody_" + uuid.uuid4().hex[:8],
                                   "password": "wrong-password"}, source=client)
        statuses.append(status)
        used.add(upstream_index(headers))
    check(statuses == [400] * 30, f"30 attempts: {statuses}")
    status, body, headers = call(NGINX_PORT, "POST", "/api/auth/login/",
                                 {"username": "nobody_x", "password": "wrong-password"}, source=client)
    check(status == 429 and body.get("code") == "throttled" and "retry-after" in headers,
          f"31st attempt: {status} {body}")
    status2, _, _ = call(NGINX_PORT, "POST", "/api/auth/login/",
                         {"username": "nobody_y", "password": "wrong-password"}, source=other)
    check(status2 == 400, f"another client's attempt: {status2}")
    print(f"login limit: 30 attempts from {client} answered 400 by instances {sorted(used)}; "
          f"the 31st: {status} {json.dumps(body)} (Retry-After {headers['retry-after']}); "
          f"{other}: {status2}")

    # 4. Kill one instance under load.
    victim = 2
    doomed = None
    subs = []
    for _ in range(3 * INSTANCES):
        s = Sse(NGINX_PORT, token)
        if s.instance == victim:
            doomed = s
            break
        subs.append(s)
    check(doomed is not None, f"no SSE subscriber through nginx landed on instance {victim}")
    for s in subs:
        s.close()
    results, stop = [], threading.Event()

    def probe():
        while not stop.is_set():
            start = time.time()
            try:
                status, _, _ = call(NGINX_PORT, "GET", "/api/cards/?page_size=1", timeout=10)
            except OSError as e:
                status = type(e).__name__
            results.append((start, status, time.time() - start))

    probes = [threading.Thread(target=probe) for _ in range(4)]
    for t in probes:
        t.start()
    time.sleep(1)
    killed_at = time.time()
    subprocess.run([RIG_SCRIPT, "kill", str(victim)], check=True)
    check(doomed.ended.wait(5), "the SSE stream on the killed instance did not end")
    ended_after = time.time() - killed_at
    # The client reconnects through nginx, as EventSource does.
    again = Sse(NGINX_PORT, token)
    check(again.instance not in (None, victim), f"reconnected to instance {again.instance}")
    card, via = post_card(token)
    check(not again.wait_for([card], 5), "the reconnected subscriber missed the next card")
    out_at = None
    while time.time() - killed_at < 5:
        if rotation().get(victim) is False:
            out_at = time.time() - killed_at
            break
        time.sleep(0.1)
    time.sleep(max(0.0, 4 - (time.time() - killed_at)))
    stop.set()
    for t in probes:
        t.join()
    after = [r for r in results if r[0] >= killed_at]
    bad = [r for r in after if r[1] != 200]
    slowest = max((r[2] for r in after), default=0)
    print(f"kill -9 instance {victim}: its SSE stream (through nginx) ended after {ended_after:.2f} s; "
          f"the client reconnected to instance {again.instance} and received the next card "
          f"(written by instance {via})")
    print(f"kill -9 instance {victim}: {len(after)} reads through nginx in the 4 s after, "
          f"{len(bad)} not 200, slowest {slowest:.3f} s; watcher took it out of rotation after "
          + (f"{out_at:.1f} s" if out_at is not None else "(not seen)"))
    check(not bad, f"non-200 answers after the kill: {bad[:5]}")
    check(out_at is not None, "the watcher did not take the killed instance out")
    again.close()

    subprocess.run([RIG_SCRIPT, "revive", str(victim)], check=True)
    back_at = time.time()
    while time.time() - back_at < 5 and not rotation().get(victim):
        time.sleep(0.1)
    check(rotation().get(victim), "the revived instance is not back in rotation")
    time.sleep(0.3)
    seen = {upstream_index(call(NGINX_PORT, "GET", "/healthz")[2]) for _ in range(3 * INSTANCES)}
    check(victim in seen, f"revived instance gets no requests: {seen}")
    print(f"revive instance {victim}: back in rotation after {time.time() - back_at:.1f} s, "
          f"requests reach instances {sorted(seen)}")
    print("== rig drill passed")


if __name__ == "__main__":
    main()
