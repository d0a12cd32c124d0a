#!/usr/bin/env bash
# genesis_oracle.sh: the genesis block fabfed builds (lib/fabric_config.c,
# lib/fabric_block.c) for the example consortium's channel "trade" is what
# Fabric's own message definitions read.
#
# test_fabric_config (FABFED_GENESIS_OUT set) writes the block, built from
# real PKIs of the three orgs. Each layer is decoded with `protoc --decode`
# against the official .proto files of the fabric-protos npm package
# (tests/oracles): Block, then the Envelope in its data, the Payload, the
# ChannelHeader, the ConfigEnvelope, and inside the config the Orderer's
# ConsensusType and its etcdraft ConfigMetadata, the anchor peers and the
# metadata slots. Bytes fields are taken out of protoc's text with Python's
# C-escape decoder. With FABRIC_BIN set and holding configtxlator, Fabric's
# own tool decodes the block too.
#
# Skips (77) only when tests/oracles/node_modules/fabric-protos is absent.
set -euo pipefail

src=${FABFED_SRC:?FABFED_SRC not set}
build=${FABFED_BUILD:?FABFED_BUILD not set}
. "$src/tests/integration/helpers/oracle.sh"
prog="$build/tests/test_fabric_config"

oracle_require_protos common/common.proto
command -v protoc >/dev/null 2>&1 ||
	{ echo "FAIL: protoc not found (Debian package protobuf-compiler)" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 ||
	{ echo "FAIL: python3 not found" >&2; exit 1; }
[ -x "$prog" ] || { echo "FAIL: $prog is not built" >&2; exit 1; }

T=$(mktemp -d /tmp/fabfed-genesis-oracle.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok - $*"; }

# extract TEXT FIELD OUT [AFTER_KEY] [NTH]: the bytes of the NTH (1-based)
# `FIELD: "..."` line of protoc's TEXT, counting only after the line
# `key: "AFTER_KEY"` when given; written raw to OUT.
extract() {
	python3 - "$@" <<'EOF'
import codecs, sys
text, field, out = sys.argv[1], sys.argv[2], sys.argv[3]
after = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
nth = int(sys.argv[5]) if len(sys.argv) > 5 else 1
seen = after is None
n = 0
for line in open(text, encoding="latin-1"):
    s = line.strip()
    if not seen:
        seen = s == 'key: "%s"' % after
        continue
    if s.startswith(field + ': "') and s.endswith('"'):
        n += 1
        if n == nth:
            raw = s[len(field) + 3:-1].encode("latin-1")
            open(out, "wb").write(codecs.escape_decode(raw)[0])
            sys.exit(0)
sys.exit("no field %s found" % field)
EOF
}

# want FILE REGEX WHAT: FILE has a line matching REGEX.
want() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3: no line /$2/ in $(basename "$1")"; fi
}

FABFED_GENESIS_OUT="$T/genesis.block" "$prog" >"$T/prog.log" 2>&1 ||
	{ cat "$T/prog.log" >&2; echo "FAIL: test_fabric_config could not write the block" >&2; exit 1; }
[ -s "$T/genesis.block" ] || { echo "FAIL: no block written" >&2; exit 1; }

decode common.Block common/common.proto "$T/genesis.block" "$T/block.txt"
want "$T/block.txt" '^  data_hash: "' "block decodes as common.Block with a data hash"
if grep -q '^  number:' "$T/block.txt" || grep -q '^  previous_hash:' "$T/block.txt"; then
	fail "block 0 has a number or previous hash on the wire"
else
	ok "number 0 and no previous hash"
fi
n=$(grep -c '^  metadata: ' "$T/block.txt" || true)
[ "$n" -eq 5 ] && ok "five metadata slots" || fail "$n metadata slots, want 5"
[ "$(grep -c '^  data: ' "$T/block.txt" || true)" -eq 1 ] &&
	ok "one data entry" || fail "not exactly one data entry"

extract "$T/block.txt" data "$T/env.bin"
# The data hash is SHA-256 over the (single) data entry.
dh=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$T/env.bin")
extract "$T/block.txt" data_hash "$T/dh.bin"
[ "$(od -An -v -tx1 "$T/dh.bin" | tr -d ' \n')" = "$dh" ] &&
	ok "data hash is SHA-256 of the data" || fail "data hash differs from SHA-256 of the data"

decode common.Envelope common/common.proto "$T/env.bin" "$T/env.txt"
if grep -q '^signature:' "$T/env.txt"; then fail "genesis envelope is signed"; else ok "envelope unsigned"; fi
extract "$T/env.txt" payload "$T/payload.bin"
decode common.Payload common/common.proto "$T/payload.bin" "$T/payload.txt"
extract "$T/payload.txt" channel_header "$T/chdr.bin"
decode common.ChannelHeader common/common.proto "$T/chdr.bin" "$T/chdr.txt"
want "$T/chdr.txt" '^type: 1$' "channel header type CONFIG (1)"
want "$T/chdr.txt" '^channel_id: "trade"$' "channel header channel_id trade"
want "$T/chdr.txt" '^version: 1$' "channel header version 1"
want "$T/chdr.txt" '^tx_id: "[0-9a-f]{64}"$' "channel header tx_id"
extract "$T/payload.txt" signature_header "$T/shdr.bin"
decode common.SignatureHeader common/common.proto "$T/shdr.bin" "$T/shdr.txt"
want "$T/shdr.txt" '^nonce: "' "signature header has a nonce"

extract "$T/payload.txt" data "$T/cenv.bin"
decode common.ConfigEnvelope common/configtx.proto "$T/cenv.bin" "$T/cenv.txt"
want "$T/cenv.txt" '^    channel_group \{$|^  channel_group \{$' "config envelope has a channel group"
want "$T/cenv.txt" '^      key: "Application"$' "group Application"
want "$T/cenv.txt" '^      key: "Orderer"$' "group Orderer"
for o in Org1MSP Org2MSP Org3MSP; do
	[ "$(grep -c "^          key: \"$o\"\$" "$T/cenv.txt" || true)" -eq 2 ] &&
		ok "$o in Application and Orderer" || fail "$o not in both groups"
done
for k in HashingAlgorithm BlockDataHashingStructure Capabilities ACLs \
    BatchSize BatchTimeout ConsensusType Endpoints AnchorPeers MSP \
    LifecycleEndorsement BlockValidation Endorsement; do
	want "$T/cenv.txt" "^ *key: \"$k\"\$" "config has $k"
done

extract "$T/cenv.txt" value "$T/ct.bin" ConsensusType
decode orderer.ConsensusType orderer/configuration.proto "$T/ct.bin" "$T/ct.txt"
want "$T/ct.txt" '^type: "etcdraft"$' "consensus type etcdraft"
extract "$T/ct.txt" metadata "$T/raft.bin"
decode etcdraft.ConfigMetadata orderer/etcdraft/configuration.proto "$T/raft.bin" "$T/raft.txt"
[ "$(grep -c '^consenters {' "$T/raft.txt" || true)" -eq 3 ] &&
	ok "three etcdraft consenters" || fail "not three consenters"
for i in 1 2 3; do
	want "$T/raft.txt" "^  host: \"orderer0.org$i.example.com\"\$" "consenter orderer0.org$i"
done
[ "$(grep -c '^  client_tls_cert: "-----BEGIN CERTIFICATE-----' "$T/raft.txt" || true)" -eq 3 ] &&
	ok "consenters carry PEM TLS certificates" || fail "consenter TLS certificates missing"
want "$T/raft.txt" '^  tick_interval: "500ms"$' "raft options tick 500ms"
want "$T/raft.txt" '^  snapshot_interval_size: 16777216$' "raft snapshot interval 16 MiB"

extract "$T/cenv.txt" value "$T/anchors.bin" AnchorPeers
decode protos.AnchorPeers peer/configuration.proto "$T/anchors.bin" "$T/anchors.txt"
want "$T/anchors.txt" '^  host: "peer0.org1.example.com"$' "anchor peer of Org1MSP"
want "$T/anchors.txt" '^  port: 7051$' "anchor peer port"

extract "$T/cenv.txt" value "$T/msp.bin" MSP
decode msp.MSPConfig msp/msp_config.proto "$T/msp.bin" "$T/msp.txt"
extract "$T/msp.txt" config "$T/fmsp.bin"
decode msp.FabricMSPConfig msp/msp_config.proto "$T/fmsp.bin" "$T/fmsp.txt"
want "$T/fmsp.txt" '^name: "Org1MSP"$' "MSP name"
want "$T/fmsp.txt" '^  enable: true$' "NodeOUs enabled"
want "$T/fmsp.txt" '^  signature_hash_family: "SHA2"$' "crypto config"

extract "$T/block.txt" metadata "$T/md0.bin" "" 1
decode common.Metadata common/common.proto "$T/md0.bin" "$T/md0.txt"
extract "$T/md0.txt" value "$T/obm.bin"
decode common.OrdererBlockMetadata common/common.proto "$T/obm.bin" "$T/obm.txt"
want "$T/obm.txt" '^last_config \{$' "SIGNATURES slot holds OrdererBlockMetadata{last_config}"
# LAST_CONFIG = Metadata{value: LastConfig{index 0}}: every field is zero,
# so Go's marshal (and ours) writes nothing and the slot is empty bytes,
# as in a block from configtxgen.
extract "$T/block.txt" metadata "$T/md1.bin" "" 2
[ ! -s "$T/md1.bin" ] && ok "LAST_CONFIG slot is Metadata{LastConfig{0}}, empty on the wire" ||
	fail "LAST_CONFIG slot is not the empty encoding of Metadata{LastConfig{0}}"

if [ -n "${FABRIC_BIN:-}" ] && [ -x "$FABRIC_BIN/configtxlator" ]; then
	if "$FABRIC_BIN/configtxlator" proto_decode --type common.Block \
	    --input "$T/genesis.block" --output "$T/block.json" 2>"$T/ctl.err" &&
	    grep -q '"channel_id": "trade"' "$T/block.json" &&
	    grep -q '"etcdraft"' "$T/block.json"; then
		ok "configtxlator proto_decode reads the block"
	else
		fail "configtxlator cannot decode the block: $(cat "$T/ctl.err")"
	fi
else
	echo "note: FABRIC_BIN unset or without configtxlator: Fabric's own decoder not run"
fi

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures check(s) failed" >&2
	exit 1
fi
echo "PASS: genesis_oracle"
