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
#
# The end is seen by one poller on one keep-alive connection every 10 ms
# (not a curl and a python3 per look, which cost more than a round trip).
# Beside the time: the desired-state requests the controller answered
# during the add-org (they grow with N: every agent reads the new
# document once, every member its sign task once), and the controller's
# CPU seconds over it.
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
watch_state() {  # watch_state ID SECONDS: "<unix time seen> <state>" once it ends
	python3 - "$addr" "$T/ctl" "$1" "$2" <<'EOF'
import http.client, json, ssl, sys, time
addr, d, wid, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
host, port = addr.rsplit(":", 1)
ctx = ssl.create_default_context(cafile=d + "/ca.crt")
ctx.check_hostname = False
ctx.load_cert_chain(d + "/admin.crt", d + "/admin.key")
c, end, st = None, time.time() + secs, ""
while time.time() < end:
    try:
        if c is None:
            c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=5)
        c.request("GET", "/v1/consortia/bench/workflows/" + wid)
        r = c.getresponse()
        body = r.read()
        st = json.loads(body).get("state", "") if r.status == 200 else ""
    except (OSError, http.client.HTTPException, ValueError):
        c = None
    if st in ("succeeded", "failed"):
        print("%.6f %s" % (time.time(), st))
        sys.exit(0)
    time.sleep(0.01)
print("%.6f timeout" % time.time())
EOF
}
ctl_metric() {  # ctl_metric ROUTE: the controller's count of 200 answers on ROUTE
	curl -sS --max-time 5 --cacert "$T/ctl/ca.crt" --cert "$T/ctl/admin.crt" --key "$T/ctl/admin.key" \
		"https://$addr/metrics" | awk -v r="route=\"$1\",code=\"200\"" 'index($0, r) { n = $2 } END { print n + 0 }'
}
ctl_cpu() {  # ctl_cpu: the controller's CPU time so far, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$ctl_pid/stat"
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
	local t0 t1 st d0 d1 c0 c1
	d0=$(ctl_metric /v1/agent/desired)
	c0=$(ctl_cpu)
	t0=$EPOCHREALTIME
	ctl apply -f "$T/after.yaml" >/dev/null
	read -r t1 st < <(watch_state "add-org-trade-Org$((n + 1))MSP" 120)
	[ "$st" = succeeded ] || { tail "$T/ctl.log" >&2; echo "add-org did not succeed ($st)" >&2; return 1; }
	c1=$(ctl_cpu)
	d1=$(ctl_metric /v1/agent/desired)
	signs=$(grep -c "add-org-trade-Org$((n + 1))MSP.update-sign" "$T/sim.log" || true)
	kill -TERM "$sim_pid" "$ctl_pid" 2>/dev/null || true
	wait "$sim_pid" "$ctl_pid" 2>/dev/null || true
	sim_pid='' ctl_pid=''
	awk -v a="$t0" -v b="$t1" -v s="$signs" -v d=$((d1 - d0)) -v c=$((c1 - c0)) \
		-v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f %d %d %.2f\n", b - a, s, d, c / hz }'
}

echo "add-org: apply of org N+1 to workflow succeeded; simulated agents (see the header); one run each"
printf '%-12s %-10s %12s %16s %14s %10s\n' "member orgs" "delay ms" "add-org s" "signatures sent" \
	"desired polls" "ctl cpu s"
for delay in $delays; do
	for n in $sizes; do
		read -r secs signs polls cpu < <(run_one "$n" "$delay")
		printf '%-12s %-10s %12s %16s %14s %10s\n' "$n" "$delay" "$secs" "$signs" "$polls" "$cpu"
	done
done
