# agent_consenter.sh: the agent's side of the add-consenter and
# remove-consenter workflows (member-agent/tasks_consenter.c,
# tasks_update.c; docs/workflows.md "Adding and removing consenters"),
# driven by tests/integration/itest_agent_consenter.c, with two REAL
# signers (`fabfed-agent signer`, one per org) started here.
#
# Always (no Fabric): under the manifests runtime, update-sign of the
# update adding Org2MSP/orderer0 by both signers, the same update refused
# by Org1's signer while its document does not declare the consenter;
# prepare and submit rendered; join-orderer with blockFrom "channel" and
# leave-orderer rendered as scripts.
#
# With FABRIC_BIN (Fabric 2.5's orderer, peer and osnadmin, and its sample
# config): each org's orderer under its own process runtime; trade created
# with Org1's orderer as its only consenter; Org2MSP/orderer0 added
# (update-prepare, update-sign, update-submit by Org1; join-orderer from
# the channel by Org2), checked with Fabric's osnadmin (a consenter at
# Org1's height); Org1MSP/orderer0 removed (prepared and submitted by Org2
# through its own orderer, signed by both orderer orgs; Org2's signature
# alone refused), Org1's leave-orderer, checked with osnadmin, and a
# further config update ordered by Org2's orderer alone.
# Everything listens on 127.0.0.1; the signers are stopped by their PIDs,
# the Fabric nodes by the driver's runtimes.
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/lib.sh"
drv=$FABFED_BUILD/tests/itest_agent_consenter
[ -x "$drv" ] || fail "$drv is not built"

P_ORD1=$(free_port)
P_ORD2=$(free_port)
P_PEER2=$(free_port)
# topo CONSENTERS: the consortium with trade's consenters.
topo() {
	cat <<JSON
{"apiVersion": "fabfed.io/v1alpha1", "kind": "Consortium",
 "metadata": {"name": "consenters"},
 "spec": {"orgs": [
  {"mspId": "Org1MSP", "domain": "org1.example.com",
   "cluster": {"name": "one", "region": "local"},
   "orderers": [{"name": "orderer0", "endpoint": "127.0.0.1:$P_ORD1"}]},
  {"mspId": "Org2MSP", "domain": "org2.example.com",
   "cluster": {"name": "two", "region": "local"},
   "peers": [{"name": "peer0", "endpoint": "127.0.0.1:$P_PEER2", "anchor": true}],
   "orderers": [{"name": "orderer0", "endpoint": "127.0.0.1:$P_ORD2"}]}],
  "channels": [{"name": "trade", "consenters": [$1],
   "members": ["Org1MSP", "Org2MSP"], "batch": {"timeout": "200ms"}}]}}
JSON
}
topo '"Org1MSP/orderer0"' >"$T/topoA.json"
topo '"Org1MSP/orderer0", "Org2MSP/orderer0"' >"$T/topoB.json"
topo '"Org2MSP/orderer0"' >"$T/topoC.json"
mkdir -p -m 0700 "$T/st1" "$T/st2"
"$drv" pki "$T" >"$T/pki.out" 2>&1 || { cat "$T/pki.out"; fail "the orgs' PKIs"; }

# signer N DOMAIN MSP: the org's real signer on T/stN/signer.sock.
signer() {
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
signer 1 org1.example.com Org1MSP
signer 2 org2.example.com Org2MSP

echo "== manifests runtime: update-sign by both signers, the undeclared consenter refused, joins and leaves rendered"
timeout 120 "$drv" offline "$T" >"$T/offline.out" 2>&1 || { cat "$T/offline.out"; fail "offline"; }
cat "$T/offline.out"
grep -q "signed kind fabric.config-update" "$T/signer1.log" || fail "Org1's signer signed no update"
grep -q "signed kind fabric.config-update" "$T/signer2.log" || fail "Org2's signer signed no update"
grep -q "refused kind fabric.config-update.*Orderer" "$T/signer1.log" ||
	fail "Org1's signer did not log its refusal of the update adding an undeclared consenter"
ok "update-sign: signed by both signers; the update adding an undeclared consenter refused"

if [ -z "${FABRIC_BIN:-}" ]; then
	echo "FABRIC_BIN is not set: the consenter changes on live orderers (process runtime, osnadmin) are not run"
	echo "PASS"
	exit 0
fi
for b in peer orderer osnadmin; do
	[ -x "$FABRIC_BIN/$b" ] || { echo "FABRIC_BIN/$b not found: live part not run"; echo PASS; exit 0; }
done
cfg=${FABRIC_CFG_PATH:-$FABRIC_BIN/../config}
[ -f "$cfg/core.yaml" ] && [ -f "$cfg/orderer.yaml" ] ||
	{ echo "no core.yaml/orderer.yaml in $cfg: live part not run"; echo PASS; exit 0; }

echo "== process runtime: add Org2MSP/orderer0, then remove Org1MSP/orderer0, on real orderers"
rc=0
FABRIC_BIN=$FABRIC_BIN timeout 480 "$drv" live "$T" >"$T/live.out" 2>&1 || rc=$?
cat "$T/live.out"
if [ $rc -ne 0 ]; then
	for n in 1 2; do
		echo "--- Org$n's orderer0"
		tail -n 40 "$T/st$n/process/orderer0/node.log" 2>/dev/null || true
	done
	fail "the live run failed ($rc)"
fi
ok "Org2MSP/orderer0 added and joined from the channel; Org1MSP/orderer0 removed and left; osnadmin agrees"
echo "PASS"
