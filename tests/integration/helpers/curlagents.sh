# shellcheck shell=bash
# helpers/curlagents.sh: what the workflow scripts that have curl stand in
# for the controller's admin and the orgs' agents share (desired_wake.sh,
# workflow_api.sh, workflow_update.sh). Sourced after lib.sh; the
# functions read, when they are called (sourcing sets drv, C, W and the
# create-channel task ids ORD, P10, P20, A1, A2 of wf_spec's document, and
# fails unless the itest_workflow driver is built):
#   T      the test's directory (lib.sh); agent NAME's client certificate
#          is T/NAME.crt, its key T/NAME.key (agent_csr, agent_enroll)
#   d      the controller's directory (ctrl_init): ca.crt, admin.crt/.key
#   ADDR   the controller's address the script talks to
#   C, W   the consortium and, for wf and wait_for, the workflow
#   AGENTS the agents hb heartbeats (default "org1 org2")
#   AGENT_MAX_TIME  gc's curl --max-time in seconds (default 20)
#
#   drv    the itest_workflow driver (wf_pki)
#
#   wf_spec MEMBERS N [TAIL]
#               the document trade-finance: Org1MSP (peer0, orderer0) to
#               OrgNMSP (peer0 each), TAIL (YAML lines) after OrgN's peers,
#               channel trade with consenter Org1MSP/orderer0 and members
#               MEMBERS
#   json PYEXPR the value of PYEXPR over d, the JSON on stdin
#   ac CURLARGS... PATH      curl as the admin
#   gc NAME CURLARGS... PATH curl as agent NAME
#   hb          every agent of AGENTS heartbeats
#   wf          workflow W's record
#   wait_in WF WHAT PYEXPR [SECS]
#               polls workflow WF's record (in T/rec) at most SECS (20)
#               until PYEXPR holds; fails naming WHAT; with WAIT_HB set,
#               hb every 10 s meanwhile
#   wait_for WHAT PYEXPR [SECS]   wait_in W
#   step_state NAME, task_state ID
#               the Python expression of step NAME's, task ID's state
#   answer NAME TASK BODY    prints the HTTP code; the answer is in T/ans
#   desired NAME             agent NAME's desired state in T/des.NAME
#   desired_tasks NAME       the ids of its tasks
#   wf_pki SPEC N            org N's PKI (T/pkiN) made by the itest_workflow
#                            driver $drv for SPEC; what its agent
#                            publishes in T/pubN
#   wf_publish N             agent orgN publishes T/pubN's MSP and endpoints

# shellcheck disable=SC2034  # read by the sourcing scripts
drv=$FABFED_BUILD/tests/itest_workflow
[ -x "$drv" ] || fail "$drv is not built"
C=trade-finance
W=create-channel-trade
ORD=$W.join-orderer.Org1MSP.orderer0
P10=$W.join-peer.Org1MSP.peer0
P20=$W.join-peer.Org2MSP.peer0
A1=$W.anchor-peers.Org1MSP
A2=$W.anchor-peers.Org2MSP

wf_spec() {
	local o
	cat <<EOS
apiVersion: fabfed.io/v1alpha1
kind: Consortium
metadata: {name: trade-finance}
spec:
  orgs:
    - mspId: Org1MSP
      domain: org1.example.com
      cluster: {name: c1, region: r1}
      peers:
        - {name: peer0, endpoint: peer0.org1.example.com:7051, anchor: true}
      orderers:
        - {name: orderer0, endpoint: orderer0.org1.example.com:7050}
EOS
	for ((o = 2; o <= $2; o++)); do
		cat <<EOS
    - mspId: Org${o}MSP
      domain: org$o.example.com
      cluster: {name: c$o, region: r$o}
      peers:
        - {name: peer0, endpoint: peer0.org$o.example.com:7051, anchor: true}
EOS
	done
	[ -z "${3:-}" ] || printf '%s\n' "$3"
	cat <<EOS
  channels:
    - name: trade
      consenters: [Org1MSP/orderer0]
      members: [$1]
EOS
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

ac() {
	local path=${*: -1}
	set -- "${@:1:$#-1}"
	curl -sS --max-time 20 --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key" \
		"$@" "https://$ADDR$path"
}

gc() {
	local name=$1
	shift
	local path=${*: -1}
	set -- "${@:1:$#-1}"
	curl -sS --max-time "${AGENT_MAX_TIME:-20}" --cacert "$d/ca.crt" --cert "$T/$name.crt" --key "$T/$name.key" \
		"$@" "https://$ADDR$path"
}

hb() {
	local o
	for o in ${AGENTS:-org1 org2}; do gc $o -X POST -o /dev/null /v1/agent/heartbeat; done
}

wf() { ac "/v1/consortia/$C/workflows/$W"; }

wait_in() {
	local i n=$(( ${4:-20} * 5 ))
	for ((i = 0; i < n; i++)); do
		if ac "/v1/consortia/$C/workflows/$1" >"$T/rec" 2>/dev/null &&
			[ "$(json "$3" <"$T/rec" 2>/dev/null)" = True ]; then
			return 0
		fi
		[ -n "${WAIT_HB:-}" ] && (( i % 50 == 49 )) && hb
		sleep 0.2
	done
	fail "$2: the record is $(cat "$T/rec")"
}

wait_for() { wait_in "$W" "$@"; }

step_state() { echo "[s['state'] for s in d['steps'] if s['name'] == '$1'][0]"; }
task_state() { echo "[t for s in d['steps'] for t in s.get('tasks', []) if t['id'] == '$1'][0]['state']"; }
answer() { gc "$1" -X PUT --data-binary "$3" -o "$T/ans" -w '%{http_code}' "/v1/agent/tasks/$2"; }
desired() { gc "$1" "/v1/agent/desired?since=0&timeout=0" >"$T/des.$1" || fail "desired $1"; }
desired_tasks() { desired "$1" && json '" ".join(t["id"] for t in d["tasks"])' <"$T/des.$1"; }

wf_pki() {
	"$drv" publish "$1" Org${2}MSP "$T/pki$2" >"$T/pub$2" || fail "itest_workflow publish Org${2}MSP"
}

wf_publish() {
	json 'json.dumps(d["msp"])' <"$T/pub$1" >"$T/msp$1"
	json 'json.dumps(d["endpoints"])' <"$T/pub$1" >"$T/eps$1"
	[ "$(gc org$1 -X PUT --data-binary @"$T/msp$1" -o "$T/o" -w '%{http_code}' /v1/agent/msp)" = 200 ] || fail "msp org$1: $(cat "$T/o")"
	[ "$(gc org$1 -X PUT --data-binary @"$T/eps$1" -o "$T/o" -w '%{http_code}' /v1/agent/endpoints)" = 200 ] || fail "endpoints org$1: $(cat "$T/o")"
}
