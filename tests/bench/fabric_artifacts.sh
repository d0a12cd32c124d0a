#!/usr/bin/env bash
# Time to make an org's full crypto material and a channel genesis block:
# fabfed (lib/msp.c, lib/fabric_config.c, lib/fabric_block.c, run as the
# bench_fabric_artifacts program) beside Fabric's cryptogen and configtxgen
# on the same spec, in the same run, each timed as a whole process. Prints
# figures and ratios; asserts nothing about time (it fails only when a
# program fails).
#
#   tests/bench/fabric_artifacts.sh [BUILD_DIR]
#
# Environment:
#   ORGS PEERS ORDERERS  the spec (default 3 orgs of 2 peers and 1 orderer;
#                        every org a member of one channel, every orderer a
#                        consenter of it)
#   RUNS                 runs of each program (default 5); the median is
#                        printed
#   FABRIC_BIN           a directory with Fabric 2.5's cryptogen and
#                        configtxgen; without it only fabfed's figures are
#                        printed
#
# The same spec for both: cryptogen makes, per org, a CA, a TLS CA,
# PEERS+ORDERERS node identities (a signing key and a TLS key each; in
# cryptogen they are all "peers" of a PeerOrgs entry, since cryptogen puts
# orderers in separate orgs and fabfed does not), Admin and User1: the
# same number of keys and certificates as fabfed makes. configtxgen reads
# the MSPs fabfed made (so both genesis blocks come from the same
# certificates) from a configtx.yaml with the same orgs, consenters and
# policies.
#
# For figures that mean something, build without sanitizers first:
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build build-rel
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
prog=$build/bench/fabric_artifacts
[ -x "$prog" ] || { echo "$prog is missing: build first" >&2; exit 2; }
orgs=${ORGS:-3} peers=${PEERS:-2} orderers=${ORDERERS:-1} runs=${RUNS:-5}
for v in orgs peers orderers runs; do
	[[ "${!v}" =~ ^[0-9]+$ ]] || { echo "$v must be a number" >&2; exit 2; }
done
((orgs >= 1 && orgs <= 100 && peers <= 50 && orderers >= 1 &&
    orderers <= 50 && runs >= 1 && runs <= 50)) ||
	{ echo "ORGS 1..100, PEERS 0..50, ORDERERS 1..50, RUNS 1..50" >&2; exit 2; }
((BASH_VERSINFO[0] >= 5)) || { echo "bash 5 is needed (EPOCHREALTIME)" >&2; exit 2; }
if grep -q '^FABFED_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
	echo "NOTE: $build is a sanitizer build; fabfed's figures are inflated"
fi
fabric=""
if [ -n "${FABRIC_BIN:-}" ] && [ -x "$FABRIC_BIN/cryptogen" ] &&
    [ -x "$FABRIC_BIN/configtxgen" ]; then
	fabric=$FABRIC_BIN
else
	echo "NOTE: FABRIC_BIN is not set (or lacks cryptogen/configtxgen):" \
	    "Fabric's figures are not measured"
fi

T=$(mktemp -d /tmp/fabfed-artifacts.XXXXXX)
trap 'rm -rf "$T"' EXIT

# Milliseconds a command takes, as a whole process.
elapsed() {
	local t0 t1
	t0=$EPOCHREALTIME
	"$@" >"$T/last.log" 2>&1 || { cat "$T/last.log" >&2; return 1; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
	    if (NR % 2) print v[(NR + 1) / 2];
	    else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

crypto_config() {
	local i
	echo "PeerOrgs:"
	for ((i = 1; i <= orgs; i++)); do
		cat <<EOF
  - Name: Org${i}
    Domain: org${i}.bench.example.com
    EnableNodeOUs: true
    Template: {Count: $((peers + orderers)), SANS: [127.0.0.1, localhost]}
    Users: {Count: 1}
EOF
	done
}

configtx() {
	local d=$1 i k port=20000 cons="" orgrefs=""
	echo "Organizations:"
	for ((i = 1; i <= orgs; i++)); do
		local eps=""
		for ((k = 0; k < orderers; k++)); do
			eps+="\"127.0.0.1:$((port + peers + k))\", "
		done
		cat <<EOF
  - &Org${i}
    Name: Org${i}MSP
    ID: Org${i}MSP
    MSPDir: $d/org${i}/msp
    Policies:
      Readers: {Type: Signature, Rule: "OR('Org${i}MSP.admin', 'Org${i}MSP.peer', 'Org${i}MSP.client')"}
      Writers: {Type: Signature, Rule: "OR('Org${i}MSP.admin', 'Org${i}MSP.client')"}
      Admins: {Type: Signature, Rule: "OR('Org${i}MSP.admin')"}
      Endorsement: {Type: Signature, Rule: "OR('Org${i}MSP.peer')"}
    OrdererEndpoints: [${eps%, }]
EOF
		for ((k = 0; k < orderers; k++)); do
			local crt=$d/org${i}/orderers/orderer${k}.org${i}.bench.example.com/tls/server.crt
			cons+="          - {Host: 127.0.0.1, Port: $((port + peers + k)), ClientTLSCert: $crt, ServerTLSCert: $crt}"$'\n'
		done
		port=$((port + peers + orderers))
		orgrefs+="*Org${i}, "
	done
	cat <<EOF
Capabilities:
  Channel: &ChannelCapabilities {V2_0: true}
  Orderer: &OrdererCapabilities {V2_0: true}
  Application: &ApplicationCapabilities {V2_5: true}
Profiles:
  Bench:
    Policies:
      Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
      Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
      Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
    Capabilities: *ChannelCapabilities
    Orderer:
      OrdererType: etcdraft
      BatchTimeout: 2s
      BatchSize: {MaxMessageCount: 500, AbsoluteMaxBytes: 10 MB, PreferredMaxBytes: 2 MB}
      Organizations: [${orgrefs%, }]
      Capabilities: *OrdererCapabilities
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        BlockValidation: {Type: ImplicitMeta, Rule: "ANY Writers"}
      EtcdRaft:
        Consenters:
$cons    Application:
      Organizations: [${orgrefs%, }]
      Capabilities: *ApplicationCapabilities
      Policies:
        Readers: {Type: ImplicitMeta, Rule: "ANY Readers"}
        Writers: {Type: ImplicitMeta, Rule: "ANY Writers"}
        Admins: {Type: ImplicitMeta, Rule: "MAJORITY Admins"}
        LifecycleEndorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
        Endorsement: {Type: ImplicitMeta, Rule: "MAJORITY Endorsement"}
EOF
}

fc=() fg=() cc=() cg=()
for ((r = 1; r <= runs; r++)); do
	d=$T/fabfed$r
	fc+=("$(elapsed "$prog" crypto "$d" "$orgs" "$peers" "$orderers")")
	fg+=("$(elapsed "$prog" genesis "$d" "$orgs" "$peers" "$orderers")")
	[ -s "$d/fabfed.block" ] || { echo "fabfed wrote no block" >&2; exit 1; }
	if [ -n "$fabric" ]; then
		c=$T/cryptogen$r
		mkdir -p "$c"
		crypto_config >"$c/crypto-config.yaml"
		cc+=("$(elapsed "$fabric/cryptogen" generate \
		    --config="$c/crypto-config.yaml" --output="$c/out")")
		configtx "$d" >"$c/configtx.yaml"
		cg+=("$(elapsed "$fabric/configtxgen" -configPath "$c" \
		    -profile Bench -channelID bench -outputBlock "$c/bench.block")")
		[ -s "$c/bench.block" ] || { echo "configtxgen wrote no block" >&2; exit 1; }
	fi
done

echo "spec: $orgs orgs x ($peers peers + $orderers orderers), Admin and User1 each;" \
    "one channel of all orgs; median of $runs runs, whole processes"
printf '%-34s %10s %10s %8s\n' "" "fabfed ms" "Fabric ms" "ratio"
row() {
	local what=$1 ours=$2 theirs=${3:-}
	if [ -n "$theirs" ]; then
		printf '%-34s %10s %10s %8s\n' "$what" "$ours" "$theirs" \
		    "$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", a / b }')"
	else
		printf '%-34s %10s %10s %8s\n' "$what" "$ours" "-" "-"
	fi
}
if [ -n "$fabric" ]; then
	row "crypto material (vs cryptogen)" "$(median "${fc[@]}")" "$(median "${cc[@]}")"
	row "genesis block (vs configtxgen)" "$(median "${fg[@]}")" "$(median "${cg[@]}")"
	echo "ratio = fabfed / Fabric (below 1: fabfed is faster)"
else
	row "crypto material" "$(median "${fc[@]}")"
	row "genesis block" "$(median "${fg[@]}")"
fi
