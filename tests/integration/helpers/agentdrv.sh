# shellcheck shell=bash
# helpers/agentdrv.sh: what the scripts that run an itest_agent_* driver
# against the orgs' REAL signers share (agent_update.sh,
# agent_consenter.sh). Sourced after lib.sh (it uses T, CTRL_PIDS, fail,
# ok); defines only agentdrv_* names.
#
#   agentdrv_pki DRV N...  drv=$FABFED_BUILD/tests/DRV (fails unless built);
#                          T/stN made for each N (mode 0700), then the
#                          orgs' PKIs by `$drv pki T`
#   agentdrv_signer N DOMAIN MSP
#                          the org's real signer (`fabfed-agent signer`)
#                          with its admin's key from T/stN/pki, on
#                          T/stN/signer.sock, logging to T/signerN.log;
#                          its PID in CTRL_PIDS; fails unless the socket
#                          is there within 10 s
#   agentdrv_offline DRV WHAT REFUSED OK
#                          DRV offline T (printed), then both signers'
#                          logs must show an update signed and Org1's its
#                          refusal matching REFUSED (WHAT names that
#                          update); prints "ok - OK"
#   agentdrv_fabric WHAT BIN...
#                          unless FABRIC_BIN has every BIN and Fabric's
#                          sample config: says so (WHAT: what is not
#                          run), prints PASS and exits 0
#   agentdrv_live DRV SECS
#                          DRV live T, at most SECS, printed; fails with
#                          the tail of each node's log when it does not
#                          pass

agentdrv_pki() {
	local n
	drv=$FABFED_BUILD/tests/$1
	shift
	[ -x "$drv" ] || fail "$drv is not built"
	for n in "$@"; do mkdir -p -m 0700 "$T/st$n"; done
	"$drv" pki "$T" >"$T/pki.out" 2>&1 || { cat "$T/pki.out"; fail "the orgs' PKIs"; }
}

agentdrv_signer() {
	local n=$1 dom=$2 msp=$3 a pid
	a=$T/st$n/pki/users/Admin@$dom/msp
	"$FABFED_BIN/fabfed-agent" signer --state-dir "$T/st$n" \
	    --key "$a/keystore/priv_sk" --cert "$a/signcerts/Admin@$dom-cert.pem" \
	    --socket "ipc://$T/st$n/signer.sock" --msp-id "$msp" >>"$T/signer$n.log" 2>&1 &
	pid=$!
	CTRL_PIDS="$CTRL_PIDS $pid"
	for _ in $(seq 1 100); do
		[ -S "$T/st$n/signer.sock" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -S "$T/st$n/signer.sock" ] || { cat "$T/signer$n.log" >&2; fail "the signer of $msp did not start"; }
}

agentdrv_offline() {
	local drv=$1 what=$2 refused=$3 okmsg=$4
	timeout 120 "$drv" offline "$T" >"$T/offline.out" 2>&1 || { cat "$T/offline.out"; fail "offline"; }
	cat "$T/offline.out"
	grep -q "signed kind fabric.config-update" "$T/signer1.log" || fail "Org1's signer signed no update"
	grep -q "signed kind fabric.config-update" "$T/signer2.log" || fail "Org2's signer signed no update"
	grep -q "refused kind fabric.config-update.*$refused" "$T/signer1.log" ||
		fail "Org1's signer did not log its refusal of $what"
	ok "$okmsg"
}

agentdrv_fabric() {
	local what=$1 b cfg
	shift
	if [ -z "${FABRIC_BIN:-}" ]; then
		echo "FABRIC_BIN is not set: $what are not run"
		echo "PASS"
		exit 0
	fi
	for b in "$@"; do
		[ -x "$FABRIC_BIN/$b" ] || { echo "FABRIC_BIN/$b not found: live part not run"; echo PASS; exit 0; }
	done
	cfg=${FABRIC_CFG_PATH:-$FABRIC_BIN/../config}
	[ -f "$cfg/core.yaml" ] && [ -f "$cfg/orderer.yaml" ] ||
		{ echo "no core.yaml/orderer.yaml in $cfg: live part not run"; echo PASS; exit 0; }
}

agentdrv_live() {
	local drv=$1 secs=$2 rc=0 log
	FABRIC_BIN=$FABRIC_BIN timeout "$secs" "$drv" live "$T" >"$T/live.out" 2>&1 || rc=$?
	cat "$T/live.out"
	if [ $rc -ne 0 ]; then
		for log in "$T"/st*/process/*/node.log; do
			[ -f "$log" ] || continue
			echo "--- ${log#"$T"/}"
			tail -n 40 "$log"
		done
		fail "the live run failed ($rc)"
	fi
}
