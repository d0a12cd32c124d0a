# ctl_workflow.sh: fabfedctl's side of cross-cluster workflows
# (docs/workflows.md): "apply --wait", "get workflows" and "describe
# workflow", run as the real fabfedctl binary over real HTTPS (mutual TLS,
# libcurl, OpenSSL).
#
# THE SERVER HERE IS A STAND-IN, NOT THE FABFED CONTROLLER: a small python3
# HTTPS server written for this test that requires a client certificate
# from the test CA and serves recorded JSON in the shapes docs/workflows.md
# documents, changing between polls (each GET of the workflow list moves
# the scenario one step on). It proves fabfedctl reads, renders and waits
# on those shapes as documented; it does not prove the controller serves
# them (the controller's own tests do).
#
# Checked: apply --wait prints a progress line as a step/state changes and
# exits 0 once both channels' workflows are succeeded/rendered (naming the
# rendered one); exits 1 on a failed workflow, printing its lastError;
# exits 1 at a short --timeout, saying what it was waiting for, within
# bounds; apply without --wait does not poll; get workflows and describe
# workflow print what was served; a 404 workflow exits 1; the stand-in
# refuses a client without a certificate.
set -u

: "${FABFED_SRC:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/helpers/standin.sh"
standin_need python3 openssl curl
ctl_bin=$FABFED_BIN/fabfedctl
[[ -x "$ctl_bin" ]] || { echo "$ctl_bin not built"; exit 1; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:exitcode=99
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}:exitcode=99

echo "NOTE: fabfedctl runs here against a STAND-IN HTTPS server (python3,"
echo "NOTE: written for this test, serving recorded workflow JSON), not the controller."

tmp=$(mktemp -d /tmp/fabfed-ctlwf.XXXXXX)
standin_trap "$tmp" server.out

nfail=0
ok() { echo "ok - $*"; }
bad() { echo "FAIL - $*"; nfail=$((nfail + 1)); }
has() { # has NAME FILE NEEDLE
	if grep -qF -- "$3" "$2"; then ok "$1"; else
		bad "$1: \"$3\" not in:"; sed 's/^/    /' "$2"; fi
}
lacks() {
	if ! grep -qF -- "$3" "$2"; then ok "$1"; else
		bad "$1: \"$3\" unexpectedly in:"; sed 's/^/    /' "$2"; fi
}
rc_is() { # rc_is NAME GOT WANT
	if [[ "$2" == "$3" ]]; then ok "$1 (exit $2)"; else
		bad "$1: exit $2, want $3"
		sed 's/^/    out: /' "$tmp/out"; sed 's/^/    err: /' "$tmp/err"
	fi
}

standin_pki "$tmp" "IP:127.0.0.1,DNS:localhost" || exit 1

cat >"$tmp/standin.py" <<'EOF'
# A STAND-IN for the fabfed controller's workflow routes, for
# ctl_workflow.sh only. Recorded JSON in docs/workflows.md's shapes; the
# scenario (file "scenario") moves one step on at each GET of the list.
import http.server, json, os, socketserver, ssl, sys, threading

d = sys.argv[1]
lock = threading.Lock()
state = {"poll": -1, "lists": 0, "puts": 0}

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(d + "/server.crt", d + "/server.key")
ctx.load_verify_locations(d + "/ca.crt")
ctx.verify_mode = ssl.CERT_REQUIRED

def step(name, st, **kw):
    s = {"name": name, "state": st}
    s.update(kw)
    return s

def task(org, node, st, msg=None, attempts=0):
    t = {"id": "create-channel-trade.x.%s.%s" % (org, node), "org": org,
         "node": node, "state": st, "attempts": attempts}
    if msg:
        t["message"] = msg
    return t

def rec(ch, st, steps, err=None):
    return {"id": "create-channel-" + ch, "type": "create-channel",
            "consortium": "trade-finance", "channel": ch, "state": st,
            "createdAt": 1795430000, "updatedAt": 1795430000 + len(steps),
            "steps": steps, "lastError": err}

DONE = [step("collect", "done"), step("genesis", "done")]
T_COLLECT = rec("trade", "running", [
    step("collect", "waiting", waitingFor=["Org2MSP"],
         message="has not published its MSP and endpoints"),
    step("genesis", "pending")])
T_PEERS = rec("trade", "running", DONE + [
    step("join-orderers", "done", tasks=[task("Org1MSP", "orderer0", "done")]),
    step("join-peers", "running", tasks=[
        task("Org1MSP", "peer0", "done"), task("Org2MSP", "peer0", "done"),
        task("Org3MSP", "peer0", "waiting", "unreachable")])])
T_OK = rec("trade", "succeeded", DONE + [
    step("join-orderers", "done"), step("join-peers", "done"),
    step("anchor-peers", "done")])
T_FAILED = rec("trade", "failed", DONE + [
    step("join-orderers", "failed", tasks=[
        task("Org2MSP", "orderer0", "failed",
             "the signer refused: orderer0 is not a consenter of trade", 2)])],
    "Org2MSP orderer0: the signer refused: orderer0 is not a consenter of trade")
A_GENESIS = rec("audit", "running", [step("collect", "done"),
                                     step("genesis", "running")])
A_RENDERED = rec("audit", "rendered", DONE + [
    step("join-orderers", "rendered", tasks=[
        task("Org1MSP", "orderer0", "rendered",
             "wrote out/channels/audit/join-orderer0.sh")]),
    step("join-peers", "rendered"), step("anchor-peers", "rendered")])

SCENARIOS = {
    # each entry: the records served at that poll (None: not created)
    "converge": [(T_COLLECT, None), (T_COLLECT, None), (T_PEERS, A_GENESIS),
                 (T_OK, A_GENESIS), (T_OK, A_RENDERED)],
    "fail": [(T_PEERS, A_GENESIS), (T_FAILED, A_GENESIS)],
    "stuck": [(T_PEERS, A_GENESIS)],
}

def current():
    name = open(d + "/scenario").read().strip()
    seq = SCENARIOS[name]
    return [r for r in seq[min(max(state["poll"], 0), len(seq) - 1)] if r]

def item(r):
    first = next((s for s in r["steps"] if s["state"] not in
                  ("done", "rendered")), None)
    return {"id": r["id"], "type": r["type"], "channel": r["channel"],
            "state": r["state"], "step": first["name"] if first else None,
            "waitingFor": first.get("waitingFor", []) if first else [],
            "updatedAt": r["updatedAt"]}

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    def get_request(self):
        sock, addr = self.socket.accept()
        return ctx.wrap_socket(sock, server_side=True,
                               do_handshake_on_connect=False), addr
    def handle_error(self, request, client_address):
        print("stand-in: connection from %s: %s" % (client_address,
              sys.exc_info()[1]), flush=True)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def setup(self):
        self.request.settimeout(self.timeout)
        self.request.do_handshake()   # fails without a client certificate
        super().setup()

    def log_message(self, fmt, *args):
        print("stand-in: " + (fmt % args), flush=True)

    def answer(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_PUT(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(n)
        with lock:
            state["puts"] += 1
            state["poll"] = -1
            state["lists"] = 0
            self.counts()
        if self.path != "/v1/consortia/trade-finance":
            return self.answer(404, {"error": "no such route"})
        self.answer(200, {"name": "trade-finance", "revision": 7,
                          "result": "configured"})

    def counts(self):
        with open(d + "/counts.tmp", "w") as f:
            json.dump({"puts": state["puts"], "lists": state["lists"]}, f)
        os.replace(d + "/counts.tmp", d + "/counts.json")

    def do_GET(self):
        p = self.path
        base = "/v1/consortia/trade-finance"
        with lock:
            if p == base:
                return self.answer(200, {"name": "trade-finance",
                    "revision": 7, "document": {"apiVersion": "fabfed/v1",
                    "metadata": {"name": "trade-finance"}, "spec": {
                    "channels": [{"name": "trade"}, {"name": "audit"}]}}})
            if p == base + "/workflows":
                state["poll"] += 1
                state["lists"] += 1
                self.counts()
                recs = sorted(current(), key=lambda r: r["id"])
                return self.answer(200, {"items": [item(r) for r in recs]})
            if p.startswith(base + "/workflows/"):
                wid = p[len(base + "/workflows/"):]
                for r in current():
                    if r["id"] == wid:
                        return self.answer(200, r)
                return self.answer(404, {"error": "no workflow \"%s\" in "
                    "consortium \"trade-finance\"" % wid})
        self.answer(404, {"error": "no such route"})

srv = Server(("127.0.0.1", 0), Handler)
with open(d + "/port.tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(d + "/port.tmp", d + "/port")
print("stand-in: listening on 127.0.0.1:%d" % srv.server_address[1],
      flush=True)
srv.serve_forever()
EOF

echo converge >"$tmp/scenario"
python3 "$tmp/standin.py" "$tmp" >"$tmp/server.out" 2>&1 &
STANDIN_PIDS+=($!)
standin_wait 100 "$tmp/port" "${STANDIN_PIDS[0]}" stand-in || exit 1
port=$(cat "$tmp/port")
cat >"$tmp/admin.conf" <<EOF
{"controller": "https://127.0.0.1:$port", "ca": "ca.crt",
 "cert": "client.crt", "key": "client.key"}
EOF
chmod 600 "$tmp/client.key"
cat >"$tmp/trade.yaml" <<'EOF'
apiVersion: fabfed/v1
kind: Consortium
metadata:
  name: trade-finance
spec:
  channels:
    - name: trade
    - name: audit
EOF

ctl() { "$ctl_bin" --config "$tmp/admin.conf" "$@" >"$tmp/out" 2>"$tmp/err"; }
lists() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lists"])' "$tmp/counts.json"; }

# The stand-in checks client certificates: without one, no answer.
code=$(curl -sS --max-time 10 --cacert "$tmp/ca.crt" -o /dev/null \
    -w '%{http_code}' "https://127.0.0.1:$port/v1/consortia/trade-finance/workflows" 2>/dev/null)
[[ "$code" == "000" ]] && ok "the stand-in refuses a client without a certificate" ||
	bad "the stand-in answered $code to a client without a certificate"

# --- apply without --wait: as before, no polling
rc=0; ctl apply -f "$tmp/trade.yaml" || rc=$?
rc_is "apply without --wait" "$rc" 0
has "apply prints its result" "$tmp/out" "consortium/trade-finance configured (revision 7)"
[[ "$(lists)" == 0 ]] && ok "apply without --wait reads no workflows" ||
	bad "apply without --wait read the workflows $(lists) times"

# --- apply --wait: converges (trade succeeded, audit rendered)
echo converge >"$tmp/scenario"
start=$SECONDS
rc=0; ctl apply -f "$tmp/trade.yaml" --wait --timeout 60s || rc=$?
rc_is "apply --wait converges" "$rc" 0
has "result first" "$tmp/out" "consortium/trade-finance configured (revision 7)"
has "progress: collect" "$tmp/out" "trade: collect (waiting for Org2MSP: has not published its MSP and endpoints)"
has "progress: audit not started" "$tmp/out" "audit: not started yet"
has "progress: join-peers" "$tmp/out" "trade: join-peers (2/3 done; waiting for Org3MSP: unreachable)"
has "progress: genesis" "$tmp/out" "audit: genesis (running)"
has "progress: succeeded" "$tmp/out" "trade: succeeded"
has "progress: rendered" "$tmp/out" "audit: rendered for GitOps, not carried out: join-orderers, join-peers, anchor-peers"
has "summary" "$tmp/out" "converged in"
has "summary names the rendered channel" "$tmp/out" "1 of 2 channels were only rendered"
n=$(grep -c "^trade: collect" "$tmp/out")
[[ "$n" == 1 ]] && ok "an unchanged state is printed once" ||
	bad "the collect line was printed $n times"
[[ -s "$tmp/err" ]] && bad "stderr not empty: $(cat "$tmp/err")" || ok "nothing on stderr"
[[ $((SECONDS - start)) -lt 30 ]] && ok "converged in $((SECONDS - start)) s" ||
	bad "took $((SECONDS - start)) s"

# --- apply --wait: a workflow fails
echo fail >"$tmp/scenario"
rc=0; ctl apply -f "$tmp/trade.yaml" --wait --timeout 60s || rc=$?
rc_is "apply --wait on a failed workflow" "$rc" 1
has "progress before the failure" "$tmp/out" "trade: join-peers (2/3 done"
has "failed line" "$tmp/out" "trade: failed at join-orderers: Org2MSP orderer0: the signer refused"
has "lastError printed" "$tmp/err" "error: workflow create-channel-trade failed: Org2MSP orderer0: the signer refused: orderer0 is not a consenter of trade"
lacks "no summary" "$tmp/out" "converged"

# --- apply --wait: times out
echo stuck >"$tmp/scenario"
start=$SECONDS
rc=0; ctl apply -f "$tmp/trade.yaml" --wait --timeout 3s || rc=$?
took=$((SECONDS - start))
rc_is "apply --wait at the timeout" "$rc" 1
has "timeout message" "$tmp/err" "error: timed out after 3s; still waiting for:"
has "what it waited for" "$tmp/err" "trade: join-peers (2/3 done; waiting for Org3MSP: unreachable)"
has "the other channel too" "$tmp/err" "audit: genesis (running)"
[[ $took -ge 2 && $took -le 15 ]] && ok "timed out after $took s" || bad "timed out after $took s, want about 3"
polls=$(lists)
[[ $polls -ge 2 && $polls -le 6 ]] && ok "polled $polls times in 3 s (about 1 s apart)" ||
	bad "polled $polls times in 3 s"

# --- usage errors: exit 2, nothing sent
rc=0; ctl apply -f "$tmp/trade.yaml" --wait --timeout 5x || rc=$?
rc_is "a bad --timeout" "$rc" 2
has "says why" "$tmp/err" "wants a duration such as 90s, 5m or 1h"

# --- get workflows, describe workflow (stuck scenario: what is served)
echo stuck >"$tmp/scenario"
rc=0; ctl get workflows --consortium trade-finance || rc=$?
rc_is "get workflows" "$rc" 0
has "table header" "$tmp/out" "ID                     TYPE             CHANNEL   STATE     STEP         WAITING FOR   AGE"
has "audit row" "$tmp/out" "create-channel-audit   create-channel   audit     running   genesis      -"
has "trade row" "$tmp/out" "create-channel-trade   create-channel   trade     running   join-peers   -"

rc=0; ctl get workflows --consortium trade-finance -o json || rc=$?
rc_is "get workflows -o json" "$rc" 0
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [i["id"] for i in d["items"]] == ["create-channel-audit", "create-channel-trade"]' "$tmp/out" &&
	ok "-o json prints the served list" || bad "-o json: $(cat "$tmp/out")"

rc=0; ctl describe workflow create-channel-trade --consortium trade-finance || rc=$?
rc_is "describe workflow" "$rc" 0
has "describe header" "$tmp/out" "Name:         create-channel-trade"
has "describe step" "$tmp/out" "Step:         join-peers (4 of 4)"
has "describe task" "$tmp/out" "join-peers      Org3MSP   peer0      waiting   0          unreachable"
has "describe waiting" "$tmp/out" "waiting for Org3MSP: unreachable (task create-channel-trade.x.Org3MSP.peer0)"

# each GET of the list moves the scenario one step on: to its end
echo converge >"$tmp/scenario"
for _ in 1 2 3 4 5; do
	"$ctl_bin" --config "$tmp/admin.conf" get workflows --consortium trade-finance >/dev/null 2>&1
done
rc=0; ctl describe workflow create-channel-audit --consortium trade-finance || rc=$?
rc_is "describe a rendered workflow" "$rc" 0
has "rendered section" "$tmp/out" "RENDERED FOR GITOPS, NOT CARRIED OUT"
has "rendered task" "$tmp/out" "    Org1MSP orderer0: wrote out/channels/audit/join-orderer0.sh"
has "rendered step" "$tmp/out" "- anchor-peers"

echo fail >"$tmp/scenario"
rc=0; ctl describe workflow create-channel-trade --consortium trade-finance -o json || rc=$?
rc_is "describe -o json" "$rc" 0
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["state"] == "failed" and "signer refused" in d["lastError"]' "$tmp/out" &&
	ok "-o json prints the served record" || bad "-o json: $(cat "$tmp/out")"
rc=0; ctl describe workflow create-channel-trade --consortium trade-finance || rc=$?
has "lastError in words" "$tmp/out" "Last error:   Org2MSP orderer0: the signer refused: orderer0 is not a consenter of trade"

rc=0; ctl describe workflow create-channel-nope --consortium trade-finance || rc=$?
rc_is "describe an unknown workflow" "$rc" 1
has "the controller's message" "$tmp/err" "error: no workflow \"create-channel-nope\""
rc=0; ctl get workflow create-channel-nope --consortium trade-finance || rc=$?
rc_is "get an unknown workflow" "$rc" 1

echo "$nfail failed"
[[ $nfail -eq 0 ]]
