#!/usr/bin/env python3
"""Simulated member agents for tests/bench/add_org.sh: each one speaks the
real agent API of a real controller (mutual TLS with its own enrolled
certificate, heartbeats, the desired-state long poll, task results), but
answers every task at once instead of touching Fabric nodes or a signer.
They are stand-ins for the signing and joining parts only; the controller,
its etcd and the workflow engine are real.

  sim_agents.py ADDR CA DELAY_MS AGENT_DIR...

Each AGENT_DIR holds agent.crt and agent.key. DELAY_MS emulates a
leased line's round trip: each request waits that long before it is sent
(this kernel has no sch_netem, so the delay cannot be put on the link).
Each simulated agent keeps one HTTPS connection open (keep-alive), as
the real agent's libcurl does, and makes a new one only when it breaks:
a new TLS handshake per request made the stand-in, not the controller,
what the bench measured.

Runs until SIGTERM; prints one line per task answered:
  <unix time> <msp> <task id> <state>
and, at SIGTERM, one line of request counts:
  requests desired=N tasks=N heartbeats=N connections=N
"""
import base64
import hashlib
import http.client
import json
import signal
import ssl
import sys
import threading
import time

addr, ca, delay_ms = sys.argv[1], sys.argv[2], int(sys.argv[3])
dirs = sys.argv[4:]
host, port = addr.rsplit(":", 1)
stop = threading.Event()
out_lock = threading.Lock()
signal.signal(signal.SIGTERM, lambda *a: stop.set())

# A well-formed ConfigUpdate{channel_id: "trade"}: the controller passes it
# on, it does not apply it.
UPDATE = b"\x0a\x05trade"


counts = {"desired": 0, "tasks": 0, "heartbeats": 0, "connections": 0}
count_lock = threading.Lock()


def count(what):
    with count_lock:
        counts[what] += 1


class Conn:
    """One agent's keep-alive connection to the controller."""

    def __init__(self, d):
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.check_hostname = False
        self.ctx.load_cert_chain(d + "/agent.crt", d + "/agent.key")
        self.c = None

    def call(self, method, path, body=None, timeout=40):
        if delay_ms:
            time.sleep(delay_ms / 1000.0)
        if self.c is None:
            self.c = http.client.HTTPSConnection(host, int(port), context=self.ctx,
                                                 timeout=timeout)
            count("connections")
        self.c.timeout = timeout
        if self.c.sock is not None:
            self.c.sock.settimeout(timeout)
        try:
            self.c.request(method, path,
                           body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json"})
            r = self.c.getresponse()
            data = r.read()
            if r.getheader("Connection", "").lower() == "close":
                self.close()
            return r.status, (json.loads(data) if data else None)
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def close(self):
        if self.c is not None:
            self.c.close()
            self.c = None


def call(mk, method, path, body=None, timeout=40):
    return mk.call(method, path, body, timeout)


def result_for(task):
    t = task["type"]
    detail = {}
    if t == "update-prepare":
        detail = {"update": base64.b64encode(UPDATE).decode(),
                  "sha256": hashlib.sha256(UPDATE).hexdigest(), "configBlock": 0}
    elif t == "update-sign":
        detail = {"signatureHeader": base64.b64encode(b"header").decode(),
                  "signature": base64.b64encode(b"signature").decode()}
    elif t == "update-submit":
        detail = {"blockNumber": 1}
    return {"state": "done", "message": "simulated", "detail": detail}


def agent(d):
    mk = Conn(d)
    since, sent, last_hb = 0, set(), 0.0
    while not stop.is_set():
        try:
            if time.time() - last_hb > 5:
                count("heartbeats")
                call(mk, "POST", "/v1/agent/heartbeat", {})
                last_hb = time.time()
            count("desired")
            st, ans = call(mk, "GET", "/v1/agent/desired?since=%d&timeout=5" % since)
            if st != 200:
                time.sleep(0.2)
                continue
            since = max(since, ans.get("revision", since))
            for task in ans.get("tasks", []) or []:
                if task["id"] in sent:
                    continue
                count("tasks")
                st, _ = call(mk, "PUT", "/v1/agent/tasks/" + task["id"], result_for(task))
                if st in (200, 404, 409):
                    sent.add(task["id"])
                    with out_lock:
                        print("%.3f %s %s %d" % (time.time(), d, task["id"], st), flush=True)
        except (OSError, http.client.HTTPException, ValueError):
            time.sleep(0.2)


threads = [threading.Thread(target=agent, args=(d,), daemon=True) for d in dirs]
for t in threads:
    t.start()
while not stop.is_set():
    stop.wait(0.5)
with count_lock:
    print("requests " + " ".join("%s=%d" % kv for kv in counts.items()), flush=True)
