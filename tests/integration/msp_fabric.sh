# msp_fabric.sh: an org PKI made by lib/msp.c, used by real Fabric 2.5
# binaries: configtxgen builds a channel genesis block from the org's MSP,
# an orderer starts with the orderer's local MSP and TLS files (channel
# participation, no system channel), and the org's Admin joins it to the
# channel over mutual TLS with osnadmin. Everything listens on 127.0.0.1
# ephemeral ports; the orderer is stopped by its PID.
#
# Needs FABRIC_BIN (a directory with orderer, configtxgen and osnadmin of
# Fabric 2.5) and Fabric's sample config (orderer.yaml) in FABRIC_CFG or
# $FABRIC_BIN/../config; without them the test is skipped (exit 77).
set -euo pipefail

if [ -z "${FABRIC_BIN:-}" ]; then
	echo "skipped: FABRIC_BIN not set (a directory with Fabric 2.5's orderer, configtxgen and osnadmin)"
	exit 77
fi
for b in orderer configtxgen osnadmin; do
	if [ ! -x "$FABRIC_BIN/$b" ]; then
		echo "skipped: $FABRIC_BIN/$b not found"
		exit 77
	fi
done
CFG=${FABRIC_CFG:-$FABRIC_BIN/../config}
if [ ! -f "$CFG/orderer.yaml" ]; then
	echo "skipped: no orderer.yaml in $CFG (set FABRIC_CFG to Fabric's sample config directory)"
	exit 77
fi
: "${FABFED_SRC:?FABFED_SRC is not set (run under ctest)}"
: "${FABFED_BUILD:?FABFED_BUILD is not set (run under ctest)}"

T=$(mktemp -d /tmp/fabfed-mspfab.XXXXXX)
ORDERER_PID=""
cleanup() {
	local rc=$?
	set +e
	if [ -n "$ORDERER_PID" ] && kill -0 "$ORDERER_PID" 2>/dev/null; then
		kill -TERM "$ORDERER_PID"
		for _ in $(seq 1 50); do kill -0 "$ORDERER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$ORDERER_PID" 2>/dev/null
		wait "$ORDERER_PID" 2>/dev/null
	fi
	if [ "$rc" -ne 0 ] && [ -f "$T/orderer.log" ]; then
		echo "--- orderer.log (last 40 lines)" >&2
		tail -40 "$T/orderer.log" >&2
	fi
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL (msp_fabric): $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A small driver over lib/msp.c, built against this build's libfabfed.
cat >"$T/gen.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include "msp.h"

int
main(int argc, char **argv)
{
	static const char *const hosts[] = { "localhost", "127.0.0.1", NULL };
	struct msp_org org = { .mspid = "Org1MSP", .domain = "org1.example.com" };
	struct msp_node o = { .name = "orderer0", .role = MSP_ROLE_ORDERER, .hosts = hosts };
	struct msp_node p = { .name = "peer0", .role = MSP_ROLE_PEER, .hosts = hosts };
	char *cause = NULL, *s;
	json_t *pub;

	if (argc != 2)
		return 2;
	org.dir = argv[1];
	if (msp_org_ensure(&org, NULL, &cause) != 0 ||
	    msp_node_ensure(&org, &o, NULL, &cause) != 0 ||
	    msp_node_ensure(&org, &p, NULL, &cause) != 0 ||
	    (pub = msp_public(&org, &cause)) == NULL) {
		fprintf(stderr, "gen: %s\n", cause);
		return 1;
	}
	s = json_dumps(pub, JSON_COMPACT);
	puts(s);
	free(s);
	json_decref(pub);
	return 0;
}
EOF
SAN=""
if grep -q '^FABFED_SANITIZE:BOOL=ON' "$FABFED_BUILD/CMakeCache.txt" 2>/dev/null; then
	SAN="-fsanitize=address,undefined"
fi
# shellcheck disable=SC2046,SC2086
cc $SAN -I"$FABFED_SRC/lib" "$T/gen.c" "$FABFED_BUILD/libfabfed.a" \
	$(pkg-config --libs openssl jansson libevent) -o "$T/gen" ||
	fail "cannot build the MSP driver"

D=$T/org1
"$T/gen" "$D" >"$T/public.json" || fail "the MSP driver failed"
grep -q "PRIVATE KEY" "$T/public.json" && fail "private key in the public MSP"
sum1=$(cd "$D" && find . -type f | sort | xargs sha256sum)
"$T/gen" "$D" >/dev/null || fail "the second run failed"
sum2=$(cd "$D" && find . -type f | sort | xargs sha256sum)
[ "$sum1" = "$sum2" ] || fail "a second run changed files"
ok "org PKI made, second run changed nothing"

O=$D/orderers/orderer0.org1.example.com
A=$D/users/Admin@org1.example.com
TLSCA=$D/tlsca/tlsca.org1.example.com-cert.pem
P_LISTEN=$(free_port)
P_ADMIN=$(free_port)
P_OPS=$(free_port)

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
ok "configtxgen accepted the MSP"

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

up=0
for _ in $(seq 1 100); do
	kill -0 "$ORDERER_PID" 2>/dev/null || fail "the orderer exited"
	if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 \
	    "http://127.0.0.1:$P_OPS/healthz" || true)" = 200 ]; then
		up=1
		break
	fi
	sleep 0.2
done
[ "$up" = 1 ] || fail "the orderer's /healthz did not answer 200 in 20 s"
ok "orderer started with the MSP and TLS files"

OSN=(-o "127.0.0.1:$P_ADMIN" --ca-file "$TLSCA" --client-cert "$A/tls/client.crt"
	--client-key "$A/tls/client.key")
out=$("$FABRIC_BIN/osnadmin" channel join --channelID ch1 --config-block "$T/ch1.block" \
	"${OSN[@]}" 2>&1) || fail "osnadmin channel join: $out"
grep -q "Status: 201" <<<"$out" || fail "channel join did not answer 201: $out"
active=0
for _ in $(seq 1 50); do
	out=$("$FABRIC_BIN/osnadmin" channel list --channelID ch1 "${OSN[@]}" 2>&1 || true)
	if grep -q '"status": *"active"' <<<"$out"; then
		active=1
		break
	fi
	sleep 0.2
done
[ "$active" = 1 ] || fail "channel ch1 did not become active: $out"
ok "the org's admin joined the orderer to ch1 over mutual TLS; ch1 is active"
