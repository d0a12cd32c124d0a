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
# (update-prepare, update-sign, update-submit by Org1, while Org1's
# document declares a second new consenter, Org1MSP/orderer1, too: the
# signer checks against the live config; join-orderer from the channel by
# Org2), checked with Fabric's osnadmin (a consenter at
# Org1's height); Org1MSP/orderer0 removed (prepared and submitted by Org2
# through its own orderer, signed by both orderer orgs; Org2's signature
# alone refused), Org1's leave-orderer, checked with osnadmin, and a
# further config update ordered by Org2's orderer alone.
# Everything listens on 127.0.0.1; the signers are stopped by their PIDs,
# the Fabric nodes by the driver's runtimes.
: "${FABFED_SRC:?}" "${FABFED_BUILD:?}" "${FABFED_BIN:?}"
. "$FABFED_SRC/tests/integration/lib.sh"
. "$FABFED_SRC/tests/integration/helpers/agentdrv.sh"

P_ORD1=$(free_port)
P_ORD2=$(free_port)
P_PEER2=$(free_port)
P_ORD1B=$(free_port)	# Org1MSP/orderer1: declared in topoX only, never run
# topo CONSENTERS [ORG1_EXTRA_ORDERER]: the consortium with trade's
# consenters.
topo() {
	cat <<JSON
{"apiVersion": "fabfed.io/v1alpha1", "kind": "Consortium",
 "metadata": {"name": "consenters"},
 "spec": {"orgs": [
  {"mspId": "Org1MSP", "domain": "org1.example.com",
   "cluster": {"name": "one", "region": "local"},
   "orderers": [{"name": "orderer0", "endpoint": "127.0.0.1:$P_ORD1"}${2:-}]},
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
topo '"Org1MSP/orderer0", "Org2MSP/orderer0", "Org1MSP/orderer1"' \
    ', {"name": "orderer1", "endpoint": "127.0.0.1:'$P_ORD1B'"}' >"$T/topoX.json"
agentdrv_pki itest_agent_consenter 1 2

agentdrv_signer 1 org1.example.com Org1MSP
agentdrv_signer 2 org2.example.com Org2MSP

echo "== manifests runtime: update-sign by both signers, the undeclared consenter refused, joins and leaves rendered"
agentdrv_offline "$drv" "the update adding an undeclared consenter" Orderer \
    "update-sign: signed by both signers; the update adding an undeclared consenter refused"

agentdrv_fabric "the consenter changes on live orderers (process runtime, osnadmin)" peer orderer osnadmin

echo "== process runtime: add Org2MSP/orderer0, then remove Org1MSP/orderer0, on real orderers"
agentdrv_live "$drv" 480
ok "Org2MSP/orderer0 added and joined from the channel; Org1MSP/orderer0 removed and left; osnadmin agrees"
echo "PASS"
