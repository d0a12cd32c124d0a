#!/usr/bin/env bash
# decode_oracle.sh: `fabfedctl channel decode` / `channel config` print a
# block as Fabric's `configtxlator proto_decode --type common.Block` does
# (lib/fabric_decode.c, docs/fabric-decode.md).
#
# Without Fabric: the blocks of itest_decode (a genesis block of a small
# config, a config block with a signed last update, an endorser
# transaction block, edge cases) and the example consortium's genesis block
# (test_fabric_config with FABFED_GENESIS_OUT) are decoded by fabfedctl,
# and fields of its JSON are compared with `protoc --decode` of the
# official .proto files (tests/oracles/node_modules/fabric-protos).
#
# With FABRIC_BIN (configtxlator, configtxgen): every block is also decoded
# by configtxlator and the two JSON documents must be equal after jq -S,
# and so must the blocks configtxgen makes from Fabric's sample config
# (FABRIC_CFG or $FABRIC_BIN/../config) for three profiles. Differences by
# design, checked precisely below, are the only ones normalized:
#   - a config value key or policy type protolator does not know:
#     configtxlator refuses the whole block, fabfed prints the bytes;
#   - KafkaBrokers (not in fabfed's protos): bytes in fabfed's output.
#
# Skips (77) only when neither FABRIC_BIN nor the official protos are there.
set -euo pipefail

src=${FABFED_SRC:?FABFED_SRC not set}
build=${FABFED_BUILD:?FABFED_BUILD not set}
bin=${FABFED_BIN:-$build/bin}
. "$src/tests/integration/helpers/oracle.sh"
ctl="$bin/fabfedctl"
have_fabric=0
if [ -n "${FABRIC_BIN:-}" ] && [ -x "$FABRIC_BIN/configtxlator" ] &&
    [ -x "$FABRIC_BIN/configtxgen" ]; then
	have_fabric=1
fi
have_protos=0
if [ -f "$official/protos/common/common.proto" ] && command -v protoc >/dev/null 2>&1; then
	have_protos=1
fi
if [ "$have_fabric" = 0 ] && [ "$have_protos" = 0 ]; then
	echo "SKIP: neither FABRIC_BIN (configtxlator, configtxgen) nor Fabric's official protos ($official, with protoc) are available"
	exit 77
fi
command -v jq >/dev/null 2>&1 || { echo "FAIL: jq not found" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 not found" >&2; exit 1; }
for p in "$ctl" "$build/tests/itest_decode" "$build/tests/test_fabric_config"; do
	[ -x "$p" ] || { echo "FAIL: $p is not built" >&2; exit 1; }
done

T=$(mktemp -d /tmp/fabfed-decode-oracle.XXXXXX)
trap 'rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok - $*"; }

"$build/tests/itest_decode" "$T" >"$T/itest.log" 2>&1 ||
	{ cat "$T/itest.log" >&2; echo "FAIL: itest_decode" >&2; exit 1; }
FABFED_GENESIS_OUT="$T/trade.block" "$build/tests/test_fabric_config" \
	>"$T/genesis.log" 2>&1 ||
	{ cat "$T/genesis.log" >&2; echo "FAIL: test_fabric_config could not write the block" >&2; exit 1; }

# ours NAME: fabfedctl's JSON of $T/NAME.block into $T/NAME.ours (sorted).
ours() {
	if ! "$ctl" channel decode --block "$T/$1.block" >"$T/$1.raw" 2>"$T/$1.err"; then
		fail "fabfedctl channel decode $1.block: $(cat "$T/$1.err")"
		return 1
	fi
	jq -S . "$T/$1.raw" >"$T/$1.ours"
}

# b64 FILE JQPATH OUT: the base64 string at JQPATH of FILE, decoded to OUT.
b64() {
	jq -r "$2" "$1" | python3 -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode(sys.stdin.read().strip()))' >"$3"
}

for n in genesis update tx odd unknown trade; do
	ours "$n" || true
done

# ---- without Fabric: protoc over the official protos ----
if [ "$have_protos" = 1 ]; then
	decode() {	# TYPE IN OUT
		protoc --decode="$1" -I "$official/protos" \
		    -I "$official/google-protos" \
		    "$official/protos/common/common.proto" \
		    "$official/protos/common/configtx.proto" \
		    "$official/protos/common/configuration.proto" \
		    "$official/protos/common/policies.proto" \
		    "$official/protos/msp/msp_config.proto" \
		    "$official/protos/msp/msp_principal.proto" \
		    "$official/protos/msp/identities.proto" \
		    "$official/protos/orderer/configuration.proto" \
		    "$official/protos/orderer/etcdraft/configuration.proto" \
		    "$official/protos/peer/configuration.proto" \
		    "$official/protos/peer/transaction.proto" \
		    "$official/protos/peer/proposal.proto" \
		    "$official/protos/peer/proposal_response.proto" \
		    <"$2" >"$3" 2>"$3.err"
	}
	want() {	# FILE REGEX WHAT
		if grep -Eq -- "$2" "$1"; then ok "$3"; else fail "$3: no line /$2/ in $(basename "$1")"; fi
	}
	P='.data.data[0].payload'
	C="$P.data.config.channel_group"
	# The channel header fabfed prints is the one protoc reads from the
	# same bytes: take the block's first envelope, walk down with protoc.
	python3 - "$T/update.block" "$T/env.bin" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read()
def varint(b, i):
    r = s = 0
    while True:
        c = b[i]; i += 1; r |= (c & 0x7f) << s; s += 7
        if c < 0x80: return r, i
def fields(b):
    i = 0
    while i < len(b):
        t, i = varint(b, i)
        if t & 7 == 2:
            n, i = varint(b, i); yield t >> 3, b[i:i + n]; i += n
        elif t & 7 == 0:
            _, i = varint(b, i)
        else:
            raise SystemExit("unexpected wire type")
data = [v for f, v in fields(b) if f == 2][0]
env = [v for f, v in fields(data) if f == 1][0]
open(sys.argv[2], "wb").write(env)
EOF
	if decode common.Envelope "$T/env.bin" "$T/env.txt"; then
		want "$T/env.txt" '^signature: "signature-bytes"$' "update.block: envelope signature as protoc reads it"
		[ "$(jq -r '.data.data[0].signature' "$T/update.ours" | base64 -d)" = "signature-bytes" ] &&
			ok "update.block: fabfed prints the same signature (base64)" ||
			fail "update.block: envelope signature differs"
	else
		fail "protoc cannot decode the update block's envelope: $(cat "$T/env.txt.err")"
	fi
	# Opaque values fabfed decoded, re-checked by protoc from the bytes of
	# configtxlator-independent sources: the config of trade.block.
	if decode common.Config "$T/trade.block.config" "$T/cfg.txt"; then
		for o in Org1MSP Org2MSP Org3MSP; do
			[ "$(jq -r "$C.groups.Application.groups.$o.values.MSP.value.config.name" "$T/trade.ours")" = "$o" ] &&
				ok "trade.block: $o MSP name decoded" || fail "trade.block: $o MSP name"
		done
		b64 "$T/trade.ours" "$C.groups.Orderer.values.ConsensusType.value.metadata.consenters[0].client_tls_cert" "$T/cert.pem"
		grep -q "BEGIN CERTIFICATE" "$T/cert.pem" && ok "trade.block: consenter TLS certificate is PEM after base64" ||
			fail "trade.block: consenter certificate"
		hosts=$(jq -r "[$C.groups.Orderer.values.ConsensusType.value.metadata.consenters[].host] | join(\",\")" "$T/trade.ours")
		[ "$hosts" = "orderer0.org1.example.com,orderer0.org2.example.com,orderer0.org3.example.com" ] &&
			ok "trade.block: consenter hosts" || fail "trade.block: consenter hosts are $hosts"
		# Keys of every group, as protoc lists them, are the JSON's keys.
		pk=$(grep -E '^ *key: "' "$T/cfg.txt" | sed -E 's/^ *key: "(.*)"$/\1/' | sort -u | tr '\n' ' ')
		jk=$(jq -r "[$C | .. | objects | (.groups // {}, .values // {}, .policies // {}) | keys[]] | unique | .[]" "$T/trade.ours" | sort -u | tr '\n' ' ')
		[ "$pk" = "$jk" ] && ok "trade.block: group, value and policy keys match protoc's" ||
			fail "trade.block: keys differ: protoc [$pk] fabfed [$jk]"
	else
		fail "protoc cannot decode the trade config: $(cat "$T/cfg.txt.err")"
	fi
	want "$T/itest.log" '0 failures' "itest_decode checks"
	[ "$(jq -r "$P.data.actions[0].payload.chaincode_proposal_payload.input.chaincode_spec.input.args[0] | @base64d" "$T/tx.ours")" = "CreateAsset" ] &&
		ok "tx.block: chaincode args decoded through five opaque layers" || fail "tx.block: chaincode args"
	[ "$(jq -r '.data.data[2].payload.data.payload.data.value' "$T/tx.ours" | base64 -d)" = "opaque" ] &&
		ok "tx.block: ORDERER_TRANSACTION wraps an envelope whose MESSAGE is a ConfigValue" ||
		fail "tx.block: orderer transaction"
else
	echo "note: $official or protoc absent: protoc checks not run"
fi

# ---- Fabric's own decoder ----
if [ "$have_fabric" = 0 ]; then
	echo "note: FABRIC_BIN unset or without configtxlator/configtxgen: Fabric's decoder not run"
else
	theirs() {	# NAME: configtxlator's JSON into $T/NAME.theirs, or fail
		"$FABRIC_BIN/configtxlator" proto_decode --type common.Block \
		    --input "$T/$1.block" --output "$T/$1.tl" 2>"$T/$1.tlerr" &&
		    jq -S . "$T/$1.tl" >"$T/$1.theirs"
	}
	same() {	# NAME WHAT
		if cmp -s "$T/$1.theirs" "$T/$1.ours"; then
			ok "$2: fabfedctl channel decode = configtxlator proto_decode"
		else
			fail "$2: JSON differs from configtxlator's:"
			diff "$T/$1.theirs" "$T/$1.ours" | head -20 >&2
		fi
	}
	for n in genesis update tx odd trade; do
		if theirs "$n"; then same "$n" "$n.block"; else fail "configtxlator cannot decode $n.block: $(cat "$T/$n.tlerr")"; fi
	done
	# channel config is the config inside the block, as configtxlator has it.
	if "$ctl" channel config --block "$T/trade.block" | jq -S . >"$T/cfg.ours" &&
	    jq -S '.data.data[0].payload.data.config' "$T/trade.theirs" | cmp -s - "$T/cfg.ours"; then
		ok "channel config = configtxlator's data.data[0].payload.data.config"
	else
		fail "channel config differs from configtxlator's config"
	fi

	# By design: configtxlator refuses unknown keys and policy types; fabfed
	# prints them as base64 and everything else as configtxlator would.
	if theirs unknown; then
		fail "configtxlator now decodes unknown.block: drop the normalization"
	elif grep -q "unable to decode policy type: 2\|unknown Channel ConfigValue name: Foo" "$T/unknown.tlerr"; then
		ok "configtxlator refuses the unknown key / policy type, as expected"
		U='.data.data[0].payload.data.config.channel_group'
		b64 "$T/unknown.ours" "$U.values.Foo.value" "$T/foo.bin"
		[ "$(tr -d '\n' <"$T/foo.bin" | tail -c 15)" = "not-a-known-key" ] &&
			ok "unknown key Foo printed as the bytes of its value" || fail "value Foo"
		[ "$(jq -r "$U.policies.Unknown.policy.value" "$T/unknown.ours" | base64 -d)" = "msp-policy" ] &&
			ok "policy of type 2 printed as its bytes" || fail "policy Unknown"
		# Without those two entries, the rest decodes as in genesis.block.
		[ "$(jq -S "$U.groups.Application" "$T/unknown.ours")" = "$(jq -S "$U.groups.Application" "$T/genesis.ours")" ] &&
			ok "unknown.block: the rest of the config is decoded" || fail "unknown.block: rest of the config"
	else
		fail "configtxlator failed on unknown.block for another reason: $(cat "$T/unknown.tlerr")"
	fi

	# Blocks made by configtxgen from Fabric's sample config.
	CFG=${FABRIC_CFG:-$FABRIC_BIN/../config}
	if [ -f "$CFG/configtx.yaml" ] && [ -d "$CFG/msp" ]; then
		cp -r "$CFG" "$T/cfg"
		mkdir -p "$T/cfg/path/to"
		for i in 0 1 2; do	# the sample's consenter TLS certificate paths
			cp "$T/cfg/msp/signcerts/"*.pem "$T/cfg/path/to/ClientTLSCert$i"
			cp "$T/cfg/msp/signcerts/"*.pem "$T/cfg/path/to/ServerTLSCert$i"
		done
		for p in SampleAppChannelEtcdRaft SampleDevModeEtcdRaft SampleSingleMSPSolo SampleSingleMSPKafka; do
			if ! "$FABRIC_BIN/configtxgen" -configPath "$T/cfg" -profile "$p" \
			    -channelID ch1 -outputBlock "$T/$p.block" >"$T/$p.log" 2>&1; then
				fail "configtxgen -profile $p: $(tail -3 "$T/$p.log")"
				continue
			fi
			ours "$p" || continue
			theirs "$p" || { fail "configtxlator cannot decode $p: $(cat "$T/$p.tlerr")"; continue; }
			if [ "$p" = SampleSingleMSPKafka ]; then
				# By design: KafkaBrokers is not in fabfed's protos.
				K='.data.data[0].payload.data.config.channel_group.groups.Orderer.values.KafkaBrokers.value'
				b64 "$T/$p.ours" "$K" "$T/kafka.bin"
				brokers=$(python3 - "$T/kafka.bin" <<'EOF'
import sys
b = open(sys.argv[1], "rb").read(); i = 0; out = []
while i < len(b):
    assert b[i] == 0x0a; n = b[i + 1]; out.append(b[i + 2:i + 2 + n].decode()); i += 2 + n
print(",".join(out))
EOF
)
				[ "$brokers" = "$(jq -r "$K.brokers | join(\",\")" "$T/$p.theirs")" ] &&
					ok "$p: KafkaBrokers bytes hold configtxlator's brokers ($brokers)" ||
					fail "$p: KafkaBrokers bytes"
				jq -S "$K = null" "$T/$p.ours" >"$T/$p.o2"
				jq -S "$K = null" "$T/$p.theirs" >"$T/$p.t2"
				mv "$T/$p.o2" "$T/$p.ours"
				mv "$T/$p.t2" "$T/$p.theirs"
			fi
			same "$p" "configtxgen $p"
		done
		# channel config of a configtxgen block, as configtxlator has it.
		"$ctl" channel config --block "$T/SampleDevModeEtcdRaft.block" | jq -S . >"$T/dev.cfg" &&
		    jq -S '.data.data[0].payload.data.config' "$T/SampleDevModeEtcdRaft.theirs" | cmp -s - "$T/dev.cfg" &&
		    ok "channel config of a configtxgen block (with Consortiums) = configtxlator's" ||
		    fail "channel config of SampleDevModeEtcdRaft differs"
	else
		echo "note: no configtx.yaml and msp in $CFG: configtxgen blocks not made"
	fi
fi

# ---- the command's failures ----
set +e
"$ctl" channel config --block "$T/tx.block" >/dev/null 2>"$T/e1"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q "block 9 is not a config block: it holds 3 transactions" "$T/e1" &&
	ok "channel config of a transaction block: exit 1 and why" || fail "channel config of tx.block: rc $rc, $(cat "$T/e1")"
head -c 100 "$T/trade.block" >"$T/cut.block"
set +e
"$ctl" channel decode --block "$T/cut.block" >/dev/null 2>"$T/e2"; rc=$?
"$ctl" channel decode --block "$T/absent.block" >/dev/null 2>"$T/e3"; rc3=$?
"$ctl" channel decode >/dev/null 2>"$T/e4"; rc4=$?
set -e
[ "$rc" = 1 ] && grep -q "cut.block: block: not a valid common.Block: the data ends inside a field" "$T/e2" &&
	ok "a cut block: exit 1, the layer named" || fail "cut block: rc $rc, $(cat "$T/e2")"
[ "$rc3" = 2 ] && grep -q "cannot open" "$T/e3" && ok "a missing file: exit 2" || fail "missing file: rc $rc3"
[ "$rc4" = 2 ] && grep -q "needs --block FILE" "$T/e4" && ok "no --block: exit 2 (usage)" || fail "no --block: rc $rc4"
"$ctl" channel decode --block - <"$T/tx.block" | jq -e '.header.number == "9"' >/dev/null &&
	ok "--block - reads stdin" || fail "--block - (stdin)"

if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures check(s) failed" >&2
	exit 1
fi
echo "PASS: decode_oracle"
