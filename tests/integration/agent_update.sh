# agent_update.sh: the add-org tasks (member-agent/tasks_update.c,
# docs/workflows.md "Adding and removing orgs"), driven by
# tests/integration/itest_agent_update.c, with two REAL signers
# (`fabfed-agent signer`, one per org) started here.
#
# Always (no Fabric): under the manifests runtime, update-sign of the
# update adding Org2MSP is signed by Org1's and Org2's signers, and an
# update adding Org9MSP (which the document does not declare) is refused
# with the signer's reason; prepare and submit are rendered.
#
# With FABRIC_BIN (Fabric 2.5's peer and orderer and its sample config):
# Org1's orderer and peer under the process runtime, channel trade created
# with Org1 only; update-prepare, update-sign by both signers,
# update-submit (Org2's signature alone refused, both accepted), the new
# config block decoded (Org2MSP in Application), update-submit again
# (applied, nothing signed or sent), the hostile update refused.
# Everything listens on 127.0.0.1; the signers are stopped by their PIDs,
# the Fabric nodes by the driver's runtime.
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/lib.sh"
drv=$FABFED_BUILD/tests/itest_agent_update
[ -x "$drv" ] || fail "$drv is not built"

P_ORD=$(free_port)
P_PEER=$(free_port)
P_PEER2=$(free_port)
P_PEER9=$(free_port)
# topo MEMBERS [EXTRA_ORG]: the consortium with trade's members.
topo() {
	local members=$1 extra=${2:-}
	cat <<JSON
{"apiVersion": "fabfed.io/v1alpha1", "kind": "Consortium",
 "metadata": {"name": "update"},
 "spec": {"orgs": [
  {"mspId": "Org1MSP", "domain": "org1.example.com",
   "cluster": {"name": "one", "region": "local"},
   "peers": [{"name": "peer0", "endpoint": "127.0.0.1:$P_PEER", "anchor": true}],
   "orderers": [{"name": "orderer0", "endpoint": "127.0.0.1:$P_ORD"}]},
  {"mspId": "Org2MSP", "domain": "org2.example.com",
   "cluster": {"name": "two", "region": "local"},
   "peers": [{"name": "peer0", "endpoint": "127.0.0.1:$P_PEER2", "anchor": true}]}$extra],
  "channels": [{"name": "trade", "consenters": ["Org1MSP/orderer0"],
   "members": [$members], "batch": {"timeout": "200ms"}}]}}
JSON
}
ORG9=',
  {"mspId": "Org9MSP", "domain": "org9.example.com",
   "cluster": {"name": "nine", "region": "local"},
   "peers": [{"name": "peer0", "endpoint": "127.0.0.1:'$P_PEER9'", "anchor": true}]}'
topo '"Org1MSP"' >"$T/topo1.json"
topo '"Org1MSP", "Org2MSP"' >"$T/topo2.json"
topo '"Org1MSP", "Org9MSP"' "$ORG9" >"$T/topo9.json"
mkdir -p -m 0700 "$T/st1" "$T/st2" "$T/st9"
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

echo "== manifests runtime: update-sign by both signers, the hostile update refused"
timeout 120 "$drv" offline "$T" >"$T/offline.out" 2>&1 || { cat "$T/offline.out"; fail "offline"; }
cat "$T/offline.out"
grep -q "signed kind fabric.config-update" "$T/signer1.log" || fail "Org1's signer signed no update"
grep -q "signed kind fabric.config-update" "$T/signer2.log" || fail "Org2's signer signed no update"
grep -q "refused kind fabric.config-update.*Org9MSP" "$T/signer1.log" ||
	fail "Org1's signer did not log its refusal of the update adding Org9MSP"
ok "update-sign: signed by Org1's and Org2's signers; the update adding Org9MSP refused"

if [ -z "${FABRIC_BIN:-}" ]; then
	echo "FABRIC_BIN is not set: prepare and submit on a live orderer (process runtime) are not run"
	echo "PASS"
	exit 0
fi
for b in peer orderer; do
	[ -x "$FABRIC_BIN/$b" ] || { echo "FABRIC_BIN/$b not found: live part not run"; echo PASS; exit 0; }
done
cfg=${FABRIC_CFG_PATH:-$FABRIC_BIN/../config}
[ -f "$cfg/core.yaml" ] && [ -f "$cfg/orderer.yaml" ] ||
	{ echo "no core.yaml/orderer.yaml in $cfg: live part not run"; echo PASS; exit 0; }

echo "== process runtime: add Org2MSP to trade on a real orderer"
rc=0
FABRIC_BIN=$FABRIC_BIN timeout 400 "$drv" live "$T" >"$T/live.out" 2>&1 || rc=$?
cat "$T/live.out"
[ $rc -eq 0 ] || { tail -n 30 "$T"/st1/process/*/node.log 2>/dev/null; fail "the live run failed ($rc)"; }
ok "Org2MSP added by update-prepare, update-sign x2, update-submit; submitted again: applied"
echo "PASS"
