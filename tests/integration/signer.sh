# signer.sh: the org admin's signer as a real process (itest_signer serve,
# which is signer_main with two test-only kinds registered): socket and
# state-dir modes, PING, SIGN accepted / refused / unknown kind, garbage and
# oversized messages, concurrent clients, a signature checked by openssl(1),
# one signer per socket, a stale socket after SIGKILL, bad key/cert pairs,
# and SIGTERM -> exit 0 with the socket removed. Nothing leaves the host:
# ipc sockets in a temporary directory only.
set -u

: "${FABFED_SRC:?FABFED_SRC is not set (run under ctest)}"
: "${FABFED_BUILD:?FABFED_BUILD is not set (run under ctest)}"
itest=$FABFED_BUILD/tests/itest_signer
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }
command -v openssl >/dev/null || { echo "openssl(1) not installed"; exit 77; }

T=$(mktemp -d /tmp/fabfed-signer.XXXXXX)
PIDS=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

fail() { echo "FAIL (signer): $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

cleanup() {
	local rc=$? pid log
	set +e
	for pid in $PIDS; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
	for log in "$T"/*.log; do
		[ -f "$log" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|Sanitizer has encountered|runtime error:' "$log"; then
			echo "sanitizer report in $log:" >&2
			cat "$log" >&2
			rc=1
		fi
	done
	if [ "$rc" != 0 ]; then
		for log in "$T"/*.log; do
			[ -f "$log" ] && { echo "--- $log"; tail -40 "$log"; } >&2
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

# start NAME MODE STATE-DIR [options...]: a signer in the background; sets PID.
start() {
	local name=$1 mode=$2 dir=$3
	shift 3
	"$itest" "$mode" --state-dir "$dir" "$@" >>"$T/$name.log" 2>&1 &
	PID=$!
	PIDS="$PIDS $PID"
}

# wait_socket PID PATH: until PATH is a socket (bounded 10 s) or PID exits.
wait_socket() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$2" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop PID [SIGNAL]: signal and wait (bounded 10 s); exit status in STOP_RC.
stop() {
	local i
	kill -"${2:-TERM}" "$1" 2>/dev/null
	for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$1" 2>/dev/null && { kill -KILL "$1"; wait "$1"; fail "pid $1 ignored SIG${2:-TERM}"; }
	wait "$1"
	STOP_RC=$?
}

# The org admin's identity, made with openssl(1): PKCS#8 P-256 key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/admin.key" -out "$T/admin.crt" -days 2 \
	-subj "/O=Org1MSP/OU=admin/CN=Admin@org1.example.com" 2>/dev/null ||
	fail "openssl could not make the admin identity"
grep -q "BEGIN PRIVATE KEY" "$T/admin.key" || fail "admin key is not PKCS#8"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/other.key" -out "$T/other.crt" -days 2 -subj "/CN=other" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes \
	-keyout "$T/rsa.key" -out "$T/rsa.crt" -days 2 -subj "/O=Org1MSP/CN=rsa" 2>/dev/null

# Usage and start-up errors.
"$itest" serve-bare --key "$T/admin.key" >"$T/usage.out" 2>&1
rc=$?
[ "$rc" = 2 ] || fail "missing --state-dir/--cert: exit $rc, want 2"
grep -q -- "--state-dir, --key and --cert are required" "$T/usage.out" || fail "usage message: $(cat "$T/usage.out")"
ok "missing options: exit 2 with usage"

"$itest" serve-bare --state-dir "$T/bad1" --key "$T/other.key" --cert "$T/admin.crt" >"$T/mismatch.out" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "key of another cert: exit $rc, want 1"
grep -q "does not belong to the certificate" "$T/mismatch.out" || fail "mismatch message: $(cat "$T/mismatch.out")"
[ -e "$T/bad1/signer.sock" ] && fail "a signer that did not start left a socket"
ok "key/cert mismatch refused: $(grep -o 'the key in .*' "$T/mismatch.out" | head -1)"

"$itest" serve-bare --state-dir "$T/bad2" --key "$T/rsa.key" --cert "$T/rsa.crt" >"$T/rsa.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "must be ECDSA P-256" "$T/rsa.out" || fail "RSA admin key: exit $rc: $(cat "$T/rsa.out")"
ok "RSA admin key refused"

"$itest" serve-bare --state-dir "$T/bad3" --key "$T/other.key" --cert "$T/other.crt" >"$T/nomsp.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q -- "--msp-id is needed" "$T/nomsp.out" || fail "no MSP ID: exit $rc: $(cat "$T/nomsp.out")"
ok "certificate without O and no --msp-id refused"

"$itest" serve-bare --state-dir "$T/bad4" --key "$T/admin.key" --cert "$T/admin.crt" \
	--socket "tcp://127.0.0.1:0" >"$T/tcp.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "listen only on ipc://" "$T/tcp.out" || fail "tcp socket: exit $rc: $(cat "$T/tcp.out")"
ok "non-ipc socket URL refused"

# The signer, with the two test kinds.
STATE=$T/state
SOCK=$STATE/signer.sock
URL=ipc://$SOCK
start signer serve "$STATE" --key "$T/admin.key" --cert "$T/admin.crt"
SIGNER=$PID
wait_socket "$SIGNER" "$SOCK" || fail "signer did not make $SOCK"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode $(stat -c %a "$SOCK"), want 600"
[ "$(stat -c %a "$STATE")" = 700 ] || fail "state dir mode $(stat -c %a "$STATE"), want 700"
ok "socket $SOCK is 0600 in a 0700 state dir"

mkdir -p "$T/out"
timeout 120 "$itest" client "$URL" "$T/admin.crt" "$T/out" >"$T/client.out" 2>&1 ||
	{ cat "$T/client.out" >&2; fail "client checks"; }
cat "$T/client.out"
kill -0 "$SIGNER" 2>/dev/null || fail "signer died during the client checks"
ok "PING, SIGN accepted/refused/unknown, malformed, garbage, oversized, concurrent"

# The signature, checked by something we did not write.
openssl x509 -in "$T/admin.crt" -pubkey -noout >"$T/admin.pub"
openssl dgst -sha256 -verify "$T/admin.pub" -signature "$T/out/sig.der" \
	"$T/out/payload.bin" >"$T/dgst.out" 2>&1 || fail "openssl dgst: $(cat "$T/dgst.out")"
grep -q "Verified OK" "$T/dgst.out" || fail "openssl dgst said: $(cat "$T/dgst.out")"
ok "openssl dgst -verify: $(cat "$T/dgst.out")"

# The log says what was signed and refused, never the key or the payload.
grep -q "signed kind itest.prefix, payload 40 bytes sha256 $(sha256sum "$T/out/payload.bin" | cut -c1-64)" "$T/signer.log" ||
	fail "no log line for the signed payload"
grep -q "refused kind itest.prefix.*: the payload does not start with" "$T/signer.log" || fail "no log line for the refusal"
grep -q "refused kind fabric.sign-anything.*unknown request kind" "$T/signer.log" || fail "no log line for the unknown kind"
grep -q "error: message of 13 bytes is shorter" "$T/signer.log" || fail "no log line for garbage"
grep -q "PAYLOAD-NOT-FOR-LOGS" "$T/signer.log" && fail "the payload text is in the log"
grep -v -- "-----" "$T/admin.key" >"$T/key.lines"
[ -s "$T/key.lines" ] || fail "no key lines to look for"
grep -qF -f "$T/key.lines" "$T/signer.log" "$T/client.out" && fail "key material in a log"
grep -q "PRIVATE" "$T/signer.log" && fail "PRIVATE in the log"
ok "log: signed (kind, sha256) and refusals with reasons; no key, no payload"

# One signer per socket: a second is refused and the first keeps serving.
"$itest" serve --state-dir "$STATE" --key "$T/admin.key" --cert "$T/admin.crt" >"$T/second.log" 2>&1
rc=$?
[ "$rc" = 1 ] || fail "second signer on the same socket: exit $rc, want 1"
grep -q "is in use: another process listens there" "$T/second.log" || fail "second signer said: $(cat "$T/second.log")"
"$itest" ping "$URL" || fail "first signer stopped serving after a second one tried"
ok "second signer on the same socket refused; first still serves"

# SIGTERM: exit 0, socket removed.
stop "$SIGNER" TERM
[ "$STOP_RC" = 0 ] || fail "signer exit status $STOP_RC after SIGTERM, want 0"
[ -e "$SOCK" ] && fail "socket $SOCK left after SIGTERM"
grep -q "stopped by signal 15" "$T/signer.log" || fail "no stop line in the log"
ok "SIGTERM: exit 0, socket removed ($(grep -o 'stopped by signal.*' "$T/signer.log"))"

# SIGKILL leaves a stale socket; the next signer replaces it.
start killed serve "$STATE" --key "$T/admin.key" --cert "$T/admin.crt"
wait_socket "$PID" "$SOCK" || fail "signer (2) did not start"
stop "$PID" KILL
[ -S "$SOCK" ] || fail "expected a stale socket after SIGKILL"
start restarted serve "$STATE" --key "$T/admin.key" --cert "$T/admin.crt" --log-format json
RESTARTED=$PID
for ((i = 0; i < 100; i++)); do
	"$itest" ping "$URL" 2>/dev/null && break
	kill -0 "$RESTARTED" 2>/dev/null || fail "signer after a stale socket exited: $(cat "$T/restarted.log")"
	sleep 0.1
done
"$itest" ping "$URL" || fail "signer after a stale socket does not answer"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "replaced socket mode $(stat -c %a "$SOCK")"
grep -q '"level":' "$T/restarted.log" || fail "--log-format json did not log JSON"
stop "$RESTARTED" INT
[ "$STOP_RC" = 0 ] || fail "signer exit status $STOP_RC after SIGINT"
[ -e "$SOCK" ] && fail "socket left after SIGINT"
ok "stale socket replaced after SIGKILL; SIGINT exits 0"

# The signer as shipped registers no kind: it signs nothing.
start bare serve-bare "$T/bare" --key "$T/admin.key" --cert "$T/admin.crt" \
	--socket "ipc://$T/bare.sock" --msp-id Org1MSP
BARE=$PID
wait_socket "$BARE" "$T/bare.sock" || fail "bare signer did not start"
timeout 60 "$itest" client-bare "ipc://$T/bare.sock" || fail "bare signer checks"
stop "$BARE" TERM
[ "$STOP_RC" = 0 ] && [ ! -e "$T/bare.sock" ] || fail "bare signer stop: rc $STOP_RC"
ok "signer without kinds refuses everything, names why"
echo "signer: all checks passed"
