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
# with Org1 only; Org1's document declares TWO new members (Org2MSP and
# Org9MSP): update-prepare of the first (Org2MSP), update-sign by Org1's
# signer (checked against the live config its agent read) and by Org2's
# (whose agent reads none: its strict check refuses the update under the
# two-org document, and signs it under one declaring Org2MSP only),
# update-submit (Org2's signature alone refused, both accepted), the new
# config block decoded (Org2MSP in Application), update-submit again
# (applied, nothing signed or sent), the hostile update refused; then the
# second (Org9MSP) prepared, signed by both members and accepted.
# Everything listens on 127.0.0.1; the signers are stopped by their PIDs,
# the Fabric nodes by the driver's runtime.
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/lib.sh"
. "$FABFED_SRC/tests/integration/helpers/agentdrv.sh"

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
topo '"Org1MSP", "Org2MSP", "Org9MSP"' "$ORG9" >"$T/topo29.json"
agentdrv_pki itest_agent_update 1 2 9

agentdrv_signer 1 org1.example.com Org1MSP
agentdrv_signer 2 org2.example.com Org2MSP

echo "== manifests runtime: update-sign by both signers, the hostile update refused"
agentdrv_offline "$drv" "the update adding Org9MSP" Org9MSP \
    "update-sign: signed by Org1's and Org2's signers; the update adding Org9MSP refused"

agentdrv_fabric "prepare and submit on a live orderer (process runtime)" peer orderer

echo "== process runtime: add Org2MSP to trade on a real orderer"
agentdrv_live "$drv" 400
ok "Org2MSP then Org9MSP (both declared at once) added by update-prepare, update-sign, update-submit; submitted again: applied"
echo "PASS"
