# fabric_e2e.sh: issue 4's "done when", against REAL Fabric 2.5 binaries:
# a channel created from fabfed's genesis block is joined by a real orderer
# and a real peer (run by fabfed's process runtime) and accepts an anchor
# peer update signed by the org admin's signer process; both nodes reach
# height 2; configtxlator (Fabric's own decoder) reads fabfed's blocks; an
# update adding an undeclared org is refused by the signer; a second run
# on the same state changes nothing. The steps are in
# tests/integration/itest_fabric_e2e.c.
#
# Needs FABRIC_BIN (peer, orderer, configtxlator of Fabric 2.5) and Fabric's
# sample config in FABRIC_CFG_PATH or $FABRIC_BIN/../config; without them
# the test is skipped (exit 77). Everything listens on 127.0.0.1; the
# signer is stopped by its PID, the Fabric nodes by the runtime (and by
# their PIDs here if the driver died).
if [ -z "${FABRIC_BIN:-}" ]; then
	echo "skipped: FABRIC_BIN is not set (a directory with Fabric 2.5's" \
	    "peer, orderer and configtxlator); this is the real-Fabric end to end"
	exit 77
fi
for b in peer orderer configtxlator; do
	[ -x "$FABRIC_BIN/$b" ] || { echo "skipped: $FABRIC_BIN/$b not found"; exit 77; }
done
cfg=${FABRIC_CFG_PATH:-$FABRIC_BIN/../config}
[ -f "$cfg/core.yaml" ] && [ -f "$cfg/orderer.yaml" ] ||
	{ echo "skipped: no core.yaml/orderer.yaml in $cfg"; exit 77; }
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/lib.sh"
drv=$FABFED_BUILD/tests/itest_fabric_e2e
[ -x "$drv" ] || fail "$drv is not built"

# lib.sh made $T and stops, at exit, every PID in CTRL_PIDS (the signer).
# The Fabric nodes are the driver's children: its runtime stops them, and
# they die with it (PR_SET_PDEATHSIG) if it dies.
P_ORD=$(free_port)
P_PEER=$(free_port)
cat >"$T/consortium.json" <<EOF
{"apiVersion": "fabfed.io/v1alpha1", "kind": "Consortium",
 "metadata": {"name": "e2e"},
 "spec": {"orgs": [{"mspId": "Org1MSP", "domain": "org1.example.com",
   "cluster": {"name": "local", "region": "local"},
   "peers": [{"name": "peer0", "endpoint": "127.0.0.1:$P_PEER", "anchor": true}],
   "orderers": [{"name": "orderer0", "endpoint": "127.0.0.1:$P_ORD"}]}],
  "channels": [{"name": "e2e", "consenters": ["Org1MSP/orderer0"],
   "members": ["Org1MSP"], "batch": {"timeout": "200ms"}}]}}
EOF
mkdir -p -m 0700 "$T/state"; mkdir -p "$T/out"
"$drv" pki "$T/state" "$T/consortium.json" || fail "the org's PKI"

A=$T/state/pki/users/Admin@org1.example.com/msp
start_signer() {
	"$FABFED_BIN/fabfed-agent" signer --state-dir "$T/state" \
	    --key "$A/keystore/priv_sk" --cert "$A/signcerts/Admin@org1.example.com-cert.pem" \
	    --socket "ipc://$T/state/signer.sock" --msp-id Org1MSP >>"$T/signer.log" 2>&1 &
	SIGNER_PID=$!
	CTRL_PIDS="$CTRL_PIDS $SIGNER_PID"
	for _ in $(seq 1 100); do
		[ -S "$T/state/signer.sock" ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/signer.log" >&2
	fail "the signer did not start"
}
start_signer

echo "== first run"
rc=0
FABRIC_BIN=$FABRIC_BIN timeout 300 "$drv" run "$T/state" "$T/consortium.json" \
    "ipc://$T/state/signer.sock" "$T/out" >"$T/run1.log" 2>&1 || rc=$?
cat "$T/run1.log"
[ $rc -eq 0 ] || { tail -n 30 "$T"/state/process/*/node.log 2>/dev/null; fail "the first run failed ($rc)"; }
ok "first run"

# Fabric's own decoder reads fabfed's genesis block and the config block
# carrying fabfed's update.
for b in genesis config1; do
	"$FABRIC_BIN/configtxlator" proto_decode --type common.Block \
	    --input "$T/out/$b.block" --output "$T/out/$b.json" 2>"$T/ctl.err" ||
		{ cat "$T/ctl.err"; fail "configtxlator cannot decode $b.block"; }
done
contains "$(jq -r '.data.data[0].payload.header.channel_header.channel_id' "$T/out/genesis.json")" e2e ||
	fail "configtxlator: the genesis block's channel"
contains "$(jq -c '.data.data[0].payload.data.config.channel_group.groups.Application.groups.Org1MSP.values.AnchorPeers.value' "$T/out/config1.json")" \
    "\"port\":$P_PEER" || fail "configtxlator: the anchor peer in block 1"
contains "$(jq -r '.data.data[0].payload.data.last_update.payload.data.signatures[0].signature_header.creator.mspid' "$T/out/config1.json")" \
    Org1MSP || fail "configtxlator: the update's signature"
ok "configtxlator proto_decode reads fabfed's genesis block and block 1 (anchor peer, Org1MSP's signature)"

grep -q "signed kind fabric.config-update" "$T/signer.log" ||
	fail "the signer's log does not show the signed update"
grep -q "refused kind fabric.config-update.*Org9MSP" "$T/signer.log" ||
	fail "the signer's log does not show the refusal"
! grep -q "PRIVATE KEY" "$T/signer.log" "$T/run1.log" || fail "a key in a log"
ok "the signer's log shows what it signed and refused, and no key"

echo "== second run on the same state (the signer restarted too)"
kill -TERM "$SIGNER_PID"; wait "$SIGNER_PID" 2>/dev/null || true
start_signer
rc=0
FABRIC_BIN=$FABRIC_BIN timeout 300 "$drv" run "$T/state" "$T/consortium.json" \
    "ipc://$T/state/signer.sock" "$T/out" >"$T/run2.log" 2>&1 || rc=$?
cat "$T/run2.log"
[ $rc -eq 0 ] || fail "the second run failed ($rc)"
grep -q "resumed: nothing to do" "$T/run2.log" || fail "the second run did something"
grep -q "had already joined" "$T/run2.log" || fail "the second run joined again"
ok "a second run changes nothing (joins already done, no update to make)"
echo "PASS"
