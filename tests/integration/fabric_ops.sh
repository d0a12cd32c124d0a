# fabric_ops.sh: lib/fabric_ops.c and lib/fabric_tx.c against a REAL
# Fabric 2.5 orderer and peer, no Docker.
#
# An org PKI made by lib/msp.c (itest_fabric_ops msp); a genesis block made
# by configtxgen from that MSP; an orderer (channel participation, no
# system channel, mutual TLS on its gRPC listener so that Deliver checks
# the TLS binding) and a peer (core.yaml from Fabric's sample config with
# vm.endpoint "" and an externalBuilders entry, every listener on
# 127.0.0.1, its own data dir, TLS on, the peer's MSP from lib/msp.c), all
# on 127.0.0.1 ephemeral ports. Then itest_fabric_ops run, signing as the
# org's Admin: part_join, Deliver newest / by number / past the height /
# unknown channel / as a stranger, the config block, JoinChain twice,
# GetChannels, GetChainInfo, and a Broadcast the orderer must refuse.
# Every process is stopped by its PID.
#
# Needs FABRIC_BIN (orderer, peer, configtxgen of Fabric 2.5) and the
# sample config (orderer.yaml, core.yaml) in FABRIC_CFG or
# $FABRIC_BIN/../config; without them the test is skipped (exit 77).
set -euo pipefail

if [ -z "${FABRIC_BIN:-}" ]; then
	echo "skipped: FABRIC_BIN not set (a directory with Fabric 2.5's orderer, peer and configtxgen)"
	exit 77
fi
for b in orderer peer configtxgen; do
	if [ ! -x "$FABRIC_BIN/$b" ]; then
		echo "skipped: $FABRIC_BIN/$b not found"
		exit 77
	fi
done
CFG=${FABRIC_CFG:-$FABRIC_BIN/../config}
if [ ! -f "$CFG/orderer.yaml" ] || [ ! -f "$CFG/core.yaml" ]; then
	echo "skipped: no orderer.yaml and core.yaml in $CFG (set FABRIC_CFG to Fabric's sample config directory)"
	exit 77
fi
: "${FABFED_SRC:?FABFED_SRC is not set (run under ctest)}"
: "${FABFED_BUILD:?FABFED_BUILD is not set (run under ctest)}"
DRIVER=$FABFED_BUILD/tests/itest_fabric_ops
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER is not built" >&2; exit 1; }

T=$(mktemp -d /tmp/fabfed-fops.XXXXXX)
ORDERER_PID=""
PEER_PID=""
stop_pid() {
	local pid=$1
	[ -n "$pid" ] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
}
cleanup() {
	local rc=$?
	set +e
	stop_pid "$PEER_PID"
	stop_pid "$ORDERER_PID"
	if [ "$rc" -ne 0 ]; then
		for l in orderer peer; do
			[ -f "$T/$l.log" ] && { echo "--- $l.log (last 40 lines)"; tail -40 "$T/$l.log"; } >&2
		done
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL (fabric_ops): $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_healthz PID PORT WHAT: bounded wait for /healthz 200.
wait_healthz() {
	local code
	for _ in $(seq 1 150); do
		kill -0 "$1" 2>/dev/null || fail "the $3 exited"
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
			"http://127.0.0.1:$2/healthz" || true)
		[ "$code" = 200 ] && return 0
		sleep 0.2
	done
	fail "the $3's /healthz did not answer 200 in 30 s (last: $code)"
}
# wait_port PID PORT WHAT: bounded wait until 127.0.0.1:PORT accepts (Fabric
# answers /healthz a moment before its gRPC and admin listeners are up).
wait_port() {
	for _ in $(seq 1 150); do
		kill -0 "$1" 2>/dev/null || fail "the $3 exited"
		(exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0
		sleep 0.2
	done
	fail "the $3's port $2 did not accept connections in 30 s"
}

D=$T/org1
"$DRIVER" msp "$D" || fail "the MSP driver failed"
O=$D/orderers/orderer0.org1.example.com
P=$D/peers/peer0.org1.example.com
A=$D/users/Admin@org1.example.com
TLSCA=$D/tlsca/tlsca.org1.example.com-cert.pem
key=$(find "$A/msp/keystore" -type f | head -1)
cert=$(find "$A/msp/signcerts" -type f | head -1)
[ -f "$key" ] && [ -f "$cert" ] || fail "no Admin key and certificate in $A/msp"
ok "org PKI made by lib/msp"

P_LISTEN=$(free_port)
P_ADMIN=$(free_port)
P_OPS=$(free_port)
PP_LISTEN=$(free_port)
PP_CC=$(free_port)
PP_OPS=$(free_port)

cat >"$T/configtx.yaml" <<EOF
Organizations:
  - &Org1
    Name: Org1MSP
    ID: Org1MSP
    MSPDir: $D/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('Org1MSP.member')"}
      Writers: {Type: Signature, Rule: "OR('Org1MSP.member')"}
      Admins: {Type: Signature, Rule: "OR('Org1MSP.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('Org1MSP.peer')"}
    OrdererEndpoints: ["127.0.0.1:$P_LISTEN"]
    AnchorPeers: [{Host: 127.0.0.1, Port: $PP_LISTEN}]
Capabilities:
  Channel: &ChannelCapabilities {V2_0: true}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}
Application: &ApplicationDefaults
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
    Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
  Capabilities: *ApplicationCapabilities
Orderer: &OrdererDefaults
  OrdererType: etcdraft
  BatchTimeout: 2s
  BatchSize: {MaxMessageCount: 10, AbsoluteMaxBytes: 99 MB, PreferredMaxBytes: 512 KB}
  Organizations:
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
Channel: &ChannelDefaults
  Policies:
    Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
    Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
    Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
  Capabilities: *ChannelCapabilities
Profiles:
  OneOrg:
    <<: *ChannelDefaults
    Orderer:
      <<: *OrdererDefaults
      Organizations: [*Org1]
      Capabilities: *OrdererCapabilities
      EtcdRaft:
        Consenters:
          - Host: 127.0.0.1
            Port: $P_LISTEN
            ClientTLSCert: $O/tls/server.crt
            ServerTLSCert: $O/tls/server.crt
    Application:
      <<: *ApplicationDefaults
      Organizations: [*Org1]
      Capabilities: *ApplicationCapabilities
EOF
"$FABRIC_BIN/configtxgen" -configPath "$T" -profile OneOrg -channelID ch1 \
	-outputBlock "$T/ch1.block" >"$T/configtxgen.log" 2>&1 ||
	{ cat "$T/configtxgen.log" >&2; fail "configtxgen refused the org's MSP"; }
ok "configtxgen made the genesis block of ch1"

# --- the orderer ----------------------------------------------------------
mkdir -p "$T/ledger" "$T/wal" "$T/snap"
env FABRIC_CFG_PATH="$CFG" \
	ORDERER_GENERAL_LISTENADDRESS=127.0.0.1 \
	ORDERER_GENERAL_LISTENPORT="$P_LISTEN" \
	ORDERER_GENERAL_LOCALMSPID=Org1MSP \
	ORDERER_GENERAL_LOCALMSPDIR="$O/msp" \
	ORDERER_GENERAL_BOOTSTRAPMETHOD=none \
	ORDERER_GENERAL_TLS_ENABLED=true \
	ORDERER_GENERAL_TLS_PRIVATEKEY="$O/tls/server.key" \
	ORDERER_GENERAL_TLS_CERTIFICATE="$O/tls/server.crt" \
	ORDERER_GENERAL_TLS_ROOTCAS="[$O/tls/ca.crt]" \
	ORDERER_GENERAL_TLS_CLIENTAUTHREQUIRED=true \
	ORDERER_GENERAL_TLS_CLIENTROOTCAS="[$TLSCA]" \
	ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$O/tls/server.crt" \
	ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$O/tls/server.key" \
	ORDERER_GENERAL_CLUSTER_ROOTCAS="[$O/tls/ca.crt]" \
	ORDERER_CHANNELPARTICIPATION_ENABLED=true \
	ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$P_ADMIN" \
	ORDERER_ADMIN_TLS_ENABLED=true \
	ORDERER_ADMIN_TLS_PRIVATEKEY="$O/tls/server.key" \
	ORDERER_ADMIN_TLS_CERTIFICATE="$O/tls/server.crt" \
	ORDERER_ADMIN_TLS_ROOTCAS="[$O/tls/ca.crt]" \
	ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true \
	ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$TLSCA]" \
	ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$P_OPS" \
	ORDERER_METRICS_PROVIDER=disabled \
	ORDERER_FILELEDGER_LOCATION="$T/ledger" \
	ORDERER_CONSENSUS_WALDIR="$T/wal" \
	ORDERER_CONSENSUS_SNAPDIR="$T/snap" \
	"$FABRIC_BIN/orderer" >"$T/orderer.log" 2>&1 &
ORDERER_PID=$!

# --- the peer -------------------------------------------------------------
# vm.endpoint must be "" in core.yaml itself (an empty CORE_VM_ENDPOINT is
# ignored), and with no Docker one external builder must remain.
mkdir -p "$T/peercfg" "$T/peerdata" "$T/builder/bin"
for s in detect build release; do
	printf '#!/bin/sh\nexit 1\n' >"$T/builder/bin/$s"
	chmod +x "$T/builder/bin/$s"
done
python3 - "$CFG/core.yaml" "$T/peercfg/core.yaml" "$T/builder" <<'EOF'
import sys
src, dst, builder = sys.argv[1:4]
out, in_vm, in_ext, done_vm, done_ext = [], False, False, False, False
for line in open(src):
    s = line.strip()
    if line.startswith("vm:"):
        in_vm = True
    elif line[:1] not in (" ", "\t", "#", "\n", ""):
        in_vm = False
    if in_vm and not done_vm and s.startswith("endpoint:"):
        line = line[:len(line) - len(line.lstrip())] + 'endpoint: ""\n'
        done_vm = True
    if s.startswith("externalBuilders:") and not done_ext:
        ind = line[:len(line) - len(line.lstrip())]
        out.append(ind + "externalBuilders:\n")
        out.append(ind + "   - name: fabfed-none\n")
        out.append(ind + "     path: " + builder + "\n")
        in_ext, done_ext = True, True
        continue
    if in_ext:
        if s.startswith("- name:") or s.startswith("path:") or \
           s.startswith("propagateEnvironment:") or s.startswith("- CHAINCODE_AS_A_SERVICE"):
            continue
        in_ext = False
    out.append(line)
if not (done_vm and done_ext):
    sys.exit("core.yaml: vm.endpoint or chaincode.externalBuilders not found")
open(dst, "w").write("".join(out))
EOF
grep -q '^    endpoint: ""' "$T/peercfg/core.yaml" || fail "core.yaml: vm.endpoint not emptied"
env FABRIC_CFG_PATH="$T/peercfg" \
	CORE_PEER_ID=peer0.org1.example.com \
	CORE_PEER_LISTENADDRESS="127.0.0.1:$PP_LISTEN" \
	CORE_PEER_ADDRESS="127.0.0.1:$PP_LISTEN" \
	CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$PP_CC" \
	CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$PP_CC" \
	CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:$PP_LISTEN" \
	CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$PP_LISTEN" \
	CORE_PEER_LOCALMSPID=Org1MSP \
	CORE_PEER_MSPCONFIGPATH="$P/msp" \
	CORE_PEER_TLS_ENABLED=true \
	CORE_PEER_TLS_CERT_FILE="$P/tls/server.crt" \
	CORE_PEER_TLS_KEY_FILE="$P/tls/server.key" \
	CORE_PEER_TLS_ROOTCERT_FILE="$P/tls/ca.crt" \
	CORE_PEER_TLS_CLIENTCERT_FILE="$P/tls/server.crt" \
	CORE_PEER_TLS_CLIENTKEY_FILE="$P/tls/server.key" \
	CORE_PEER_FILESYSTEMPATH="$T/peerdata" \
	CORE_LEDGER_SNAPSHOTS_ROOTDIR="$T/peerdata/snapshots" \
	CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$PP_OPS" \
	CORE_METRICS_PROVIDER=disabled \
	"$FABRIC_BIN/peer" node start >"$T/peer.log" 2>&1 &
PEER_PID=$!

wait_healthz "$ORDERER_PID" "$P_OPS" orderer
wait_port "$ORDERER_PID" "$P_LISTEN" orderer
wait_port "$ORDERER_PID" "$P_ADMIN" orderer
ok "orderer started (mutual TLS on 127.0.0.1:$P_LISTEN)"
wait_healthz "$PEER_PID" "$PP_OPS" peer
wait_port "$PEER_PID" "$PP_LISTEN" peer
ok "peer started without Docker (127.0.0.1:$PP_LISTEN)"

env FOPS_CHANNEL=ch1 FOPS_BLOCK="$T/ch1.block" FOPS_MSPID=Org1MSP \
	FOPS_ADMIN_KEY="$key" FOPS_ADMIN_CERT="$cert" FOPS_TLS_CA="$TLSCA" \
	FOPS_TLS_CERT="$A/tls/client.crt" FOPS_TLS_KEY="$A/tls/client.key" \
	FOPS_ORDERER_PORT="$P_LISTEN" FOPS_ORDERER_ADMIN_PORT="$P_ADMIN" \
	FOPS_PEER_PORT="$PP_LISTEN" \
	"$DRIVER" run || fail "itest_fabric_ops failed"

kill -0 "$ORDERER_PID" 2>/dev/null || fail "the orderer died during the test"
kill -0 "$PEER_PID" 2>/dev/null || fail "the peer died during the test"
grep -q "Created ledger \[ch1\]" "$T/peer.log" || fail "the peer's log does not show ledger ch1 created"
ok "the peer's own log shows the ledger of ch1 created"
echo "PASS: fabric_ops"
