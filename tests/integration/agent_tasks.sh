# agent_tasks.sh: the member agent's tasks (member-agent/tasks.c,
# docs/agent-tasks.md), driven by tests/integration/itest_agent_tasks.c.
#
# Always: the manifests runtime renders the joins of the contract's tasks
# (docs/workflows.md) into OUT/channels/CH: the block's bytes and the
# osnadmin / peer channel join scripts naming the right node and channel.
#
# With FABRIC_BIN (Fabric 2.5's peer and orderer, and its sample config in
# FABRIC_CFG_PATH or $FABRIC_BIN/../config): one org whose orderer and
# peer run under the process runtime, the real `fabfed-agent signer`
# started here; join-orderer, join-peer and anchor-peers are done, done
# again without changing anything, and a wrong blockSha256 fails.
# Everything listens on 127.0.0.1; the signer is stopped by its PID, the
# Fabric nodes by the driver's runtime (they die with it).
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/lib.sh"
drv=$FABFED_BUILD/tests/itest_agent_tasks
[ -x "$drv" ] || fail "$drv is not built"

P_ORD=$(free_port)
P_PEER=$(free_port)
cat >"$T/consortium.json" <<JSON
{"apiVersion": "fabfed.io/v1alpha1", "kind": "Consortium",
 "metadata": {"name": "tasks"},
 "spec": {"orgs": [{"mspId": "Org1MSP", "domain": "org1.example.com",
   "cluster": {"name": "local", "region": "local"},
   "peers": [{"name": "peer0", "endpoint": "127.0.0.1:$P_PEER", "anchor": true}],
   "orderers": [{"name": "orderer0", "endpoint": "127.0.0.1:$P_ORD"}]}],
  "channels": [{"name": "trade", "consenters": ["Org1MSP/orderer0"],
   "members": ["Org1MSP"], "batch": {"timeout": "200ms"}}]}}
JSON
mkdir -p -m 0700 "$T/state"
"$drv" pki "$T/state" "$T/consortium.json" || fail "the org's PKI"

echo "== manifests runtime: the joins are rendered"
timeout 60 "$drv" render "$T/state" "$T/consortium.json" "$T/out" >"$T/render.out" 2>&1 ||
	{ cat "$T/render.out"; fail "render"; }
cat "$T/render.out"
for f in trade.block join-orderer0.sh join-peer0.sh; do
	[ -s "$T/out/channels/trade/$f" ] || fail "$f was not written"
done
grep -q "osnadmin channel join --channelID trade" "$T/out/channels/trade/join-orderer0.sh" ||
	fail "join-orderer0.sh does not join trade"
grep -q "peer channel join" "$T/out/channels/trade/join-peer0.sh" ||
	fail "join-peer0.sh does not join a peer"
sh -n "$T/out/channels/trade/join-orderer0.sh" && sh -n "$T/out/channels/trade/join-peer0.sh" ||
	fail "a rendered script is not valid sh"
ok "rendered: the block and the join scripts in out/channels/trade"

if [ -z "${FABRIC_BIN:-}" ]; then
	echo "FABRIC_BIN is not set: the tasks on live Fabric nodes (process runtime) are not run"
	echo "PASS"
	exit 0
fi
for b in peer orderer; do
	[ -x "$FABRIC_BIN/$b" ] || { echo "FABRIC_BIN/$b not found: live part not run"; echo PASS; exit 0; }
done
cfg=${FABRIC_CFG_PATH:-$FABRIC_BIN/../config}
[ -f "$cfg/core.yaml" ] && [ -f "$cfg/orderer.yaml" ] ||
	{ echo "no core.yaml/orderer.yaml in $cfg: live part not run"; echo PASS; exit 0; }

A=$T/state/pki/users/Admin@org1.example.com/msp
"$FABFED_BIN/fabfed-agent" signer --state-dir "$T/state" \
    --key "$A/keystore/priv_sk" --cert "$A/signcerts/Admin@org1.example.com-cert.pem" \
    --socket "ipc://$T/state/signer.sock" --msp-id Org1MSP >>"$T/signer.log" 2>&1 &
SIGNER_PID=$!
CTRL_PIDS="$CTRL_PIDS $SIGNER_PID"
for _ in $(seq 1 100); do
	[ -S "$T/state/signer.sock" ] && break
	kill -0 "$SIGNER_PID" 2>/dev/null || break
	sleep 0.1
done
[ -S "$T/state/signer.sock" ] || { cat "$T/signer.log" >&2; fail "the signer did not start"; }

echo "== process runtime: the tasks on real Fabric nodes"
rc=0
FABRIC_BIN=$FABRIC_BIN timeout 400 "$drv" run "$T/state" "$T/consortium.json" \
    "ipc://$T/state/signer.sock" >"$T/run.out" 2>&1 || rc=$?
cat "$T/run.out"
[ $rc -eq 0 ] || { tail -n 30 "$T"/state/process/*/node.log 2>/dev/null; fail "the tasks failed ($rc)"; }
grep -q "signed kind fabric.config-update" "$T/signer.log" ||
	fail "the signer did not sign the anchor peer update"
[ "$(grep -c "signed kind fabric.config-update" "$T/signer.log")" -eq 1 ] ||
	fail "the anchor peer update was signed more than once"
ok "join-orderer, join-peer, anchor-peers done; again: nothing changed; a wrong SHA-256 failed"
echo "PASS"
