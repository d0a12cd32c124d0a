# scripts/lib/netns.sh: one network namespace per org on one bridge, as if
# each org ran in its own cluster on its own network. Sourced by bash
# (scripts/demo, tests/integration/consortium_fabric.sh); it runs nothing
# when sourced.
#
# The bridge ${NS_TAG}br holds NS_HOST_IP (NS_NET.1/24) in the host
# namespace: that is where the controller listens. Org N's namespace
# ${NS_BASE}-<pid>-orgN has lo and an eth0 at NS_NET.(10+N)/24, the far end
# of a veth whose host end ${NS_TAG}hN is a port of the bridge; the orgs
# reach each other and the host's bridge address, and nothing else (no
# default route). NS_NET is a NS_PREFIX.X that no address or route of this
# host uses, picked under the lock NS_LOCK so that concurrent runs do not
# collide. Every name carries the caller's PID.
#
# The caller sets (before anything else):
#	NS_BASE    namespace names' stem ("fabfed-demo": fabfed-demo-<pid>-org1)
#	NS_STEM    interface names' stem, with the PID at most 10 characters
#	           ("ffd": ffd<pid>br, ffd<pid>h1; Linux allows 15)
#	NS_PREFIX  the /16 to take a /24 from ("10.77")
#	NS_FIRST   the first X tried (0-254; then X+1, ..., wrapping)
#	NS_LOCK    the lock file
# and then:
#	why=$(ns_why)            # empty: namespaces, veths and bridges work
#	ns_bridge || ...         # NS_BRIDGE, NS_NET, NS_HOST_IP; NS_ERR on failure
#	ns_org N || ...          # NS_NS[N], NS_IP[N], NS_HOSTIF[N]
#	ns_exec N CMD...         # CMD in org N's namespace (here without one)
#	ns_kill [TENTHS]         # stop every process left in the namespaces
#	ns_remove                # delete the namespaces and the links
#	ns_sweep                 # remove what dead runs (same stems) left
# NS_NAMES and NS_LINKS list what exists, for ns_kill and ns_remove (and
# for a script that stops a run later: declare -p them with
# declare -f ns_kill ns_remove).

# shellcheck disable=SC2034  # the NS_* variables are for the sourcing script
NS_TAG=${NS_STEM:?NS_STEM is not set}$$
NS_NAMES=""
NS_LINKS=""
NS_ERR=""
NS_NET=""
NS_HOST_IP=""
NS_BRIDGE=""
declare -a NS_NS NS_IP NS_HOSTIF

# ns_why: why this machine does not let us make namespaces, veth pairs and
# a bridge (one line), or nothing if it does.
ns_why() {
	local probe=${NS_TAG}-probe
	[ "$(id -u)" = 0 ] || { echo "network namespaces need root (uid $(id -u))"; return 0; }
	command -v ip >/dev/null 2>&1 || { echo "ip (iproute2) is not installed"; return 0; }
	ip netns add "$probe" 2>/dev/null || { echo "\`ip netns add\` is not allowed here"; return 0; }
	if ! ip -n "$probe" link add "${NS_TAG}pa" type veth peer name "${NS_TAG}pb" 2>/dev/null; then
		echo "veth pairs cannot be made here"
	elif ! ip -n "$probe" link add "${NS_TAG}pc" type bridge 2>/dev/null; then
		echo "bridges cannot be made here"
	fi
	ip netns del "$probe" 2>/dev/null || true
}

# _ns_free X: whether NS_PREFIX.X.0/24 is unused by this host's addresses
# and routes (a default route does not count).
_ns_free() {
	[ -z "$(ip -4 -o addr show to "$NS_PREFIX.$1.0/24" 2>/dev/null)" ] &&
	    [ -z "$(ip -4 route show to match "$NS_PREFIX.$1.1" 2>/dev/null | grep -v '^default' || true)" ]
}

# ns_bridge: pick NS_NET and make the bridge with NS_HOST_IP on it, up.
ns_bridge() {
	local fd i x
	NS_BRIDGE=${NS_TAG}br
	NS_NET=""
	exec {fd}>"$NS_LOCK" || { NS_ERR="cannot open $NS_LOCK"; return 1; }
	if ! flock -w 30 "$fd"; then
		exec {fd}>&-
		NS_ERR="cannot lock $NS_LOCK in 30 s"
		return 1
	fi
	for ((i = 0; i < 255; i++)); do
		x=$(((NS_FIRST + i) % 255))
		if _ns_free "$x"; then
			NS_NET=$NS_PREFIX.$x
			break
		fi
	done
	if [ -z "$NS_NET" ]; then
		exec {fd}>&-
		NS_ERR="every $NS_PREFIX.X.0/24 is in use on this host"
		return 1
	fi
	NS_HOST_IP=$NS_NET.1
	if ! ip link add "$NS_BRIDGE" type bridge; then
		exec {fd}>&-
		NS_ERR="cannot make the bridge $NS_BRIDGE"
		return 1
	fi
	NS_LINKS="$NS_LINKS $NS_BRIDGE"
	if ! ip addr add "$NS_HOST_IP/24" dev "$NS_BRIDGE"; then
		exec {fd}>&-
		NS_ERR="cannot put $NS_HOST_IP/24 on $NS_BRIDGE"
		return 1
	fi
	exec {fd}>&-   # the address is taken: the next run sees it
	ip link set "$NS_BRIDGE" up || { NS_ERR="cannot bring $NS_BRIDGE up"; return 1; }
}

# ns_org N: org N's namespace, its eth0 at NS_NET.(10+N) and the veth to
# the bridge (ns_bridge first).
ns_org() {
	local n=$1 ns=$NS_BASE-$$-org$1 h=${NS_TAG}h$1 p=${NS_TAG}p$1
	NS_NS[$n]=$ns
	NS_HOSTIF[$n]=$h
	NS_IP[$n]=$NS_NET.$((10 + n))
	ip netns add "$ns" || { NS_ERR="cannot add the namespace $ns"; return 1; }
	NS_NAMES="$NS_NAMES $ns"
	ip link add "$h" type veth peer name "$p" || { NS_ERR="cannot make the veth pair $h-$p"; return 1; }
	NS_LINKS="$NS_LINKS $h"
	ip link set "$p" netns "$ns" &&
	    ip -n "$ns" link set "$p" name eth0 &&
	    ip -n "$ns" addr add "${NS_IP[$n]}/24" dev eth0 &&
	    ip -n "$ns" link set lo up &&
	    ip -n "$ns" link set eth0 up ||
		{ NS_ERR="cannot set up eth0 (${NS_IP[$n]}/24) in $ns"; return 1; }
	ip link set "$h" master "$NS_BRIDGE" && ip link set "$h" up ||
		{ NS_ERR="cannot put $h on $NS_BRIDGE"; return 1; }
}

# ns_exec N CMD...: CMD in org N's namespace, or here if org N has none
# (ip netns exec execs CMD: its PID is CMD's, and the environment is kept).
ns_exec() {
	local n=$1
	shift
	if [ -n "${NS_NS[$n]:-}" ]; then ip netns exec "${NS_NS[$n]}" "$@"; else "$@"; fi
}

# ns_kill [TENTHS]: SIGTERM to every process still in the namespaces, up to
# TENTHS tenths of a second (default 50) for them to exit, then SIGKILL.
ns_kill() {
	local n p left i
	for n in $NS_NAMES; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
	done
	for ((i = 0; i < ${1:-50}; i++)); do
		left=""
		for n in $NS_NAMES; do left="$left$(ip netns pids "$n" 2>/dev/null)"; done
		[ -n "$left" ] || return 0
		sleep 0.1
	done
	for n in $NS_NAMES; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	done
}

# ns_remove: delete the namespaces and the links (ns_kill first).
ns_remove() {
	local n l
	for n in $NS_NAMES; do ip netns del "$n" 2>/dev/null || true; done
	NS_NAMES=""
	for l in $NS_LINKS; do
		ip link show "$l" >/dev/null 2>&1 && ip link del "$l" 2>/dev/null || true
	done
	NS_LINKS=""
}

# ns_sweep: the namespaces and links that runs with the same stems left
# when they were killed before they could clean up (their PID no longer
# runs). A namespace something still runs in is left alone.
ns_sweep() {
	local n l pid
	for n in $(ip netns list 2>/dev/null | awk '{ print $1 }' |
	    grep -E "^$NS_BASE-[0-9]+-org[0-9]+\$" || true); do
		pid=${n#"$NS_BASE"-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		[ -z "$(ip netns pids "$n" 2>/dev/null)" ] || continue
		ip netns del "$n" 2>/dev/null || true
	done
	for l in $(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//' |
	    grep -E "^${NS_STEM}[0-9]+(br|h[0-9]+)\$" || true); do
		pid=${l#"$NS_STEM"}
		pid=${pid%%[bh]*}
		kill -0 "$pid" 2>/dev/null || ip link del "$l" 2>/dev/null || true
	done
}
