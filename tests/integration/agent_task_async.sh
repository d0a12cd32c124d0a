# agent_task_async.sh: a task that blocks does not stall the member agent
# (member-agent/agent_tasks.c runs tasks_run on a worker thread).
#
# A real etcd, a real controller, a real fabfed-agent with the process
# runtime and its real signer. The org's peer and orderer are STAND-INS,
# not Fabric: python3 scripts named peer and orderer that serve /healthz
# on their operations port, and whose orderer admin endpoint (channel
# participation) accepts TCP connections and never answers a byte. The
# create-channel workflow hands the agent a join-orderer task, which
# therefore blocks for its whole bound (TASKS_TASK_MS, 30 s) and ends in
# "retry". While it runs:
#   - `fabfedctl agent status` answers at once and names the running task;
#   - the agent's heartbeats keep arriving: its etcd lease (30 s TTL) is
#     renewed, keeps its ID, never drops near expiry, and the controller
#     shows the org "ready";
# and afterwards the "retry" result reaches the controller (the workflow
# counts the attempt) and STATE/tasks.json.
# Shutdown: SIGTERM during a task waits for it (bounded), keeps its result
# unsent, exits 0; the restarted agent sends that result first. A second
# SIGTERM while waiting ends the agent at once, without the result.
#
# Runs without Fabric (FABRIC_BIN is not needed). Everything listens on
# 127.0.0.1 ephemeral ports; every process is stopped by its PID.
: "${FABFED_SRC:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }
command -v etcdctl >/dev/null || { echo "etcdctl not installed: skipped"; exit 77; }

C=asyncorg
W=create-channel-trade
TASK=$W.join-orderer.Org1MSP.orderer0
SD=$T/a1

# The agent's children (the signer, the runtime's supervisors and stand-in
# nodes) die with it; any left over are stopped here, by PID, before
# lib.sh's cleanup.
_async_exit() {
	local rc=$? f p
	set +e
	for p in $CTRL_PIDS; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.5
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' 2>/dev/null <"$f" | grep -qE -- "$SD/|$SB/"; then
			p=${f#/proc/}
			p=${p%/cmdline}
			[ "$p" != "$$" ] && kill -KILL "$p" 2>/dev/null
		fi
	done
	for f in "$T"/*.log "$SD"/signer.log; do
		[ -f "$f" ] && grep -q "ThreadSanitizer" "$f" && {
			echo "ThreadSanitizer report in $f:" >&2
			cat "$f" >&2
			rc=1
		}
	done
	(exit "$rc")
	_cleanup
}
trap _async_exit EXIT

# ---- stand-in Fabric binaries -------------------------------------------
SB=$T/standin/bin
mkdir -p "$SB" "$T/standin/config"
cp "$FABFED_SRC/tests/unit/fixtures/rt_process/core.yaml" \
	"$FABFED_SRC/tests/unit/fixtures/rt_process/orderer.yaml" "$T/standin/config/"
cat >"$SB/peer" <<'EOF'
#!/usr/bin/env python3
# STAND-IN for Fabric's peer/orderer (agent_task_async.sh): not Fabric.
# /healthz 200 on the operations port; the main port and an orderer's
# admin port accept connections and never answer (a hung node).
import http.server, json, os, socket, sys, threading
kind = os.path.basename(sys.argv[0])
cfg = os.environ["FABRIC_CFG_PATH"]
if kind == "peer":
    c = json.load(open(cfg + "/core.yaml"))
    ops = c["operations"]["listenAddress"]
    lst = [("main", c["peer"]["listenAddress"])]
else:
    c = json.load(open(cfg + "/orderer.yaml"))
    ops = c["Operations"]["ListenAddress"]
    lst = [("main", "%s:%s" % (c["General"]["ListenAddress"], c["General"]["ListenPort"])),
           ("admin", c["Admin"]["ListenAddress"])]
print(f"standin {kind}: pid {os.getpid()}", flush=True)
held = []
def hold(name, ls):
    while True:
        conn, peer = ls.accept()
        held.append(conn)   # kept open, never read, never written
        print(f"standin {kind}: {name} port accepted {peer}; never answering", flush=True)
for name, a in lst:
    h, p = a.rsplit(":", 1)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((h, int(p)))
    ls.listen(16)
    threading.Thread(target=hold, args=(name, ls), daemon=True).start()
    print(f"standin {kind}: {name} port {a} accepts", flush=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status":"OK"}'
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
h, p = ops.rsplit(":", 1)
http.server.HTTPServer((h, int(p)), H).serve_forever()
EOF
cp "$SB/peer" "$SB/orderer"
chmod 755 "$SB/peer" "$SB/orderer"

# ---- controller, consortium, agent --------------------------------------
etcd_start "$T/etcd" >/dev/null
d=$T/ctl
ctrl_init "$d"
ctrl_start "$d" ctl --etcd "$ETCD_ENDPOINT"
cat >"$T/consortium.yaml" <<EOF
apiVersion: fabfed.io/v1alpha1
kind: Consortium
metadata: {name: $C}
spec:
  orgs:
    - mspId: Org1MSP
      domain: org1.example.com
      cluster: {name: here, region: r1}
      peers: [{name: peer0, endpoint: "127.0.0.1:$(free_port)", anchor: true}]
      orderers: [{name: orderer0, endpoint: "127.0.0.1:$(free_port)"}]
  channels:
    - {name: trade, consenters: [Org1MSP/orderer0], members: [Org1MSP]}
EOF
expect_rc 0 ctl "$d" apply -f "$T/consortium.yaml"
tok=$(ctl "$d" token create --consortium $C --org Org1MSP 2>/dev/null)
"$FABFED_BIN/fabfed-agent" enroll --controller "https://$CTRL_ADDR" --token "$tok" \
	--state-dir "$SD" >"$T/enroll.log" 2>&1 || fail "enroll: $(cat "$T/enroll.log")"

AGENT_PID=""
start_agent() {
	FABRIC_CFG_PATH=$T/standin/config "$FABFED_BIN/fabfed-agent" run --state-dir "$SD" \
		--poll-timeout 5 --runtime process --fabric-bin "$SB" >>"$T/agent.log" 2>&1 &
	AGENT_PID=$!
	CTRL_PIDS="$CTRL_PIDS $AGENT_PID"
}
# stop_agent SIGNAL TENTHS: signal the agent, wait at most TENTHS x 0.1 s;
# STOP_RC is its exit status, STOP_SECS how long it took.
stop_agent() {
	local i t0=$EPOCHREALTIME
	kill -"$1" "$AGENT_PID"
	for ((i = 0; i < $2; i++)); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$AGENT_PID" 2>/dev/null && { kill -KILL "$AGENT_PID"; fail "the agent did not exit in $(($2 / 10)) s after SIG$1"; }
	STOP_RC=0
	wait "$AGENT_PID" || STOP_RC=$?
	STOP_SECS=$(python3 -c "print(round($EPOCHREALTIME - $t0, 1))")
}
# status: `fabfedctl agent status -o json` into $T/status.json; its exit
# status, and how long it took in STATUS_SECS.
status() {
	local t0=$EPOCHREALTIME rc=0
	"$FABFED_BIN/fabfedctl" agent status --state-dir "$SD" -o json >"$T/status.json" 2>"$T/status.err" || rc=$?
	STATUS_SECS=$(python3 -c "print(round($EPOCHREALTIME - $t0, 2))")
	return $rc
}
jget() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
# wait_running ATTEMPT SECS: until status names TASK running its ATTEMPTth run.
wait_running() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		if status 2>/dev/null && [ "$(jget "$T/status.json" \
		    "(d.get('runningTask') or {}).get('id') == '$TASK' and d['runningTask']['attempt'] == $1")" = True ]; then
			return 0
		fi
		sleep 0.2
	done
	cat "$T/status.json" "$T/status.err" >&2 || true
	fail "task $TASK (attempt $1) was not seen running in $2 s"
}
lease_of() {   # the heartbeat's etcd lease: "ID TTL" (TTL: seconds left)
	local id
	id=$(etcdctl --endpoints "$ETCD_ENDPOINT" get "/fabfed/v1/agents/$C/Org1MSP" -w json |
		python3 -c 'import json,sys; k=json.load(sys.stdin).get("kvs") or []; print("%x" % k[0]["lease"] if k and k[0].get("lease") else "")')
	[ -n "$id" ] || { echo "none -1"; return 0; }
	echo "$id $(etcdctl --endpoints "$ETCD_ENDPOINT" lease timetolive "$id" -w json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["ttl"])')"
}
org_state() {
	acurl "$d" "/v1/consortia/$C/orgs/Org1MSP" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'
}
task_log() {   # the agent's tasks.json entry of TASK, field $1
	python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["tasks"].get(sys.argv[2]) or {}; print(json.dumps(e.get(sys.argv[3])))' \
		"$SD/tasks.json" "$TASK" "$1"
}
wf_task() {    # the controller's record of TASK, field $1
	acurl "$d" "/v1/consortia/$C/workflows/$W" | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    for t in s.get("tasks") or []:
        if t["id"] == sys.argv[1]:
            print(json.dumps(t.get(sys.argv[2]))); sys.exit(0)
print("null")' "$TASK" "$1"
}

start_agent
echo "== the join-orderer task blocks on the stand-in's admin endpoint"
wait_running 1 120
t_start=$EPOCHREALTIME
grep -q "standin orderer: admin port accepted" "$SD"/process/orderer0/node.log 2>/dev/null ||
	{ sleep 2; grep -q "standin orderer: admin port accepted" "$SD"/process/orderer0/node.log; } ||
	fail "the task did not dial the orderer's admin endpoint (stand-in)"
ok "task $TASK is running (the agent answers status while it runs)"

# While it runs (its bound is 30 s): sample about once a second for 22 s.
read -r lease0 ttl0 < <(lease_of)
[ "$lease0" != none ] || fail "the agent has no heartbeat lease"
min_ttl=$ttl0 renewals=0 prev=$ttl0 max_status=0 running_seen=0 n=0
for ((i = 0; i < 60; i++)); do
	python3 -c "import sys; sys.exit(0 if $EPOCHREALTIME - $t_start < 22 else 1)" || break
	sleep 0.5
	n=$((n + 1))
	status || fail "fabfedctl agent status did not answer while the task ran: $(cat "$T/status.err")"
	max_status=$(python3 -c "print(max($max_status, $STATUS_SECS))")
	[ "$(jget "$T/status.json" "(d.get('runningTask') or {}).get('id') == '$TASK'")" = True ] &&
		running_seen=$((running_seen + 1))
	read -r lid ttl < <(lease_of)
	[ "$lid" = "$lease0" ] || fail "the heartbeat lease changed ($lease0 -> $lid) while the task ran: it had expired"
	[ "$ttl" -lt "$min_ttl" ] && min_ttl=$ttl
	[ "$ttl" -gt "$prev" ] && renewals=$((renewals + 1))
	prev=$ttl
	[ "$(org_state)" = ready ] || fail "the controller shows Org1MSP $(org_state) while its task runs"
done
elapsed=$(python3 -c "print(round($EPOCHREALTIME - $t_start, 1))")
echo "sampled ${elapsed} s ($n samples): status answered in at most ${max_status} s," \
	"task running in $running_seen, lease TTL min ${min_ttl} s, $renewals renewals"
[ "$n" -ge 5 ] || fail "only $n samples in 22 s"
[ "$running_seen" = "$n" ] || fail "status showed the task running in only $running_seen of $n samples"
python3 -c "import sys; sys.exit(0 if $max_status < 3 else 1)" ||
	fail "status took ${max_status} s while the task ran"
[ "$renewals" -ge 1 ] || fail "no heartbeat renewed the lease in 22 s of the task"
[ "$min_ttl" -ge 12 ] || fail "the heartbeat lease fell to ${min_ttl} s left (heartbeats every 10 s keep it >= 19)"
ok "during the task: heartbeats renewed the lease $renewals times (never under ${min_ttl} s left), org ready, status live"
# The table names it too.
"$FABFED_BIN/fabfedctl" agent status --state-dir "$SD" >"$T/status.txt" 2>&1 ||
	fail "fabfedctl agent status (table): $(cat "$T/status.txt")"
grep -q "^Running task *$TASK (attempt 1)$" "$T/status.txt" ||
	fail "the status table does not name the running task: $(cat "$T/status.txt")"

echo "== the result arrives afterwards"
for ((i = 0; i < 300; i++)); do
	[ "$(task_log sent 2>/dev/null)" = true ] && [ "$(wf_task attempts 2>/dev/null)" != null ] &&
		[ "$(wf_task attempts)" -ge 1 ] && break
	sleep 0.2
done
[ "$(task_log state)" = '"retry"' ] || fail "tasks.json: state $(task_log state), want retry"
[ "$(task_log sent)" = true ] || fail "tasks.json: the result was not acknowledged"
[ "$(task_log attempts)" = 1 ] || fail "tasks.json: attempts $(task_log attempts), want 1"
[ "$(wf_task attempts)" -ge 1 ] || fail "the controller counts $(wf_task attempts) attempts, want >= 1"
msg=$(wf_task message)
contains "$msg" "timed out"
ok "the retry result reached the controller: $msg"

echo "== SIGTERM during a task: waits for it, keeps its result unsent, exits 0"
wait_running 2 60
stop_agent TERM 600
[ "$STOP_RC" = 0 ] || fail "the agent exited $STOP_RC after SIGTERM"
grep -q "task $TASK: waiting for it to end" "$T/agent.log" || fail "the agent did not say it waits for the task"
[ "$(task_log attempts)" = 2 ] || fail "tasks.json: attempts $(task_log attempts) after the stop, want 2"
[ "$(task_log sent)" = false ] || fail "tasks.json: the second result is marked sent"
ok "stopped in ${STOP_SECS} s, the second attempt's result kept unsent"

start_agent
for ((i = 0; i < 300; i++)); do
	[ "$(wf_task attempts)" -ge 2 ] && [ "$(task_log sent)" = true ] && break
	sleep 0.2
done
[ "$(wf_task attempts)" -ge 2 ] || fail "the restarted agent did not send the kept result (attempts $(wf_task attempts))"
ok "the restarted agent sent the kept result first"

echo "== a second SIGTERM while waiting ends the agent at once"
wait_running 3 60
n0=$(grep -c "task $TASK: waiting for it to end" "$T/agent.log" || true)
kill -TERM "$AGENT_PID"
for ((i = 0; i < 50; i++)); do
	[ "$(grep -c "task $TASK: waiting for it to end" "$T/agent.log" || true)" -gt "$n0" ] && break
	sleep 0.1
done
[ "$i" -lt 50 ] || fail "the agent did not start waiting for its task after SIGTERM"
stop_agent TERM 50
[ "$STOP_RC" = 143 ] || fail "after a second SIGTERM the agent exited $STOP_RC, want 143 (killed by SIGTERM)"
[ "$(task_log attempts)" = 2 ] || fail "tasks.json: attempts $(task_log attempts), want 2 (the third run's result is not kept)"
ok "second SIGTERM: gone in ${STOP_SECS} s; the unfinished run is not recorded (it runs again after a restart)"
echo PASS
