#!/usr/bin/env bash
# signer_fabric.sh: the real `fabfed-agent signer` with Org1MSP's admin key
# (from a PKI made for the example consortium) and its
# "fabric.config-update" check, driven by itest_signer_fabric over the ipc
# socket: a declared anchor-peer update is signed (the signature verifies
# and is low-S), an update adding an undeclared org is refused with the
# reason, a header whose creator is another identity and a mismatched
# channel are refused, malformed payloads are REFUSED or ERROR and the
# signer keeps serving; SIGTERM then exits 0. Sockets in a temporary
# directory only.
set -u

: "${FABFED_SRC:?FABFED_SRC is not set (run under ctest)}"
: "${FABFED_BUILD:?FABFED_BUILD is not set (run under ctest)}"
: "${FABFED_BIN:?FABFED_BIN is not set (run under ctest)}"
itest=$FABFED_BUILD/tests/itest_signer_fabric
agent=$FABFED_BIN/fabfed-agent
[[ -x "$itest" ]] || { echo "$itest not built"; exit 1; }
[[ -x "$agent" ]] || { echo "$agent not built"; exit 1; }

T=$(mktemp -d /tmp/fabfed-signer-fabric.XXXXXX)
SIGNER=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

fail() { echo "FAIL (signer_fabric): $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

cleanup() {
	local rc=$?
	set +e
	if [ -n "$SIGNER" ] && kill -0 "$SIGNER" 2>/dev/null; then
		kill -TERM "$SIGNER" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$SIGNER" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SIGNER" 2>/dev/null
		wait "$SIGNER" 2>/dev/null
	fi
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|Sanitizer has encountered|runtime error:' "$T"/*.log 2>/dev/null; then
		echo "sanitizer report:" >&2
		cat "$T"/*.log >&2
		rc=1
	fi
	[ "$rc" = 0 ] || { echo "--- signer.log"; tail -40 "$T/signer.log"; } >&2
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

mkdir -p "$T/pki"
"$itest" prepare "$T/pki" >"$T/prepare.log" 2>&1 ||
	fail "cannot prepare the PKIs: $(cat "$T/prepare.log")"
ADMIN="$T/pki/Org1MSP/users/Admin@org1.example.com/msp"
[ -s "$ADMIN/keystore/priv_sk" ] || fail "no admin key made"

SOCK="$T/state/signer.sock"
URL="ipc://$SOCK"
"$agent" signer --state-dir "$T/state" --key "$ADMIN/keystore/priv_sk" \
	--cert "$ADMIN/signcerts/Admin@org1.example.com-cert.pem" \
	--msp-id Org1MSP >"$T/signer.log" 2>&1 &
SIGNER=$!
for ((i = 0; i < 100; i++)); do
	[ -S "$SOCK" ] && break
	kill -0 "$SIGNER" 2>/dev/null || fail "signer exited: $(cat "$T/signer.log")"
	sleep 0.1
done
[ -S "$SOCK" ] || fail "signer did not make $SOCK"
grep -q 'request kinds it may sign: \["fabric.config-update"' "$T/signer.log" ||
	fail "the signer does not announce fabric.config-update: $(cat "$T/signer.log")"
ok "signer serves $URL with fabric.config-update"

timeout 120 "$itest" client "$URL" "$T/pki" >"$T/client.log" 2>&1 ||
	{ cat "$T/client.log" >&2; fail "client checks"; }
cat "$T/client.log"
kill -0 "$SIGNER" 2>/dev/null || fail "signer died during the client checks"
ok "signed the declared update; refused undeclared org, other creator, other channel, malformed"

grep -q 'signed kind fabric.config-update' "$T/signer.log" || fail "no signature logged"
grep -q 'refused kind fabric.config-update.*the update adds Org3MSP to Channel/Application' \
	"$T/signer.log" || fail "the refusal is not logged with its reason"
ok "the log says what was signed and what was refused, and why"

kill -TERM "$SIGNER"
rc=0
for ((i = 0; i < 100; i++)); do
	kill -0 "$SIGNER" 2>/dev/null || break
	sleep 0.1
done
wait "$SIGNER" || rc=$?
SIGNER=""
[ "$rc" = 0 ] || fail "signer exited $rc after SIGTERM"
[ ! -e "$SOCK" ] || fail "socket left behind"
ok "SIGTERM: exit 0, socket removed"
echo "PASS: signer_fabric"
