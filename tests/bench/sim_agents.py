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
Runs until SIGTERM; prints one line per task answered:
  <unix time> <msp> <task id> <state>
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


def conn_for(d):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    ctx.load_cert_chain(d + "/agent.crt", d + "/agent.key")
    return lambda timeout: http.client.HTTPSConnection(host, int(port), context=ctx,
                                                       timeout=timeout)


def call(mk, method, path, body=None, timeout=40):
    if delay_ms:
        time.sleep(delay_ms / 1000.0)
    c = mk(timeout)
    try:
        c.request(method, path, body=json.dumps(body) if body is not None else None,
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)
    finally:
        c.close()


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
    mk = conn_for(d)
    since, sent, last_hb = 0, set(), 0.0
    while not stop.is_set():
        try:
            if time.time() - last_hb > 5:
                call(mk, "POST", "/v1/agent/heartbeat", {})
                last_hb = time.time()
            st, ans = call(mk, "GET", "/v1/agent/desired?since=%d&timeout=5" % since)
            if st != 200:
                time.sleep(0.2)
                continue
            since = max(since, ans.get("revision", since))
            for task in ans.get("tasks", []) or []:
                if task["id"] in sent:
                    continue
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
