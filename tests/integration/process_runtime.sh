# process_runtime.sh: the process runtime (member-agent/rt_process.c)
# driven by tests/integration/itest_rt_process.c, which stands in for the
# agent (no controller).
#
# Part (a) runs everywhere (CI): the supervision logic against STAND-IN
# binaries, not Fabric: python3 scripts named peer and orderer that read
# the config the runtime wrote for them, serve /healthz on the operations
# port they find there, and crash or ignore SIGTERM on purpose when told
# to (a mode file next to them). It checks: a crash is restarted after the
# backoff; repeated crashes make the node failed with its last log lines
# in the detail (and it stays failed); remove stops the node (by PID) and
# keeps its data; a second driver on the same state dir starts no
# duplicate; killing the driver kills its nodes (PR_SET_PDEATHSIG); a node
# left without its supervisor is stopped (SIGKILL after the bounded wait
# when it ignores SIGTERM) before a new one starts.
#
# Part (b) needs FABRIC_BIN (Fabric 2.5's peer and orderer, sample config
# in FABRIC_CFG or FABRIC_BIN/../config) and is skipped without it: a real
# orderer and a real peer of an org made by lib/msp.c start through the
# runtime, both /healthz 200; the orderer's admin endpoint answers a
# channel list (lib/participation.c) over mutual TLS with the org Admin's
# TLS cert; the peer stays up 5 s with Docker off; remove stops them.
#
# Everything listens on 127.0.0.1 ports picked free; every process started
# is stopped by its PID on exit.
set -euo pipefail

: "${FABFED_SRC:?FABFED_SRC is not set (run under ctest)}"
: "${FABFED_BUILD:?FABFED_BUILD is not set (run under ctest)}"
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }
ITEST=$FABFED_BUILD/tests/itest_rt_process
[ -x "$ITEST" ] || { echo "FAIL: $ITEST not built" >&2; exit 1; }

T=$(mktemp -d /tmp/fabfed-rtproc.XXXXXX)
DRIVERS=()   # driver PIDs
PIDS=()      # node and supervisor PIDs seen
cleanup() {
	local rc=$? p f
	set +e
	for p in "${DRIVERS[@]}" "${PIDS[@]}"; do
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null
	done
	# Anything still running from this test's directory, by PID.
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' <"$f" 2>/dev/null | grep -qF -- "$T/"; then
			p=${f#/proc/}
			p=${p%/cmdline}
			[ "$p" != "$$" ] && kill -KILL "$p" 2>/dev/null
		fi
	done
	if [ "$rc" -ne 0 ]; then
		for f in "$T"/*.log "$T"/state*/process/*/node.log; do
			[ -f "$f" ] || continue
			echo "--- $f (last 30 lines)" >&2
			tail -30 "$f" >&2
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL (process_runtime): $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# wait_gone PID TENTHS
wait_gone() {
	local i
	for i in $(seq 1 "$2"); do
		alive "$1" || return 0
		sleep 0.1
	done
	return 1
}
# Processes whose command line holds $1 (a path of this test), counted.
count_cmd() {
	local f n=0
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' <"$f" 2>/dev/null | grep -qF -- "$1 "; then
			grep -q '^State:.*Z' "${f%cmdline}status" 2>/dev/null || n=$((n + 1))
		fi
	done
	echo "$n"
}
json_get() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# Drivers: NAME -> fds. start_driver NAME FABRIC_BIN STATEDIR
declare -A DIN DOUT DPID
start_driver() {
	local name=$1 in=$T/$1.in out=$T/$1.out
	mkfifo "$in" "$out"
	"$ITEST" "$2" "$3" "$T/topo-$4.yaml" Org1MSP "$T/pki-$4" <"$in" >"$out" 2>"$T/$name.log" &
	DPID[$name]=$!
	DRIVERS+=($!)
	exec {w}>"$in"
	exec {r}<"$out"
	DIN[$name]=$w
	DOUT[$name]=$r
}
# cmd NAME LINE...: sends a command, the answer in $REPLY.
cmd() {
	local name=$1
	shift
	echo "$*" >&"${DIN[$name]}" || fail "driver $name is gone (sending $*)"
	IFS= read -r -t 120 REPLY <&"${DOUT[$name]}" || fail "driver $name did not answer \"$*\""
}
expect_ok() { cmd "$@"; [ "$REPLY" = ok ] || fail "$*: $REPLY"; }
topology() {  # topology NAME PEERPORT ORDERERPORT
	cat >"$T/topo-$1.yaml" <<EOF
apiVersion: fabfed.io/v1alpha1
kind: Consortium
metadata: {name: trade}
spec:
  orgs:
    - mspId: Org1MSP
      domain: org1.example.com
      cluster: {name: here, region: r1}
      peers:
        - {name: peer0, endpoint: "127.0.0.1:$2", anchor: true}
      orderers:
        - {name: orderer0, endpoint: "127.0.0.1:$3"}
  channels:
    - {name: ch1, consenters: [Org1MSP/orderer0], members: [Org1MSP]}
EOF
}

# ---------------------------------------------------------------- part (a)
# STAND-IN binaries (not Fabric), see the header.
SB=$T/standin/bin
mkdir -p "$SB" "$T/standin/config"
cp "$FABFED_SRC/tests/unit/fixtures/rt_process/core.yaml" \
	"$FABFED_SRC/tests/unit/fixtures/rt_process/orderer.yaml" "$T/standin/config/"
cat >"$SB/peer" <<'EOF'
#!/usr/bin/env python3
# STAND-IN for Fabric's peer/orderer (process_runtime.sh): not Fabric.
import http.server, json, os, signal, sys
here = os.path.dirname(os.path.abspath(__file__))
kind = os.path.basename(sys.argv[0])
cfg = os.environ["FABRIC_CFG_PATH"]
if kind == "peer":
    addr = json.load(open(cfg + "/core.yaml"))["operations"]["listenAddress"]
else:
    addr = json.load(open(cfg + "/orderer.yaml"))["Operations"]["ListenAddress"]
try:
    mode = open(os.path.join(here, "mode." + kind)).read().strip()
except FileNotFoundError:
    mode = "serve"
print(f"standin {kind}: mode {mode}, args {sys.argv[1:]}, pid {os.getpid()}", flush=True)
if mode == "crash":
    print(f"standin {kind}: fatal: crashing on purpose", flush=True)
    sys.exit(3)
if mode == "ignore-term":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
host, port = addr.rsplit(":", 1)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status":"OK"}'
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer((host, int(port)), H)
print(f"standin {kind}: serving /healthz on {addr}", flush=True)
# A real node's gRPC port, and an orderer's admin endpoint (channel
# participation), listen too; the runtime calls a node ready only when they
# accept. Here they only accept connections (nothing is served on them).
import socket
if kind == "peer":
    lst = [json.load(open(cfg + "/core.yaml"))["peer"]["listenAddress"]]
else:
    o = json.load(open(cfg + "/orderer.yaml"))
    lst = ["%s:%s" % (o["General"]["ListenAddress"], o["General"]["ListenPort"]),
           o["Admin"]["ListenAddress"]]
socks = []
for a in lst:
    h, p = a.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((h, int(p)))
    ls.listen(16)
    socks.append(ls)
    print(f"standin {kind}: accepting on {a}", flush=True)
srv.serve_forever()
EOF
cp "$SB/peer" "$SB/orderer"
chmod 755 "$SB/peer" "$SB/orderer"
SD=$T/state-a
topology a "$(free_port)" "$(free_port)"
export FABRIC_CFG_PATH=$T/standin/config

start_driver d1 "$SB" "$SD" a
# Backoff 200 ms doubling to 1.6 s; 3 crashes in 20 s: failed; 1.5 s to stop.
expect_ok d1 limits 200 1600 3 20 1500
expect_ok d1 pki
expect_ok d1 render
cmd d1 wait peer0 ready 20
[[ "$REPLY" == "ready running (pid "*"/healthz 200" ]] || fail "peer0 not ready: $REPLY"
cmd d1 wait orderer0 ready 20
[[ "$REPLY" == ready* ]] || fail "orderer0 not ready: $REPLY"
cmd d1 info peer0
P=$(json_get "$REPLY" pid)
PSUP=$(json_get "$REPLY" supervisorPid)
PIDS+=("$P" "$PSUP")
tr '\0' ' ' <"/proc/$P/cmdline" | grep -qF "$SB/peer node start" ||
	fail "peer0 does not run \"$SB/peer node start\": $(tr '\0' ' ' <"/proc/$P/cmdline")"
python3 - "$SD/process/peer0/config/core.yaml" <<'EOF' || fail "peer0's core.yaml lacks the runtime's settings"
import json, sys
c = json.load(open(sys.argv[1]))
assert c["vm"]["endpoint"] == "", c["vm"]
assert c["chaincode"]["externalBuilders"], "no external builder"
assert c["operations"]["listenAddress"].startswith("127.0.0.1:")
assert c["peer"]["tls"]["enabled"] is True
EOF
[ "$(stat -c %a "$SD/process/peer0")" = 700 ] || fail "the node directory is not 0700"
ok "render started a peer and an orderer (stand-ins), both /healthz 200"

# A crash is restarted after the backoff, with a new pid.
kill -KILL "$P"
cmd d1 observe peer0
[[ "$REPLY" == pending* || "$REPLY" == ready* ]] || fail "after a crash: $REPLY"
cmd d1 wait peer0 ready 20
[[ "$REPLY" == ready* ]] || fail "peer0 not restarted: $REPLY"
cmd d1 info peer0
P2=$(json_get "$REPLY" pid)
PIDS+=("$P2")
[ "$P2" != "$P" ] || fail "peer0 has the old pid after a crash"
grep -q "peer peer0 exited (killed by signal 9) after .* s; restarting in 0.2 s" \
	"$SD/process/peer0/node.log" || fail "no restart line in node.log"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["restarts"])' \
	"$SD/process/peer0/status.json")" = 1 ] || fail "status.json does not count the restart"
ok "a crashed node was restarted after the backoff (pid $P -> $P2)"

# A second driver on the same state dir (an agent restarted while the old
# one still runs) starts no duplicate.
start_driver d2 "$SB" "$SD" a
expect_ok d2 ensure peer0
expect_ok d2 render
cmd d2 info peer0
[ "$(json_get "$REPLY" pid)" = "$P2" ] || fail "the second driver sees another peer0: $REPLY"
[ "$(count_cmd "$SB/peer")" = 1 ] || fail "$(count_cmd "$SB/peer") peer0 processes after a second start"
[ "$(count_cmd "$SB/orderer")" = 1 ] || fail "a second orderer0 was started"
echo quit >&"${DIN[d2]}"
wait "${DPID[d2]}" || fail "driver d2 exited with an error"
alive "$P2" || fail "the second driver's exit stopped the first one's peer"
ok "a second start on the same state dir started no duplicate"

# Repeated crashes: failed, with the node's last log lines; it stays failed.
cmd d1 info orderer0
O=$(json_get "$REPLY" pid)
PIDS+=("$O")
echo crash >"$SB/mode.orderer"
kill -KILL "$O"
cmd d1 wait orderer0 failed 30
[[ "$REPLY" == failed* ]] || fail "orderer0 not failed after repeated crashes: $REPLY"
[[ "$REPLY" == *"exited 3 times in 20 s"* ]] || fail "no crash count in the detail: $REPLY"
[[ "$REPLY" == *"crashing on purpose"* ]] || fail "no log lines in the detail: $REPLY"
starts=$(grep -c "started orderer orderer0" "$SD/process/orderer0/node.log")
expect_ok d1 ensure orderer0
sleep 0.5
cmd d1 observe orderer0
[[ "$REPLY" == failed* ]] || fail "ensure restarted a failed node with the same config: $REPLY"
[ "$(grep -c "started orderer orderer0" "$SD/process/orderer0/node.log")" = "$starts" ] ||
	fail "a failed node was started again"
ok "repeated crashes: failed with the log's last lines; ensure leaves it failed"

# Remove stops the node by its PID and keeps its data.
expect_ok d1 remove peer0
alive "$P2" && fail "peer0 (pid $P2) still runs after remove"
alive "$PSUP" && fail "peer0's supervisor still runs after remove"
[ -d "$SD/process/peer0/data" ] || fail "remove deleted peer0's data"
cmd d1 observe peer0
[ "$REPLY" = "absent stopped" ] || fail "after remove: $REPLY"
ok "remove stopped peer0 (pid $P2) and kept its data"

# The agent goes (SIGKILL): its nodes go with it.
rm -f "$SB/mode.orderer"
expect_ok d1 ensure peer0
expect_ok d1 remove orderer0
expect_ok d1 ensure orderer0
cmd d1 wait peer0 ready 20
[[ "$REPLY" == ready* ]] || fail "peer0 not ready again: $REPLY"
cmd d1 wait orderer0 ready 20
[[ "$REPLY" == ready* ]] || fail "orderer0 not ready after remove + ensure: $REPLY"
cmd d1 info peer0
P3=$(json_get "$REPLY" pid); S3=$(json_get "$REPLY" supervisorPid)
cmd d1 info orderer0
O3=$(json_get "$REPLY" pid); SO3=$(json_get "$REPLY" supervisorPid)
PIDS+=("$P3" "$S3" "$O3" "$SO3")
kill -KILL "${DPID[d1]}"
wait "${DPID[d1]}" 2>/dev/null || true
for p in "$P3" "$S3" "$O3" "$SO3"; do
	wait_gone "$p" 100 || fail "pid $p survived its agent"
done
ok "killing the driver stopped both nodes and their supervisors (PDEATHSIG)"

# A node left without its supervisor, and deaf to SIGTERM: stopped (SIGKILL
# after the bounded wait) before a new one starts; never two at once.
start_driver d3 "$SB" "$SD" a
expect_ok d3 limits 200 1600 3 20 1500
echo ignore-term >"$SB/mode.peer"
expect_ok d3 ensure peer0
cmd d3 wait peer0 ready 20
[[ "$REPLY" == ready* ]] || fail "peer0 not ready under d3: $REPLY"
cmd d3 info peer0
P4=$(json_get "$REPLY" pid); S4=$(json_get "$REPLY" supervisorPid)
PIDS+=("$P4" "$S4")
kill -KILL "$S4"
wait_gone "$S4" 50 || fail "the supervisor did not die"
sleep 0.3
alive "$P4" || fail "the SIGTERM-deaf stand-in died with its supervisor (test premise)"
cmd d3 observe peer0
[[ "$REPLY" == "pending running (pid $P4) without its supervisor"* ]] || fail "orphan: $REPLY"
rm -f "$SB/mode.peer"
expect_ok d3 ensure peer0
alive "$P4" && fail "the orphaned peer0 (pid $P4) still runs"
cmd d3 wait peer0 ready 20
[[ "$REPLY" == ready* ]] || fail "peer0 not restarted after the orphan: $REPLY"
[ "$(count_cmd "$SB/peer")" = 1 ] || fail "$(count_cmd "$SB/peer") peer0 processes"
cmd d3 info peer0
P5=$(json_get "$REPLY" pid); S5=$(json_get "$REPLY" supervisorPid)
PIDS+=("$P5" "$S5")
echo quit >&"${DIN[d3]}"
wait "${DPID[d3]}" || fail "driver d3 exited with an error"
for p in "$P5" "$S5"; do
	wait_gone "$p" 50 || fail "pid $p runs after the runtime was freed"
done
ok "an orphaned node was killed before a new one started; free stopped the rest"

# ---------------------------------------------------------------- part (b)
if [ -z "${FABRIC_BIN:-}" ]; then
	echo "part (b) skipped: FABRIC_BIN not set (a directory with Fabric 2.5's peer and orderer)"
	exit 0
fi
for b in peer orderer; do
	[ -x "$FABRIC_BIN/$b" ] || { echo "part (b) skipped: $FABRIC_BIN/$b not found"; exit 0; }
done
export FABRIC_CFG_PATH=${FABRIC_CFG:-$FABRIC_BIN/../config}
[ -f "$FABRIC_CFG_PATH/core.yaml" ] ||
	{ echo "part (b) skipped: no core.yaml in $FABRIC_CFG_PATH (set FABRIC_CFG)"; exit 0; }

SD=$T/state-b
topology b "$(free_port)" "$(free_port)"
start_driver d4 "$FABRIC_BIN" "$SD" b
expect_ok d4 pki
expect_ok d4 render
cmd d4 wait orderer0 ready 60
[[ "$REPLY" == ready* ]] || fail "the real orderer is not ready: $REPLY"
cmd d4 wait peer0 ready 60
[[ "$REPLY" == ready* ]] || fail "the real peer is not ready: $REPLY"
cmd d4 info orderer0
RO=$(json_get "$REPLY" pid); RSO=$(json_get "$REPLY" supervisorPid)
OPS=$(json_get "$REPLY" operations)
cmd d4 info peer0
RP=$(json_get "$REPLY" pid); RSP=$(json_get "$REPLY" supervisorPid)
POPS=$(json_get "$REPLY" operations)
PIDS+=("$RO" "$RSO" "$RP" "$RSP")
for a in "$OPS" "$POPS"; do
	[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$a/healthz")" = 200 ] ||
		fail "/healthz on $a is not 200"
done
ok "a real orderer and a real peer started through the runtime; both /healthz 200"

cmd d4 partlist orderer0
[ "$REPLY" = "channels 0" ] || fail "channel list on the orderer's admin endpoint: $REPLY"
ok "the orderer's admin endpoint listed its channels over mutual TLS with the org Admin's cert"

sleep 5
cmd d4 observe peer0
[[ "$REPLY" == ready* ]] || fail "the peer did not stay up: $REPLY"
cmd d4 info peer0
[ "$(json_get "$REPLY" pid)" = "$RP" ] || fail "the peer was restarted: $REPLY"
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["restarts"])' \
	"$SD/process/peer0/status.json")" = 0 ] || fail "the peer restarted"
grep -q $'\e\[' "$SD/process/peer0/node.log" && fail "terminal colours in node.log"
grep -q "VMEndpoint not set" "$SD/process/peer0/node.log" && fail "the peer refused vm.endpoint \"\""
ok "the peer stayed up 5 s with Docker off (vm.endpoint \"\")"

expect_ok d4 remove peer0
expect_ok d4 remove orderer0
for p in "$RP" "$RSP" "$RO" "$RSO"; do
	alive "$p" && fail "pid $p still runs after remove"
done
[ -d "$SD/process/orderer0/data/ledger" ] || fail "the orderer's ledger is gone"
echo quit >&"${DIN[d4]}"
wait "${DPID[d4]}" || fail "driver d4 exited with an error"
ok "remove stopped the real peer and orderer; their data is kept"
