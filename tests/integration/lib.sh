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
