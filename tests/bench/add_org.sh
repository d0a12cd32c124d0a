#!/usr/bin/env bash
# Add-org time against the number of member orgs: a real etcd and a real
# controller (its workflow engine) on 127.0.0.1 ephemeral ports, and
# SIMULATED agents (tests/bench/sim_agents.py: the real agent API with
# real enrolled certificates and real published MSP material, but tasks
# answered at once, no Fabric nodes, no signer). For each size N it
# creates a channel of N orgs, then adds org N+1 to it and times the
# add-org workflow from the apply to "succeeded": collect, prepare, the
# signatures of a MAJORITY of the N orgs (asked of all N at once), submit,
# the new org's join and anchor peers. It should grow with the number of
# round trips, not with N. Prints figures; asserts nothing about time.
#
#   tests/bench/add_org.sh [BUILD_DIR]
#
# Environment: SIZES (default "3 10 30"), DELAYS (ms, default "0 50"; the
# delay is emulated in the simulated agents before each request, since this
# kernel has no sch_netem to delay the link itself).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
for b in bin/fabfed-controller bin/fabfedctl tests/itest_workflow; do
	[ -x "$build/$b" ] || { echo "$build/$b is missing: build first" >&2; exit 2; }
done
command -v etcd >/dev/null || { echo "etcd is not installed" >&2; exit 77; }
sizes=${SIZES:-3 10 30}
delays=${DELAYS:-0 50}
for v in $sizes $delays; do
	[[ "$v" =~ ^[0-9]+$ ]] && ((v <= 100)) || { echo "SIZES and DELAYS: numbers up to 100" >&2; exit 2; }
done
export FABFED_SRC=$top FABFED_BIN=$build/bin
. "$top/tests/integration/etcd_lib.sh"
((BASH_VERSINFO[0] >= 5)) || { echo "bash 5 is needed (EPOCHREALTIME)" >&2; exit 2; }

T=$(mktemp -d /tmp/fabfed-addorg.XXXXXX)
ctl_pid='' sim_pid=''
cleanup() {
	local p
	for p in $sim_pid $ctl_pid; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	etcd_stop_all
	rm -rf "$T"
}
trap cleanup EXIT

spec() {  # spec N MEMBERS: N+1 orgs declared, the first MEMBERS in channel trade
	local n=$1 m=$2 i
	echo "apiVersion: fabfed.io/v1alpha1"
	echo "kind: Consortium"
	echo "metadata: {name: bench}"
	echo "spec:"
	echo "  orgs:"
	for ((i = 1; i <= n + 1; i++)); do
		echo "    - {mspId: Org${i}MSP, domain: org${i}.bench.example.com, cluster: {name: c$i, region: r$i},"
		echo "       peers: [{name: peer0, endpoint: \"10.0.$i.1:7051\", anchor: true}],"
		echo "       orderers: [{name: orderer0, endpoint: \"10.0.$i.1:7050\"}]}"
	done
	echo "  channels:"
	printf '    - {name: trade, consenters: [Org1MSP/orderer0, Org2MSP/orderer0, Org3MSP/orderer0], members: ['
	for ((i = 1; i <= m; i++)); do printf 'Org%dMSP%s' "$i" "$([ $i -lt "$m" ] && echo ', ')"; done
	echo ']}'
}

wstate() {  # wstate ID: the workflow's state, or "" if absent
	curl -sS --max-time 5 --cacert "$T/ctl/ca.crt" --cert "$T/ctl/admin.crt" --key "$T/ctl/admin.key" \
		"https://$addr/v1/consortia/bench/workflows/$1" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin).get("state",""))' 2>/dev/null || true
}
wait_state() {  # wait_state ID SECONDS
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		case "$(wstate "$1")" in succeeded) return 0 ;; failed) return 1 ;; esac
		sleep 0.05
	done
	return 1
}

run_one() {  # run_one N DELAY_MS: prints the add-org seconds
	local n=$1 delay=$2 i
	rm -rf "$T/ctl" "$T"/org* "$T"/*.yaml
	etcd_stop_all
	etcd_start "$T/etcd-$n-$delay" >/dev/null
	"$build/bin/fabfed-controller" init --state-dir "$T/ctl" >/dev/null 2>&1
	"$build/bin/fabfed-controller" run --state-dir "$T/ctl" --listen 127.0.0.1:0 \
		--etcd "$ETCD_ENDPOINT" >"$T/ctl.log" 2>&1 &
	ctl_pid=$!
	for ((i = 0; i < 100; i++)); do [ -s "$T/ctl/controller.addr" ] && break; sleep 0.1; done
	addr=$(cat "$T/ctl/controller.addr")
	ctl() { "$build/bin/fabfedctl" --config "$T/ctl/admin.conf" "$@"; }
	for ((i = 0; i < 100; i++)); do ctl get consortia >/dev/null 2>&1 && break; sleep 0.1; done
	spec "$n" "$n" >"$T/before.yaml"
	spec "$n" $((n + 1)) >"$T/after.yaml"
	ctl apply -f "$T/before.yaml" >/dev/null
	for ((i = 1; i <= n + 1; i++)); do
		mkdir -p "$T/org$i"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$T/org$i/agent.key" -out "$T/org$i/agent.csr" -subj "/CN=org$i" 2>/dev/null
		tok=$(ctl token create --consortium bench --org "Org${i}MSP" 2>/dev/null)
		python3 -c 'import json,sys; print(json.dumps({"token": sys.argv[1], "csr": open(sys.argv[2]).read()}))' \
			"$tok" "$T/org$i/agent.csr" >"$T/org$i/req"
		curl -sS --max-time 20 --cacert "$T/ctl/ca.crt" -X POST --data-binary @"$T/org$i/req" \
			"https://$addr/v1/enroll" | python3 -c 'import json,sys; open(sys.argv[1],"w").write(json.load(sys.stdin)["certificate"])' "$T/org$i/agent.crt"
		"$build/tests/itest_workflow" publish "$T/after.yaml" "Org${i}MSP" "$T/org$i/pki" >"$T/org$i/pub"
		for what in msp endpoints; do
			python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))[sys.argv[2]]))' \
				"$T/org$i/pub" "$what" >"$T/org$i/$what"
			curl -sS --max-time 20 --cacert "$T/ctl/ca.crt" --cert "$T/org$i/agent.crt" \
				--key "$T/org$i/agent.key" -X PUT --data-binary @"$T/org$i/$what" \
				-o /dev/null "https://$addr/v1/agent/$what"
		done
	done
	python3 "$top/tests/bench/sim_agents.py" "$addr" "$T/ctl/ca.crt" "$delay" "$T"/org* \
		>"$T/sim.log" 2>&1 &
	sim_pid=$!
	wait_state create-channel-trade 120 || { tail "$T/ctl.log" >&2; echo "create-channel did not succeed" >&2; return 1; }
	local t0 t1
	t0=$EPOCHREALTIME
	ctl apply -f "$T/after.yaml" >/dev/null
	wait_state "add-org-trade-Org$((n + 1))MSP" 120 || { tail "$T/ctl.log" >&2; echo "add-org did not succeed" >&2; return 1; }
	t1=$EPOCHREALTIME
	signs=$(grep -c "add-org-trade-Org$((n + 1))MSP.update-sign" "$T/sim.log" || true)
	kill -TERM "$sim_pid" "$ctl_pid" 2>/dev/null || true
	wait "$sim_pid" "$ctl_pid" 2>/dev/null || true
	sim_pid='' ctl_pid=''
	awk -v a="$t0" -v b="$t1" -v s="$signs" 'BEGIN { printf "%.2f %d\n", b - a, s }'
}

echo "add-org: apply of org N+1 to workflow succeeded; simulated agents (see the header); one run each"
printf '%-12s %-10s %12s %16s\n' "member orgs" "delay ms" "add-org s" "signatures sent"
for delay in $delays; do
	for n in $sizes; do
		read -r secs signs < <(run_one "$n" "$delay")
		printf '%-12s %-10s %12s %16s\n' "$n" "$delay" "$secs" "$signs"
	done
done
