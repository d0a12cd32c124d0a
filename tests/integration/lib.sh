# lib.sh: helpers for integration tests that run real fabfed daemons.
# Source it after setting nothing; it makes $T (a temp dir), and on exit
# stops every process it started (by PID) and fails the test if a
# sanitizer reported anything in a daemon's log.
set -euo pipefail

: "${FABFED_SRC:?FABFED_SRC is not set (run under ctest)}"
: "${FABFED_BIN:?FABFED_BIN is not set (run under ctest)}"
. "$FABFED_SRC/tests/integration/etcd_lib.sh"

T=$(mktemp -d /tmp/fabfed-test.XXXXXX)
CTRL_PIDS=""
TEST_NAME=$(basename "$0" .sh)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

fail() { echo "FAIL ($TEST_NAME): $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

_cleanup() {
	local rc=$? pid log
	set +e
	for pid in $CTRL_PIDS; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	etcd_stop_all
	for log in "$T"/*.log; do
		[ -f "$log" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$log"; then
			echo "sanitizer report in $log:" >&2
			cat "$log" >&2
			rc=1
		fi
	done
	if [ "$rc" != 0 ]; then
		for log in "$T"/*.log; do
			[ -f "$log" ] && { echo "--- $log"; tail -30 "$log"; } >&2
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap _cleanup EXIT

# ctrl_init DIR: a fresh federation CA and identities in DIR.
ctrl_init() {
	"$FABFED_BIN/fabfed-controller" init --state-dir "$1" >/dev/null
}

# ctrl_start DIR LOGNAME [run options...]: start a controller, wait until it
# is ready (bounded), export CTRL_PID and CTRL_ADDR.
ctrl_start() {
	local dir=$1 name=$2 i
	shift 2
	rm -f "$dir/controller.addr"
	"$FABFED_BIN/fabfed-controller" run --state-dir "$dir" --listen 127.0.0.1:0 "$@" \
		>>"$T/$name.log" 2>&1 &
	CTRL_PID=$!
	CTRL_PIDS="$CTRL_PIDS $CTRL_PID"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$CTRL_PID" 2>/dev/null || { cat "$T/$name.log" >&2; fail "controller $name exited"; }
		if [ -s "$dir/controller.addr" ]; then
			CTRL_ADDR=$(cat "$dir/controller.addr")
			if [ "$(acurl "$dir" -o /dev/null -w '%{http_code}' "/readyz" 2>/dev/null)" = 200 ]; then
				return 0
			fi
		fi
		sleep 0.1
	done
	cat "$T/$name.log" >&2
	fail "controller $name not ready in 30 s"
}

# ctrl_stop PID [SIGNAL]: stop a controller and wait for it (bounded); its
# exit status is left in STOP_RC. Not in a subshell: only the parent can wait.
ctrl_stop() {
	local pid=$1 sig=${2:-TERM} i
	STOP_RC=0
	kill -"$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "controller $pid ignored SIG$sig"; }
	wait "$pid" 2>/dev/null || STOP_RC=$?
	return 0
}

# acurl DIR CURLARGS... PATH: curl the controller of DIR as the admin.
acurl() {
	local dir=$1
	shift
	local path=${*: -1}
	set -- "${@:1:$#-1}"
	curl -sS --max-time 20 --cacert "$dir/ca.crt" --cert "$dir/admin.crt" \
		--key "$dir/admin.key" "$@" "https://$(cat "$dir/controller.addr")$path"
}

# ctl DIR ARGS...: fabfedctl with DIR's admin.conf.
ctl() {
	local dir=$1
	shift
	"$FABFED_BIN/fabfedctl" --config "$dir/admin.conf" "$@"
}

# expect_rc WANT CMD...: run CMD, check its exit code; its output is in $OUT.
expect_rc() {
	local want=$1 rc=0
	shift
	OUT=$("$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || fail "\`$*\` exited $rc, want $want; output:
$OUT"
}

contains() { grep -qF -- "$2" <<<"$1" || fail "expected \"$2\" in:
$1"; }

# Agents driven by curl and the openssl CLI (the controller's side of the
# agent protocol, without fabfed-agent):
# tok_create DIR ORG [TTL]: a join token for ORG in trade-finance.
tok_create() {
	acurl "$1" -X POST -d "{\"org\":\"$2\",\"ttl\":${3:-600}}" /v1/consortia/trade-finance/tokens |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
# agent_csr NAME: $T/NAME.key and $T/NAME.csr (ECDSA P-256).
agent_csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -out "$T/$1.csr" -subj "/CN=$1" 2>/dev/null
}
# agent_enroll DIR TOKEN NAME: prints the HTTP code; the answer is in
# $T/NAME.out and, on 200, the certificate in $T/NAME.crt.
agent_enroll() {
	local code
	python3 -c 'import json,sys; print(json.dumps({"token": sys.argv[1], "csr": open(sys.argv[2]).read()}))' \
		"$2" "$T/$3.csr" >"$T/$3.req"
	code=$(curl -sS --max-time 20 --cacert "$1/ca.crt" -X POST --data-binary @"$T/$3.req" \
		-o "$T/$3.out" -w '%{http_code}' "https://$(cat "$1/controller.addr")/v1/enroll")
	[ "$code" = 200 ] && python3 -c 'import json,sys; open(sys.argv[2],"w").write(json.load(open(sys.argv[1]))["certificate"])' "$T/$3.out" "$T/$3.crt"
	echo "$code"
}
# gcurl DIR NAME CURLARGS... PATH: curl the controller as agent NAME.
gcurl() {
	local dir=$1 name=$2
	shift 2
	local path=${*: -1}
	set -- "${@:1:$#-1}"
	curl -sS --max-time 70 --cacert "$dir/ca.crt" --cert "$T/$name.crt" \
		--key "$T/$name.key" "$@" "https://$(cat "$dir/controller.addr")$path"
}

# ---- Network namespaces (netns_*) ----------------------------------------
# For tests that run a process per "site" in its own network namespace, as
# if each ran in its own cluster on its own network: one namespace per site,
# a veth pair per site whose host end is a port of one bridge, the bridge
# holding NETNS_NET.1/24 in the host namespace. NETNS_NET is a 10.231.X
# prefix that no host address or route uses, picked under a lock so that
# parallel runs do not collide. The namespaces get no default route: the
# only place their processes can reach is that /24. Every name carries
# this shell's PID; netns_init puts netns_teardown on EXIT (before
# _cleanup), which stops the processes netns_spawn started, by PID, and
# deletes the namespaces and links, even on failure.
#
#	netns_check || { echo "skipped: $NETNS_SKIP"; exit 77; }
#	netns_init
#	netns_bridge                    # NETNS_BRIDGE, NETNS_NET, NETNS_HOST_IP
#	netns_site 1                    # namespace NETNS_NS[1], address NETNS_IP[1],
#	                                # host end NETNS_HOSTIF[1], inside: eth0
#	netns_delay 1 50                # netem, both directions (if NETNS_NETEM=1)
#	netns_spawn 1 LOG CMD...        # pid in NETNS_PID
#	netns_bytes 1                   # "RX TX" bytes of the site's eth0
#	netns_cut 1 / netns_heal 1      # the site's link down / up
NETNS_TAG=ffn$$
NETNS_NAMES=""
NETNS_LINKS=""
NETNS_PIDS=""
NETNS_SKIP=""
NETNS_NETEM=0
declare -a NETNS_NS NETNS_IP NETNS_HOSTIF

# netns_check: 0 if this machine lets us make namespaces, veths and a
# bridge; otherwise 1 with the reason in NETNS_SKIP. NETNS_NETEM says
# whether tc can add netem delays (sch_netem is tried quietly).
netns_check() {
	local ns="${NETNS_TAG}-probe" ok=1
	if [ "$(id -u)" != 0 ]; then
		NETNS_SKIP="network namespaces need root (uid $(id -u))"
		return 1
	fi
	command -v ip >/dev/null 2>&1 || { NETNS_SKIP="ip (iproute2) is not installed"; return 1; }
	if ! ip netns add "$ns" 2>/dev/null; then
		NETNS_SKIP="\`ip netns add\` is not allowed here (no CAP_NET_ADMIN or no netns support)"
		return 1
	fi
	if ! ip -n "$ns" link add "${NETNS_TAG}pa" type veth peer name "${NETNS_TAG}pb" 2>/dev/null; then
		NETNS_SKIP="veth pairs cannot be made here (no CAP_NET_ADMIN?)"
		ok=0
	elif ! ip -n "$ns" link add "${NETNS_TAG}pc" type bridge 2>/dev/null; then
		NETNS_SKIP="bridges cannot be made here (no bridge support or no CAP_NET_ADMIN)"
		ok=0
	fi
	NETNS_NETEM=0
	if [ $ok = 1 ] && command -v tc >/dev/null 2>&1; then
		command -v modprobe >/dev/null 2>&1 && modprobe -q sch_netem 2>/dev/null
		ip -n "$ns" link set "${NETNS_TAG}pa" up 2>/dev/null
		tc -n "$ns" qdisc add dev "${NETNS_TAG}pa" root netem delay 1ms 2>/dev/null &&
			NETNS_NETEM=1
	fi
	ip netns del "$ns" 2>/dev/null
	[ $ok = 1 ]
}

# netns_sweep: remove what runs killed with SIGKILL left (their PID is gone).
netns_sweep() {
	local n pid l
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^ffn[0-9]+-' || true); do
		pid=${n#ffn}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null || ip netns del "$n" 2>/dev/null || true
	done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
	    grep -E '^ffn[0-9]+(br|h[0-9]+)$' || true); do
		pid=${l#ffn}
		pid=${pid%%[bh]*}
		kill -0 "$pid" 2>/dev/null || ip link del "$l" 2>/dev/null || true
	done
}

# netns_teardown: stop the processes netns_spawn started (TERM, bounded
# wait, KILL), then delete this run's namespaces and links.
netns_teardown() {
	local pid n l i
	for pid in $NETNS_PIDS; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	NETNS_PIDS=""
	for n in $NETNS_NAMES; do ip netns del "$n" 2>/dev/null || true; done
	NETNS_NAMES=""
	for l in $NETNS_LINKS; do
		ip link show "$l" >/dev/null 2>&1 && ip link del "$l" 2>/dev/null || true
	done
	NETNS_LINKS=""
}

_netns_exit() {
	local rc=$?
	set +e
	netns_teardown
	(exit "$rc")
	_cleanup
}

# netns_init: sweep leftovers of dead runs, tear down on exit and signals.
netns_init() {
	netns_sweep
	trap _netns_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
}

# netns_bridge: the bridge ${NETNS_TAG}br with NETNS_HOST_IP=NETNS_NET.1/24.
netns_bridge() {
	local x i start
	NETNS_BRIDGE=${NETNS_TAG}br
	exec 9>/tmp/fabfed-netns.lock
	flock -w 30 9 || fail "netns: cannot lock /tmp/fabfed-netns.lock"
	start=$(($$ % 254))
	NETNS_NET=""
	for ((i = 0; i < 254; i++)); do
		x=$(((start + i) % 254 + 1))
		if [ -z "$(ip -4 -o addr show to "10.231.$x.0/24" 2>/dev/null)" ] &&
		    [ -z "$(ip -4 route show to match "10.231.$x.1" 2>/dev/null | grep -v '^default' || true)" ]; then
			NETNS_NET=10.231.$x
			break
		fi
	done
	if [ -z "$NETNS_NET" ]; then
		flock -u 9
		fail "netns: every 10.231.X.0/24 is in use on this host"
	fi
	NETNS_HOST_IP=$NETNS_NET.1
	ip link add "$NETNS_BRIDGE" type bridge || { flock -u 9; fail "netns: cannot make bridge $NETNS_BRIDGE"; }
	NETNS_LINKS="$NETNS_LINKS $NETNS_BRIDGE"
	ip addr add "$NETNS_HOST_IP/24" dev "$NETNS_BRIDGE" || { flock -u 9; fail "netns: cannot address $NETNS_BRIDGE"; }
	flock -u 9
	exec 9>&-
	ip link set "$NETNS_BRIDGE" up || fail "netns: cannot bring $NETNS_BRIDGE up"
}

# netns_site N: namespace ${NETNS_TAG}-siteN with eth0 at NETNS_NET.(10+N),
# joined to the bridge by the host end ${NETNS_TAG}hN (an isolated port
# where the kernel allows it: sites reach the host, not each other).
netns_site() {
	local n=$1 ns=${NETNS_TAG}-site$1 h=${NETNS_TAG}h$1 p=${NETNS_TAG}p$1
	NETNS_NS[$n]=$ns
	NETNS_HOSTIF[$n]=$h
	NETNS_IP[$n]=$NETNS_NET.$((10 + n))
	ip netns add "$ns" || fail "netns: cannot add $ns"
	NETNS_NAMES="$NETNS_NAMES $ns"
	ip link add "$h" type veth peer name "$p" || fail "netns: cannot make veth $h"
	NETNS_LINKS="$NETNS_LINKS $h"
	ip link set "$p" netns "$ns" || fail "netns: cannot move $p into $ns"
	ip -n "$ns" link set "$p" name eth0 || fail "netns: cannot rename $p in $ns"
	ip -n "$ns" addr add "${NETNS_IP[$n]}/24" dev eth0 || fail "netns: cannot address eth0 in $ns"
	ip -n "$ns" link set lo up || fail "netns: cannot bring lo up in $ns"
	ip -n "$ns" link set eth0 up || fail "netns: cannot bring eth0 up in $ns"
	ip link set "$h" master "$NETNS_BRIDGE" || fail "netns: cannot put $h on $NETNS_BRIDGE"
	bridge link set dev "$h" isolated on 2>/dev/null || true
	ip link set "$h" up || fail "netns: cannot bring $h up"
}

# netns_delay N MS: netem delay of MS on both ends of site N's link (so a
# round trip takes 2*MS). Does nothing, and says so, without netem.
netns_delay() {
	if [ "$NETNS_NETEM" != 1 ]; then
		[ -n "${_netns_noted:-}" ] ||
			echo "note: tc netem is not available on this kernel: links get no added delay"
		_netns_noted=1
		return 0
	fi
	tc qdisc add dev "${NETNS_HOSTIF[$1]}" root netem delay "$2ms" ||
		fail "netns: netem on ${NETNS_HOSTIF[$1]}"
	tc -n "${NETNS_NS[$1]}" qdisc add dev eth0 root netem delay "$2ms" ||
		fail "netns: netem on eth0 in ${NETNS_NS[$1]}"
}

# netns_spawn N LOG CMD...: run CMD in site N's namespace in the background
# (ip netns exec execs it: NETNS_PID is CMD's own PID), output to LOG.
netns_spawn() {
	local n=$1 log=$2
	shift 2
	ip netns exec "${NETNS_NS[$n]}" "$@" >>"$log" 2>&1 &
	NETNS_PID=$!
	NETNS_PIDS="$NETNS_PIDS $NETNS_PID"
}

# netns_bytes N: "RX TX", the byte counters of site N's eth0.
netns_bytes() {
	local d=/sys/class/net/eth0/statistics
	ip netns exec "${NETNS_NS[$1]}" sh -c "echo \$(cat $d/rx_bytes) \$(cat $d/tx_bytes)"
}

# netns_cut N / netns_heal N: take site N's link (host end) down / up.
netns_cut() { ip link set "${NETNS_HOSTIF[$1]}" down || fail "netns: cannot cut site $1"; }
netns_heal() { ip link set "${NETNS_HOSTIF[$1]}" up || fail "netns: cannot heal site $1"; }
