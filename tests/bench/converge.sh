#!/usr/bin/env bash
# Apply-to-converged for a 3-org consortium with REAL Fabric 2.5 processes
# (FABRIC_BIN): a real etcd and controller, three real agents with the
# process runtime, each org one peer and one orderer, all on 127.0.0.1.
#
#   phase 1: apply the orgs (no channel) -> every org ready (PKI made,
#            orderer and peer started and healthy)
#   phase 2: apply the channel -> `fabfedctl apply --wait` returns
#            (genesis, 3 orderer joins, 3 peer joins, 3 anchor updates)
#
# Phase 2 is split into Fabric's time and fabfed's: for each step of the
# workflow, the slowest org's task (from the agent's "task ...: running"
# log line to its result, millisecond timestamps of --log-format json) is
# Fabric's time (the join calls, the config fetch, the broadcast and the
# block commit the agent waits for); the rest of the wall time is fabfed's
# (long polls, the controller's steps, results, signer round trips inside
# a task are counted as Fabric's). Prints figures; asserts nothing.
#
#   tests/bench/converge.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
[ -n "${FABRIC_BIN:-}" ] || { echo "FABRIC_BIN is not set: this measures real Fabric processes" >&2; exit 77; }
for b in fabfed-controller fabfed-agent fabfedctl; do
	[ -x "$build/bin/$b" ] || { echo "$build/bin/$b is missing: build first" >&2; exit 2; }
done
export FABFED_SRC=$top FABFED_BIN=$build/bin
. "$top/tests/integration/etcd_lib.sh"
((BASH_VERSINFO[0] >= 5)) || { echo "bash 5 is needed (EPOCHREALTIME)" >&2; exit 2; }
if grep -q '^FABFED_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
	echo "NOTE: $build is a sanitizer build; fabfed's share is inflated"
fi

T=$(mktemp -d /tmp/fabfed-converge.XXXXXX)
pids=''
cleanup() {
	local p
	for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	etcd_stop_all
	rm -rf "$T"
}
trap cleanup EXIT
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

etcd_start "$T/etcd" >/dev/null
"$build/bin/fabfed-controller" init --state-dir "$T/ctl" >/dev/null 2>&1
"$build/bin/fabfed-controller" run --state-dir "$T/ctl" --listen 127.0.0.1:0 \
	--etcd "$ETCD_ENDPOINT" --log-format json >"$T/ctl.log" 2>&1 &
pids="$pids $!"
for ((i = 0; i < 100; i++)); do [ -s "$T/ctl/controller.addr" ] && break; sleep 0.1; done
addr=$(cat "$T/ctl/controller.addr")
ctl() { "$build/bin/fabfedctl" --config "$T/ctl/admin.conf" "$@"; }
for ((i = 0; i < 100; i++)); do ctl get consortia >/dev/null 2>&1 && break; sleep 0.1; done

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
orgs="" cons="" mems=""
for n in 1 2 3; do
	orgs+="    - {mspId: Org${n}MSP, domain: org$n.example.com, cluster: {name: c$n, region: r$n},
       peers: [{name: peer0, endpoint: \"127.0.0.1:$(port)\", anchor: true}],
       orderers: [{name: orderer0, endpoint: \"127.0.0.1:$(port)\"}]}
"
	cons+="Org${n}MSP/orderer0, " mems+="Org${n}MSP, "
done
head="apiVersion: fabfed.io/v1alpha1
kind: Consortium
metadata: {name: bench}
spec:
  orgs:
$orgs"
printf '%s' "$head" >"$T/orgs.yaml"
printf '%s  channels:\n    - {name: trade, consenters: [%s], members: [%s], batch: {timeout: 200ms}}\n' \
	"$head" "${cons%, }" "${mems%, }" >"$T/channel.yaml"

t0=$EPOCHREALTIME
ctl apply -f "$T/orgs.yaml" >/dev/null
for n in 1 2 3; do
	tok=$(ctl token create --consortium bench --org Org${n}MSP 2>/dev/null)
	"$build/bin/fabfed-agent" enroll --controller "https://$addr" --token "$tok" \
		--state-dir "$T/a$n" >/dev/null 2>&1
	"$build/bin/fabfed-agent" run --state-dir "$T/a$n" --poll-timeout 5 --runtime process \
		--fabric-bin "$FABRIC_BIN" --log-format json >"$T/agent$n.log" 2>&1 &
	pids="$pids $!"
done
for ((i = 0; i < 600; i++)); do
	[ "$(ctl get orgs --consortium bench 2>/dev/null | grep -c ' ready ')" = 3 ] && break
	sleep 0.1
done
t1=$EPOCHREALTIME
ctl apply -f "$T/channel.yaml" --wait --timeout 4m >"$T/wait.out" 2>&1 ||
	{ cat "$T/wait.out"; echo "apply --wait failed" >&2; exit 1; }
t2=$EPOCHREALTIME

python3 - "$(ms "$t1" "$t2")" "$T"/agent[123].log <<'PY'
import json, sys, datetime, re
wall = int(sys.argv[1])
start, end = {}, {}
def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
for path in sys.argv[2:]:
    for line in open(path):
        try:
            o = json.loads(line)
        except ValueError:
            continue
        m = re.match(r"task (\S+): (running|done|rendered|failed|retry)", o.get("msg", ""))
        if not m:
            continue
        tid, what = m.groups()
        if what == "running":
            start.setdefault(tid, t(o["ts"]))
        else:
            end[tid] = t(o["ts"])
steps = {}
for tid, s in start.items():
    if tid in end:
        step = tid.split(".")[1]
        steps[step] = max(steps.get(step, 0), end[tid] - s)
fabric = sum(steps.values()) * 1000
print("  %-40s %8d ms" % ("apply of the channel -> converged", wall))
for step in ("join-orderer", "join-peer", "anchor-peers"):
    print("    %-38s %8.0f ms" % ("Fabric: slowest " + step + " task", steps.get(step, 0) * 1000))
print("  %-40s %8.0f ms" % ("Fabric's share (sum of the above)", fabric))
print("  %-40s %8.0f ms" % ("fabfed's share (the rest)", wall - fabric))
PY
echo "  phase 1, apply of the orgs -> 3 orgs ready (PKI, nodes started): $(ms "$t0" "$t1") ms"
