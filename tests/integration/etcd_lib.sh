# etcd_lib.sh: start a real etcd (or a 3-member cluster) on free 127.0.0.1
# ports for integration tests. Source it:
#
#	. "$FABFED_SRC/tests/integration/etcd_lib.sh"
#	etcd_start "$tmp"           # exports ETCD_ENDPOINT, ETCD_PID
#	etcd_cluster_start "$tmp"   # exports ETCD_ENDPOINTS (comma-separated),
#	                            # ETCD_PIDS (space-separated, member order),
#	                            # ETCD_MEMBER_ENDPOINTS (space-separated)
#	etcd_stop_all               # kills every etcd started here, by PID
#
# The caller owns DIR (a temporary directory) and should `trap etcd_stop_all
# EXIT` (or call it from its own EXIT trap). Ports are chosen by binding port
# 0 and reading what the kernel gave; a port can still be taken between the
# probe and etcd's bind, so a start that fails is retried with new ports
# (a bounded number of times). Run directly (not sourced), this file tests
# itself: single member and cluster start, a put and a get, and clean stop.

ETCD_STARTED_PIDS=${ETCD_STARTED_PIDS:-}

# free_port: print a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
	python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# free_ports N: print N distinct free ports, one a line.
free_ports() {
	python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
for s in socks:
    s.close()
EOF
}

# etcd_wait_healthy URL PID [SECONDS]: wait until /health answers true.
etcd_wait_healthy() {
	local url=$1 pid=$2 secs=${3:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		if curl -fsS --max-time 1 "$url/health" 2>/dev/null |
		    grep -q '"health":"true"'; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

_etcd_kill() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# etcd_stop_all: stop every etcd this shell started (by PID).
etcd_stop_all() {
	local pid
	for pid in $ETCD_STARTED_PIDS; do
		_etcd_kill "$pid"
	done
	ETCD_STARTED_PIDS=
}

# etcd_start DIR: one member; data and log in DIR/etcd-single.
etcd_start() {
	local dir=$1 attempt cport pport d pid ports
	for ((attempt = 0; attempt < 5; attempt++)); do
		ports=$(free_ports 2)
		cport=$(echo "$ports" | sed -n 1p)
		pport=$(echo "$ports" | sed -n 2p)
		d=$dir/etcd-single.$attempt
		mkdir -p "$d"
		etcd --name single --data-dir "$d/data" \
		    --listen-client-urls "http://127.0.0.1:$cport" \
		    --advertise-client-urls "http://127.0.0.1:$cport" \
		    --listen-peer-urls "http://127.0.0.1:$pport" \
		    --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		    --initial-cluster "single=http://127.0.0.1:$pport" \
		    --initial-cluster-state new \
		    --logger zap \
		    --log-outputs "$d/etcd.log" >"$d/stdout" 2>&1 &
		pid=$!
		ETCD_STARTED_PIDS="$ETCD_STARTED_PIDS $pid"
		if etcd_wait_healthy "http://127.0.0.1:$cport" "$pid" 20; then
			export ETCD_ENDPOINT="http://127.0.0.1:$cport"
			export ETCD_PID=$pid
			echo "$ETCD_ENDPOINT"
			return 0
		fi
		echo "etcd_start: attempt $attempt failed; log:" >&2
		tail -n 5 "$d/etcd.log" "$d/stdout" >&2 2>/dev/null
		_etcd_kill "$pid"
	done
	echo "etcd_start: etcd did not start" >&2
	return 1
}

# etcd_cluster_start DIR: three members m0, m1, m2; data in DIR/etcd-mN.
etcd_cluster_start() {
	local dir=$1 attempt i ports cluster ok pids eps members
	local -a cp pp pid
	for ((attempt = 0; attempt < 5; attempt++)); do
		mapfile -t ports < <(free_ports 6)
		cluster=
		for i in 0 1 2; do
			cp[$i]=${ports[$((2 * i))]}
			pp[$i]=${ports[$((2 * i + 1))]}
			cluster="${cluster:+$cluster,}m$i=http://127.0.0.1:${pp[$i]}"
		done
		for i in 0 1 2; do
			mkdir -p "$dir/etcd-m$i.$attempt"
			etcd --name "m$i" --data-dir "$dir/etcd-m$i.$attempt/data" \
			    --listen-client-urls "http://127.0.0.1:${cp[$i]}" \
			    --advertise-client-urls "http://127.0.0.1:${cp[$i]}" \
			    --listen-peer-urls "http://127.0.0.1:${pp[$i]}" \
			    --initial-advertise-peer-urls "http://127.0.0.1:${pp[$i]}" \
			    --initial-cluster "$cluster" \
			    --initial-cluster-token "fabfed-test-$$-$attempt" \
			    --initial-cluster-state new \
			    --logger zap \
			    --log-outputs "$dir/etcd-m$i.$attempt/etcd.log" \
			    >"$dir/etcd-m$i.$attempt/stdout" 2>&1 &
			pid[$i]=$!
			ETCD_STARTED_PIDS="$ETCD_STARTED_PIDS ${pid[$i]}"
		done
		ok=1
		for i in 0 1 2; do
			if ! etcd_wait_healthy "http://127.0.0.1:${cp[$i]}" \
			    "${pid[$i]}" 30; then
				ok=0
				break
			fi
		done
		if ((ok)); then
			pids=
			eps=
			members=
			for i in 0 1 2; do
				pids="${pids:+$pids }${pid[$i]}"
				eps="${eps:+$eps,}http://127.0.0.1:${cp[$i]}"
				members="${members:+$members }http://127.0.0.1:${cp[$i]}"
			done
			export ETCD_PIDS=$pids
			export ETCD_ENDPOINTS=$eps
			export ETCD_MEMBER_ENDPOINTS=$members
			echo "$ETCD_ENDPOINTS"
			return 0
		fi
		echo "etcd_cluster_start: attempt $attempt failed" >&2
		for i in 0 1 2; do
			tail -n 3 "$dir/etcd-m$i.$attempt/etcd.log" >&2 2>/dev/null
			_etcd_kill "${pid[$i]}"
		done
	done
	echo "etcd_cluster_start: the cluster did not start" >&2
	return 1
}

# Self-test when run directly rather than sourced.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
	set -u
	command -v etcd >/dev/null || { echo "etcd not installed"; exit 77; }
	command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
	tmp=$(mktemp -d)
	trap 'etcd_stop_all; rm -rf "$tmp"' EXIT
	fail() { echo "FAIL: $*" >&2; exit 1; }

	p=$(free_port)
	[[ "$p" =~ ^[0-9]+$ ]] && ((p > 0 && p < 65536)) || fail "free_port gave '$p'"

	etcd_start "$tmp" >/dev/null || fail "etcd_start"
	[[ -n "$ETCD_ENDPOINT" && -n "$ETCD_PID" ]] || fail "etcd_start exports"
	kill -0 "$ETCD_PID" || fail "etcd not running"
	# key "a" = YQ==, value "b" = Yg==
	curl -fsS -X POST "$ETCD_ENDPOINT/v3/kv/put" \
	    -d '{"key":"YQ==","value":"Yg=="}' >/dev/null || fail "put"
	curl -fsS -X POST "$ETCD_ENDPOINT/v3/kv/range" -d '{"key":"YQ=="}' |
	    grep -q '"value":"Yg=="' || fail "range"

	etcd_cluster_start "$tmp" >/dev/null || fail "etcd_cluster_start"
	set -- $ETCD_PIDS
	[[ $# -eq 3 ]] || fail "ETCD_PIDS has $# pids"
	IFS=, read -r -a eps <<<"$ETCD_ENDPOINTS"
	[[ ${#eps[@]} -eq 3 ]] || fail "ETCD_ENDPOINTS has ${#eps[@]} entries"
	curl -fsS -X POST "${eps[0]}/v3/kv/put" \
	    -d '{"key":"YQ==","value":"Yw=="}' >/dev/null || fail "cluster put"
	curl -fsS -X POST "${eps[2]}/v3/kv/range" -d '{"key":"YQ=="}' |
	    grep -q '"value":"Yw=="' || fail "cluster range on another member"
	pids=$ETCD_STARTED_PIDS
	etcd_stop_all
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null || fail "etcd $p still running"
	done
	echo "etcd_lib.sh: ok"
	exit 0
fi
