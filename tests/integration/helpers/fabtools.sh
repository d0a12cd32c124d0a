# shellcheck shell=bash
# helpers/fabtools.sh: Fabric's own tools (peer, osnadmin, configtxlator:
# not ours) run as an org's admin against the nodes its agent runs, for
# the real-Fabric scripts with one agent per org (consenter_fabric.sh,
# consortium_fabric.sh). Sourced before or after lib.sh; defines admin, tlsca and
# fab_* names. The functions read, when they are called:
#   T           org N's agent's state dir is T/aN: its PKI in T/aN/pki,
#               its orderer's ports in T/aN/process/orderer0/ports.json
#   FABRIC_BIN  Fabric's binaries; FCFG its sample config (core.yaml)
#               (fab_require checks them and sets FCFG)
#   PP[N]       the port of org N's peer0; OP[N] of its orderer0
#   IP[N]       org N's address (127.0.0.1 when unset)
#   FAB_IN      the name of a function "FAB_IN N CMD..." that runs CMD in
#               org N's place (ns_exec: in its network namespace); unset,
#               CMD runs here
#
#   admin N     org N's admin's directory (msp/, tls/)
#   tlsca N     org N's TLS CA certificate
#   fab_in N CMD...          CMD in org N's place
#   fab_peer N ARGS...       `peer ARGS` as org N's admin on its peer0
#   fab_osnadmin N           `osnadmin channel list --channelID trade` as
#                            org N's admin on its orderer0's admin port
#                            (127.0.0.1 in its place): osnadmin's output
#                            and exit status
#   fab_config_json N ORD OUT
#                            trade's config block fetched by org N's admin
#                            from org ORD's orderer0 (T/cfg.block), decoded
#                            by configtxlator into OUT; fails the test when
#                            either cannot

admin() { echo "$T/a$1/pki/users/Admin@org$1.example.com"; }
tlsca() { echo "$T/a$1/pki/tlsca/tlsca.org$1.example.com-cert.pem"; }

fab_ip() { echo "${IP[$1]:-127.0.0.1}"; }

fab_in() {
	local n=$1
	shift
	if [ -n "${FAB_IN:-}" ]; then "$FAB_IN" "$n" "$@"; else "$@"; fi
}

fab_peer() {
	local n=$1
	shift
	FABRIC_CFG_PATH=$FCFG CORE_PEER_LOCALMSPID=Org${n}MSP CORE_PEER_MSPCONFIGPATH="$(admin "$n")/msp" \
	    CORE_PEER_ADDRESS="$(fab_ip "$n"):${PP[$n]}" CORE_PEER_TLS_ENABLED=true \
	    CORE_PEER_TLS_ROOTCERT_FILE="$(tlsca "$n")" \
	    fab_in "$n" "$FABRIC_BIN/peer" "$@"
}

fab_osnadmin() {
	local aport
	aport=$(jq -r .admin "$T/a$1/process/orderer0/ports.json")
	fab_in "$1" "$FABRIC_BIN/osnadmin" channel list --channelID trade -o "127.0.0.1:$aport" \
		--ca-file "$(tlsca "$1")" --client-cert "$(admin "$1")/tls/client.crt" \
		--client-key "$(admin "$1")/tls/client.key"
}

fab_config_json() {
	fab_peer "$1" channel fetch config "$T/cfg.block" -c trade \
	    -o "$(fab_ip "$2"):${OP[$2]}" --tls --cafile "$(tlsca "$2")" >"$T/fetch.out" 2>&1 ||
		fail "peer channel fetch config: $(cat "$T/fetch.out")"
	"$FABRIC_BIN/configtxlator" proto_decode --type common.Block --input "$T/cfg.block" \
		--output "$3" || fail "configtxlator cannot decode the config block"
}

# fab_doc CONSENTERS MEMBERS: consortium trade-finance of three orgs
# (Org1MSP in beijing, Org2MSP in shanghai, Org3MSP in shenzhen), each
# with peer0 (an anchor peer) at its address:PP[N] and orderer0 at
# its address:OP[N], and channel trade with CONSENTERS and MEMBERS (YAML
# flow lists without brackets).
fab_doc() {
	local n city=(- beijing shanghai shenzhen) region=(- cn-north cn-east cn-south)

	printf 'apiVersion: fabfed.io/v1alpha1\nkind: Consortium\n'
	printf 'metadata: {name: trade-finance}\nspec:\n  orgs:\n'
	for n in 1 2 3; do
		printf '    - mspId: Org%dMSP\n      domain: org%d.example.com\n' "$n" "$n"
		printf '      cluster: {name: %s, region: %s}\n' "${city[$n]}" "${region[$n]}"
		printf '      peers: [{name: peer0, endpoint: "%s:%s", anchor: true}]\n' \
			"$(fab_ip "$n")" "${PP[$n]}"
		printf '      orderers: [{name: orderer0, endpoint: "%s:%s"}]\n' \
			"$(fab_ip "$n")" "${OP[$n]}"
	done
	printf '  channels:\n    - name: trade\n      consenters: [%s]\n' "$1"
	printf '      members: [%s]\n      batch: {timeout: 200ms}\n' "$2"
}

# fab_require WHAT: exits 77 (skipped), saying why, unless FABRIC_BIN has
# peer, orderer, osnadmin and configtxlator and the sample config (a
# core.yaml in FABRIC_CFG_PATH or $FABRIC_BIN/../config) is there; sets
# FCFG. WHAT names the test in the message ("the real-Fabric WHAT test").
fab_require() {
	local b
	if [ -z "${FABRIC_BIN:-}" ]; then
		echo "skipped: FABRIC_BIN is not set (Fabric 2.5's peer, orderer," \
		    "osnadmin, configtxlator); this is the real-Fabric $1 test"
		exit 77
	fi
	for b in peer orderer osnadmin configtxlator; do
		[ -x "$FABRIC_BIN/$b" ] || { echo "skipped: $FABRIC_BIN/$b not found"; exit 77; }
	done
	FCFG=${FABRIC_CFG_PATH:-$FABRIC_BIN/../config}
	[ -f "$FCFG/core.yaml" ] || { echo "skipped: no core.yaml in $FCFG"; exit 77; }
}
