#!/usr/bin/env bash
# Memory footprint of fabfed-agent and the latency from `fabfed-agent
# enroll` to the org's MSP being visible at the controller. A real etcd and
# a real controller are started here on 127.0.0.1 ephemeral ports, one real
# agent (manifests runtime) enrolls for an org of 4 peers and 3 orderers,
# and everything is stopped by PID at the end. Prints figures and the
# targets; asserts nothing about memory or time (it fails only if the
# system under measurement does not come up or does not converge).
#
#   tests/bench/agent_footprint.sh [BUILD_DIR]
#
# Environment: IDLE_SECS (default 11: one heartbeat period and some long
# polls) is how long the idle agent is sampled.
#
# Memory figures come from /proc/PID/status: VmHWM (the peak resident set
# since start, or since the peak was reset through /proc/PID/clear_refs)
# and VmRSS (now), sampled every 50 ms. For figures that mean something,
# build without sanitizers first:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build-rel
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
bin=$build/bin
idle_secs=${IDLE_SECS:-11}
if ! [[ "$idle_secs" =~ ^[0-9]+$ ]] || ((idle_secs < 1 || idle_secs > 300)); then
	echo "IDLE_SECS must be 1..300 seconds" >&2
	exit 2
fi
for b in fabfed-controller fabfed-agent fabfedctl; do
	[ -x "$bin/$b" ] || { echo "$bin/$b is missing: build first" >&2; exit 2; }
done
[ -r /proc/self/status ] || { echo "no /proc: cannot measure RSS here" >&2; exit 77; }
command -v etcd >/dev/null || { echo "etcd is not installed" >&2; exit 77; }
((BASH_VERSINFO[0] >= 5)) || { echo "bash 5 is needed (EPOCHREALTIME)" >&2; exit 2; }
export FABFED_SRC=$top
. "$top/tests/integration/etcd_lib.sh"

T=$(mktemp -d /tmp/fabfed-bench.XXXXXX)
ctl_pid='' agent_pid='' sampler_pid=''
TARGET_KIB=$((8 * 1024))
C=footprint
BIG=BigOrgMSP

# stop PID: SIGTERM, wait (bounded), then SIGKILL.
stop() {
	local p=$1 i
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}
cleanup() {
	local rc=$?
	set +e
	stop "$sampler_pid"
	stop "$agent_pid"
	stop "$ctl_pid"
	etcd_stop_all
	if [ "$rc" != 0 ]; then
		for f in "$T"/*.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
die() { echo "agent_footprint: $*" >&2; exit 1; }

# now_ms: wall clock in milliseconds (bash builtin, no fork).
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
# mib KIB: "x.y MiB".
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
# status_kib PID FIELD: FIELD (VmHWM, VmRSS) of PID in KiB, or empty.
status_kib() {
	local k v _
	while read -r k v _; do
		[ "$k" = "$2:" ] && { echo "$v"; return 0; }
	done <"/proc/$1/status" 2>/dev/null || true
}
# reset_peak PID: reset VmHWM to the current RSS (Linux >= 4.0); 0 if done.
reset_peak() { { echo 5 >"/proc/$1/clear_refs"; } 2>/dev/null; }

# sampler PID FILE: "ms VmRSS VmHWM RssAnon" every 50 ms until PID exits or
# FILE.stop appears (at most 10 minutes).
sampler() {
	local p=$1 out=$2 i rss hwm anon k v _
	for ((i = 0; i < 12000; i++)); do
		[ -e "$out.stop" ] && break
		rss='' hwm='' anon=''
		while read -r k v _; do
			case $k in
			VmRSS:) rss=$v ;;
			VmHWM:) hwm=$v ;;
			RssAnon:) anon=$v ;;
			esac
		done <"/proc/$p/status" 2>/dev/null || break
		# No VmRSS for a moment (an exec in progress): skip the sample.
		[ -n "$rss" ] || { kill -0 "$p" 2>/dev/null && { sleep 0.01; continue; }; break; }
		echo "$(now_ms) $rss $hwm ${anon:-0}" >>"$out"
		sleep 0.05
	done
}
sample_start() {   # sample_start FILE: sample $agent_pid into FILE
	rm -f "$1" "$1.stop"
	: >"$1"
	sampler "$agent_pid" "$1" &
	sampler_pid=$!
}
sample_stop() {    # sample_stop FILE: stop the sampler (bounded)
	local i
	touch "$1.stop"
	for ((i = 0; i < 50; i++)); do kill -0 "$sampler_pid" 2>/dev/null || break; sleep 0.05; done
	stop "$sampler_pid"
	sampler_pid=
}
# sample_summary FILE: "count max_rss last_rss max_hwm max_anon" (KiB).
sample_summary() {
	awk '{ n++; if ($2 > r) r = $2; last = $2; if ($3 > h) h = $3; if ($4 > a) a = $4 }
	    END { printf "%d %d %d %d %d\n", n, r, last, h, a }' "$1"
}
# breakdown PID: where the resident set is: private (anonymous) memory,
# file pages (mostly shared libraries, shared with other processes), and
# the proportional share (Pss) if smaps_rollup is readable.
breakdown() {
	local pss k v _
	pss=$(while read -r k v _; do [ "$k" = "Pss:" ] && echo "$v"; done \
		<"/proc/$1/smaps_rollup" 2>/dev/null || true)
	[ -n "$pss" ] && pss=$(mib "$pss") || pss=n/a
	printf 'RssAnon %s, RssFile %s, Pss %s' "$(mib "$(status_kib "$1" RssAnon)")" \
		"$(mib "$(status_kib "$1" RssFile)")" "$pss"
}

# top_files PID: the 5 mapped files with the most resident KiB.
top_files() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { f = NF >= 6 ? $6 : "" }
	    $1 == "Rss:" && f ~ /^\// { r[f] += $2 }
	    END { for (f in r) printf "%d %s\n", r[f], f }' "/proc/$1/smaps" 2>/dev/null |
	    sort -rn | head -n 5 | while read -r k f; do
		printf '%s %s, ' "${f##*/}" "$(mib "$k")"
	done | sed 's/, $//'
}

# tslog FILE: copy stdin to FILE, each line prefixed with its arrival time
# in ms (the agent's text log has no timestamps of its own).
tslog() {
	local line
	while IFS= read -r line; do
		printf '%s %s\n' "$(now_ms)" "$line"
	done >>"$1"
}
# log_ms FILE PATTERN: arrival time of the first line matching PATTERN.
log_ms() { grep -m 1 -E -- "$2" "$1" | cut -d ' ' -f 1 || true; }
# wait_log FILE PATTERN SECONDS: wait until a line matches (bounded).
wait_log() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -E -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$agent_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_agent LOG: fabfed-agent run, stderr time-stamped into LOG.
start_agent() {
	"$bin/fabfed-agent" run --state-dir "$T/agent" --poll-timeout 1 \
		>>"$T/agent.out" 2> >(tslog "$1") &
	local i exe
	agent_pid=$!
	exe=$(readlink -f "$bin/fabfed-agent")
	# Measure the agent, not the shell that is about to exec it (bounded).
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink "/proc/$agent_pid/exe" 2>/dev/null)" = "$exe" ] && return 0
		sleep 0.005
	done
	die "fabfed-agent (pid $agent_pid) did not start"
}

# acurl PATH: the controller as the admin.
acurl() {
	curl -sS --max-time 10 --cacert "$T/ctl/ca.crt" --cert "$T/ctl/admin.crt" \
		--key "$T/ctl/admin.key" "https://$ctl_addr$1"
}
ctl() { "$bin/fabfedctl" --config "$T/ctl/admin.conf" "$@"; }

# The consortium: BigOrgMSP has 4 peers and 3 orderers; two small orgs have
# one of each. The channel's consenters are all 5 orderers.
cat >"$T/consortium.yaml" <<'EOF'
apiVersion: fabfed.io/v1alpha1
kind: Consortium
metadata:
  name: footprint
spec:
  fabricVersion: "2.5"
  orgs:
    - mspId: BigOrgMSP
      domain: big.example.com
      cluster: {name: big-prod, region: eu-west}
      peers:
        - {name: peer0, endpoint: peer0.big.example.com:7051, anchor: true}
        - {name: peer1, endpoint: peer1.big.example.com:7051}
        - {name: peer2, endpoint: peer2.big.example.com:7051}
        - {name: peer3, endpoint: peer3.big.example.com:7051}
      orderers:
        - {name: orderer0, endpoint: orderer0.big.example.com:7050}
        - {name: orderer1, endpoint: orderer1.big.example.com:7050}
        - {name: orderer2, endpoint: orderer2.big.example.com:7050}
    - mspId: SmallAMSP
      domain: a.example.com
      cluster: {name: a-prod, region: eu-central}
      peers:
        - {name: peer0, endpoint: peer0.a.example.com:7051, anchor: true}
      orderers:
        - {name: orderer0, endpoint: orderer0.a.example.com:7050}
    - mspId: SmallBMSP
      domain: b.example.com
      cluster: {name: b-prod, region: eu-north}
      peers:
        - {name: peer0, endpoint: peer0.b.example.com:7051, anchor: true}
      orderers:
        - {name: orderer0, endpoint: orderer0.b.example.com:7050}
  channels:
    - name: settlement
      consenters: [BigOrgMSP/orderer0, BigOrgMSP/orderer1, BigOrgMSP/orderer2,
                   SmallAMSP/orderer0, SmallBMSP/orderer0]
      members: [BigOrgMSP, SmallAMSP, SmallBMSP]
      policies: {admins: MAJORITY, endorsement: MAJORITY}
EOF

# etcd and the controller.
etcd_start "$T/etcd" >/dev/null || die "etcd did not start"
"$bin/fabfed-controller" init --state-dir "$T/ctl" >"$T/init.log" 2>&1 ||
	die "fabfed-controller init failed"
"$bin/fabfed-controller" run --state-dir "$T/ctl" --listen 127.0.0.1:0 \
	--etcd "$ETCD_ENDPOINT" >"$T/ctl.log" 2>&1 &
ctl_pid=$!
ctl_addr=
for ((i = 0; i < 300; i++)); do
	kill -0 "$ctl_pid" 2>/dev/null || die "the controller exited"
	if [ -s "$T/ctl/controller.addr" ]; then
		ctl_addr=$(cat "$T/ctl/controller.addr")
		[ "$(acurl /readyz 2>/dev/null)" = ready ] && break
	fi
	sleep 0.1
done
[ "$(acurl /readyz 2>/dev/null)" = ready ] || die "the controller is not ready after 30 s"
ctl apply -f "$T/consortium.yaml" >"$T/apply.log" 2>&1 || die "apply failed: $(cat "$T/apply.log")"
tok=$(ctl token create --consortium "$C" --org "$BIG" 2>"$T/token.log") ||
	die "token create failed: $(cat "$T/token.log")"

sanitized=no
nm "$bin/fabfed-agent" 2>/dev/null | grep -q __asan_init &&
	sanitized="YES (ASan+UBSan: memory figures are meaningless, rebuild without)"
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
echo "$("$bin/fabfed-agent" version 2>/dev/null | head -n 1), build ${btype:-unknown}, sanitizers: $sanitized"
echo "controller https://$ctl_addr, etcd $ETCD_ENDPOINT, $(nproc) cores, $(uname -sr)"
echo "consortium $C: $BIG with 4 peers + 3 orderers, SmallAMSP and SmallBMSP with 1 + 1 (not running)"
echo

# Phase 1: enroll, then run; the MSP is polled at the controller every 20 ms.
enroll_peak=
t0=$(now_ms)
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f '%M' -o "$T/enroll.time" "$bin/fabfed-agent" enroll \
		--controller "https://$ctl_addr" --token "$tok" --state-dir "$T/agent" \
		>"$T/enroll.log" 2>&1 || die "enroll failed: $(cat "$T/enroll.log")"
	enroll_peak=$(tail -n 1 "$T/enroll.time")
else
	"$bin/fabfed-agent" enroll --controller "https://$ctl_addr" --token "$tok" \
		--state-dir "$T/agent" >"$T/enroll.log" 2>&1 || die "enroll failed: $(cat "$T/enroll.log")"
fi
t_enrolled=$(now_ms)
t_run=$t_enrolled
start_agent "$T/agent1.log"
sample_start "$T/reconcile1.samples"
t_visible=
for ((i = 0; i < 1500; i++)); do   # 1500 x (20 ms + a request): bounded
	if acurl "/v1/consortia/$C/orgs/$BIG" 2>/dev/null |
	    grep -q '"rootCerts": *\[ *"-----BEGIN CERTIFICATE'; then
		t_visible=$(now_ms)
		break
	fi
	kill -0 "$agent_pid" 2>/dev/null || die "the agent exited"
	sleep 0.02
done
[ -n "$t_visible" ] || die "the MSP of $BIG was not published"
wait_log "$T/agent1.log" "applied revision" 30 || die "the agent applied no revision"
# After its own publication the desired revision moves on once more (the
# org's own records count): let that pass, then the reconcile is over.
sleep 1
sample_stop "$T/reconcile1.samples"
read -r n1 rss1 _ hwm1 anon1 <<<"$(sample_summary "$T/reconcile1.samples")"
hwm1_now=$(status_kib "$agent_pid" VmHWM)
((hwm1_now > hwm1)) && hwm1=$hwm1_now
rss1_after=$(status_kib "$agent_pid" VmRSS)
where1=$(breakdown "$agent_pid")
t_desired=$(log_ms "$T/agent1.log" "desired state of ")
t_pki=$(log_ms "$T/agent1.log" "PKI made new identities")
t_applied=$(log_ms "$T/agent1.log" "applied revision")
nodes=$(find "$T/agent/pki" -name priv_sk 2>/dev/null | wc -l)
nfiles=$(find "$T/agent/manifests" -type f 2>/dev/null | wc -l)

# Signer: run does not start one yet; report it if one is a child.
signer_pid=
while read -r -a kids; do
	for c in "${kids[@]}"; do
		tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null | grep -q ' signer' && signer_pid=$c
	done
done < <(cat /proc/"$agent_pid"/task/*/children 2>/dev/null; echo)
signer_hwm='' signer_rss=''
if [ -n "$signer_pid" ]; then
	signer_hwm=$(status_kib "$signer_pid" VmHWM)
	signer_rss=$(status_kib "$signer_pid" VmRSS)
fi

# Phase 2: idle. The agent is restarted (by PID) so that its peak is the
# idle one: enrolled, converged, resuming from its revision, long-polling
# (1 s) and beating.
stop "$agent_pid"
agent_pid=
start_agent "$T/agent2.log"
wait_log "$T/agent2.log" "resuming after revision" 10 || die "the restarted agent did not resume"
sleep 1
sample_start "$T/idle.samples"
sleep "$idle_secs"
sample_stop "$T/idle.samples"
where2=$(breakdown "$agent_pid")
files2=$(top_files "$agent_pid")
read -r n2 rss2 last2 hwm2 anon2 <<<"$(sample_summary "$T/idle.samples")"
idle_reconciled=no
grep -q "desired state of " "$T/agent2.log" && idle_reconciled=yes

# Phase 3: a reconcile on the running, converged agent (kept keys, new
# manifests): peer3 moves to CouchDB. The peak is reset first if the
# kernel allows it, so it is this reconcile's.
peak3_reset=no
reset_peak "$agent_pid" && peak3_reset=yes
sample_start "$T/reconcile2.samples"
sed 's/{name: peer3, endpoint: peer3.big.example.com:7051}/{name: peer3, endpoint: peer3.big.example.com:7051, stateDatabase: couchdb}/' \
	"$T/consortium.yaml" >"$T/consortium2.yaml"
ctl apply -f "$T/consortium2.yaml" >>"$T/apply.log" 2>&1 || die "the second apply failed"
napplied=$(grep -c "applied revision" "$T/agent2.log" || true)
for ((i = 0; i < 600; i++)); do
	(($(grep -c "applied revision" "$T/agent2.log" || true) > napplied)) && break
	kill -0 "$agent_pid" 2>/dev/null || die "the agent exited"
	sleep 0.05
done
(($(grep -c "applied revision" "$T/agent2.log" || true) > napplied)) ||
	die "the spec change was not applied in 30 s"
sleep 0.5
sample_stop "$T/reconcile2.samples"
where3=$(breakdown "$agent_pid")
read -r n3 rss3 last3 hwm3 anon3 <<<"$(sample_summary "$T/reconcile2.samples")"
grep -rqi couchdb "$T/agent/manifests" || echo "note: no CouchDB sidecar was rendered for peer3"

# The table.
row() { printf '%-44s %10s %10s %10s %10s %7s\n' "$@"; }
row "agent (4 peers + 3 orderers)" "VmHWM" "VmRSS max" "VmRSS end" "anon max" "samples"
row "first run (PKI, publish; 1 s after)" "$(mib "$hwm1")" "$(mib "$rss1")" "$(mib "$rss1_after")" "$(mib "$anon1")" "$n1"
row "idle ($idle_secs s: restarted, converged, polling)" "$(mib "$hwm2")" "$(mib "$rss2")" "$(mib "$last2")" "$(mib "$anon2")" "$n2"
row "reconcile of a spec change (peak reset: $peak3_reset)" "$(mib "$hwm3")" "$(mib "$rss3")" "$(mib "$last3")" "$(mib "$anon3")" "$n3"
if [ -n "$signer_pid" ]; then
	row "signer (pid $signer_pid)" "$(mib "$signer_hwm")" "-" "$(mib "$signer_rss")" "-" "1"
else
	row "signer" "-" "-" "-" "-" "-"
	echo "  (no signer process: fabfed-agent run does not start one yet)"
fi
[ -n "$enroll_peak" ] && row "fabfed-agent enroll (its own process)" "$(mib "$enroll_peak")" "-" "-" "-" "-"
echo "where the agent's RSS is: after the first run: $where1"
echo "                          idle:                $where2"
echo "                          after the change:    $where3"
echo "largest file mappings, idle: ${files2:-n/a}"
peak=$hwm1
((hwm2 > peak)) && peak=$hwm2
((hwm3 > peak)) && peak=$hwm3
verdict="met"
((peak >= TARGET_KIB)) && verdict="NOT met"
echo "target: agent peak RSS under $(mib "$TARGET_KIB"): highest peak $(mib "$peak"): $verdict"
[ "$idle_reconciled" = yes ] && echo "note: the restarted agent reconciled during the idle window"
echo "$nodes private keys made by the agent, $nfiles manifest files rendered"
echo

ms() { [ -n "$1" ] && [ -n "$2" ] && echo "$(($2 - $1)) ms" || echo "n/a"; }
row2() { printf '%-58s %10s\n' "$@"; }
row2 "enroll -> MSP published (admin GET, polled every 20 ms)" "$(ms "$t0" "$t_visible")"
row2 "  enroll (token + CSR -> certificate)" "$(ms "$t0" "$t_enrolled")"
row2 "  run start -> desired state received" "$(ms "$t_enrolled" "$t_desired")"
row2 "  first reconcile (PKI generation, manifests)" "$(ms "$t_desired" "$t_pki")"
row2 "  publish (PUT msp -> visible to the admin)" "$(ms "$t_pki" "$t_visible")"
row2 "run start -> first revision applied (msp, endpoints, status)" "$(ms "$t_run" "$t_applied")"
echo "(log times are the arrival of each agent log line, in ms; a poll"
echo " costs one curl + TLS handshake on top of its 20 ms sleep)"
